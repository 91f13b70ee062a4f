using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using HomeTunnel.Hosts;
using HomeTunnel.WireGuard;

namespace HomeTunnel.Cmdlets;

/// <summary>
/// The wg-quick configs HomeTunnel manages on hosts, read back as config objects. The private and preshared keys
/// never leave the host: the agent drops those lines, so the objects carry the peers, addresses and settings only
/// (the host's name, the interface and whether it is up as notes).
/// </summary>
[Cmdlet(VerbsCommon.Get, "WireGuardConfig")]
[OutputType(typeof(WireGuardConfig))]
public sealed class GetWireGuardConfigCommand : HomeTunnelCmdlet
{
    /// <summary>Interface names, wildcards allowed; every managed config when absent.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? InterfaceName { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public PSSession[]? Session { get; set; }

    /// <summary>Read this machine's configs (there is no default host).</summary>
    [Parameter]
    public SwitchParameter Local { get; set; }

    [Parameter]
    [ValidateRange(1, 1024)]
    public int ThrottleLimit { get; set; } = 32;

    protected override void Process()
    {
        var patterns = (InterfaceName ?? new[] { "*" }).Select(n => new WildcardPattern(n, WildcardOptions.IgnoreCase)).ToArray();
        foreach (ManagedFile f in ManagedFileReader.Read(this, Session, Local, "Configs", ThrottleLimit, StopToken))
        {
            string ifName = System.IO.Path.GetFileNameWithoutExtension(f.Path);
            if (!patterns.Any(p => p.IsMatch(ifName)))
            {
                continue;
            }
            WireGuardConfig config;
            try
            {
                config = WireGuardConfigParser.Parse(f.Text, $"{f.Host}:{f.Path}");
            }
            catch (HomeTunnelException e)
            {
                WriteError(ToErrorRecord(e));
                continue;
            }
            var o = new PSObject(config);
            o.Properties.Add(new PSNoteProperty("Host", f.Host));
            o.Properties.Add(new PSNoteProperty("InterfaceName", ifName));
            o.Properties.Add(new PSNoteProperty("Up", AgentValue.Truth(f.Facts["Up"])));
            WriteObject(o);
        }
    }
}
