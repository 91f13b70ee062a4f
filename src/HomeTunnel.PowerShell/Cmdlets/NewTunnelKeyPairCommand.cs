using System.Management.Automation;
using HomeTunnel.WireGuard;

namespace HomeTunnel.Cmdlets;

[Cmdlet(VerbsCommon.New, "TunnelKeyPair")]
[OutputType(typeof(TunnelKeyPair))]
public sealed class NewTunnelKeyPairCommand : HomeTunnelCmdlet
{
    [Parameter(Position = 0)]
    [ValidateRange(1, 1_000_000)]
    public int Count { get; set; } = 1;

    protected override void End()
    {
        for (int i = 0; i < Count; i++)
        {
            WriteObject(TunnelKeyPair.Generate());
        }
    }
}
