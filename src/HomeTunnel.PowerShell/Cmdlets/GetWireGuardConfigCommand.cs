using System.Linq;
using System.Management.Automation;
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
public sealed class GetWireGuardConfigCommand : HostReadCommand
{
    /// <summary>Interface names, wildcards allowed; every managed config when absent.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? InterfaceName { get; set; }

    protected override void Process()
    {
        var wanted = Matcher(InterfaceName);
        foreach (ManagedFile f in ReadManaged("Configs"))
        {
            string ifName = System.IO.Path.GetFileNameWithoutExtension(f.Path);
            if (!wanted(ifName))
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
            o.Properties.Add(new PSNoteProperty("Up", f.Up));
            WriteObject(o);
        }
    }
}
