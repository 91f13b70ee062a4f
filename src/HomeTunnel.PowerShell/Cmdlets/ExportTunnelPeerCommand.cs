using System.Collections.Generic;
using System.Management.Automation;
using HomeTunnel.WireGuard;

namespace HomeTunnel.Cmdlets;

/// <summary>Saves peers as JSON. Private and preshared keys only with -IncludePrivateKey, and then in a 0600 file.</summary>
[Cmdlet(VerbsData.Export, "TunnelPeer", SupportsShouldProcess = true)]
[OutputType(typeof(System.IO.FileInfo))]
public sealed class ExportTunnelPeerCommand : HomeTunnelCmdlet
{
    private readonly List<TunnelPeer> _peers = new();

    [Parameter(Mandatory = true, Position = 0)]
    public string Path { get; set; } = string.Empty;

    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public TunnelPeer[] InputObject { get; set; } = System.Array.Empty<TunnelPeer>();

    [Parameter]
    public SwitchParameter IncludePrivateKey { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void Process() => _peers.AddRange(InputObject);

    protected override void End()
    {
        string path = FileSystemPath(Path);
        string what = IncludePrivateKey ? $"{_peers.Count} peer(s) with private keys (file mode 0600)" : $"{_peers.Count} peer(s), public keys only";
        if (!ShouldProcess(path, $"Export {what}"))
        {
            return;
        }
        WriteExportFile(path, TunnelPeerFile.Write(_peers, IncludePrivateKey), ownerOnly: IncludePrivateKey, overwrite: Force, passThru: PassThru);
        WriteVerbose($"Wrote {what} to {path}.");
    }
}
