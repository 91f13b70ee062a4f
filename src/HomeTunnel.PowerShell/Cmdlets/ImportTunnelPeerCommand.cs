using System;
using System.IO;
using System.Management.Automation;
using HomeTunnel.WireGuard;

namespace HomeTunnel.Cmdlets;

[Cmdlet(VerbsData.Import, "TunnelPeer")]
[OutputType(typeof(TunnelPeer))]
public sealed class ImportTunnelPeerCommand : HomeTunnelCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "LiteralPath")]
    public string Path { get; set; } = string.Empty;

    protected override void Process()
    {
        string path = FileSystemPath(Path);
        var peers = TunnelPeerFile.Read(Files.ReadText(path), path);
        if (!OperatingSystem.IsWindows() && System.Linq.Enumerable.Any(peers, p => p.HasPrivateKey)
            && (File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead)) != 0)
        {
            WriteWarning($"'{path}' holds private keys and is readable by other users; run 'chmod 600 {path}'.");
        }
        WriteObject(peers, enumerateCollection: true);
    }
}
