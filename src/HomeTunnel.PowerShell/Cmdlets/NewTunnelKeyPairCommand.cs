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
        // In chunks, so the first pairs flow down the pipeline while the rest are made.
        const int chunk = 4096;
        for (int done = 0; done < Count; done += chunk)
        {
            foreach (TunnelKeyPair pair in TunnelKeyPair.Generate(System.Math.Min(chunk, Count - done)))
            {
                WriteObject(pair);
            }
        }
    }
}
