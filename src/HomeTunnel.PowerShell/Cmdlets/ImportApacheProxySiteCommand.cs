using System.Management.Automation;
using HomeTunnel.Apache;

namespace HomeTunnel.Cmdlets;

[Cmdlet(VerbsData.Import, "ApacheProxySite")]
[OutputType(typeof(ApacheProxySite))]
public sealed class ImportApacheProxySiteCommand : HomeTunnelCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "LiteralPath")]
    public string Path { get; set; } = string.Empty;

    /// <summary>Directives let through the import allow-list by name (see about_HomeTunnel and docs/security.md).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? AllowDirective { get; set; }

    protected override void Process()
    {
        string path = FileSystemPath(Path);
        WriteObject(ApacheSiteParser.Parse(Files.ReadText(path), path, AllowDirective), enumerateCollection: true);
    }
}
