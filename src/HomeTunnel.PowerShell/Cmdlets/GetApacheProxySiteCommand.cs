using System.Linq;
using System.Management.Automation;
using HomeTunnel.Apache;
using HomeTunnel.Hosts;

namespace HomeTunnel.Cmdlets;

/// <summary>
/// The sites HomeTunnel manages on relays, read back from sites-available as the same objects New-ApacheProxySite
/// makes (with the relay's name, the file and whether it is enabled as notes): what to pipe to
/// Uninstall-ApacheProxySite, Export-ApacheProxySite or Test-TunnelConfig. Files HomeTunnel did not write are not read.
/// </summary>
[Cmdlet(VerbsCommon.Get, "ApacheProxySite")]
[OutputType(typeof(ApacheProxySite))]
public sealed class GetApacheProxySiteCommand : HostReadCommand
{
    /// <summary>Server names, wildcards allowed; every managed site when absent.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(SiteNameCompleter))]
    public string[]? ServerName { get; set; }

    protected override void Process()
    {
        var wanted = Matcher(ServerName);
        foreach (ManagedFile f in ReadManaged("Sites"))
        {
            System.Collections.Generic.IReadOnlyList<ApacheProxySite> sites;
            try
            {
                sites = ApacheSiteParser.Parse(f.Text, $"{f.Host}:{f.Path}", ownBackend: true);
            }
            catch (HomeTunnelException e)
            {
                WriteError(ToErrorRecord(e)); // a file of ours that someone edited badly: said, and the others still listed
                continue;
            }
            foreach (ApacheProxySite site in sites.Where(s => wanted(s.ServerName)))
            {
                var o = new PSObject(site);
                o.Properties.Add(new PSNoteProperty("Host", f.Host));
                o.Properties.Add(new PSNoteProperty("Enabled", f.Enabled));
                WriteObject(o);
            }
        }
    }
}
