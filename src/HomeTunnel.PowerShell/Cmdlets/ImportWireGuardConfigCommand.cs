using System.IO;
using System.Management.Automation;
using HomeTunnel.WireGuard;

namespace HomeTunnel.Cmdlets;

[Cmdlet(VerbsData.Import, "WireGuardConfig")]
[OutputType(typeof(WireGuardConfig))]
public sealed class ImportWireGuardConfigCommand : HomeTunnelCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "LiteralPath")]
    public string Path { get; set; } = string.Empty;

    protected override void Process()
    {
        string path = FileSystemPath(Path);
        WriteObject(WireGuardConfigParser.Parse(Files.ReadText(path), path));
    }
}
