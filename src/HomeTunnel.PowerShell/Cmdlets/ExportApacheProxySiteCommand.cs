using System.Management.Automation;
using HomeTunnel.Apache;

namespace HomeTunnel.Cmdlets;

/// <summary>
/// Writes a site as its sites-available file (what Install-ApacheProxySite would put on the relay), to keep it,
/// review it, or read it back with Import-ApacheProxySite. A password behind its door is not in it (only the
/// relay's htpasswd file holds a hash).
/// </summary>
[Cmdlet(VerbsData.Export, "ApacheProxySite", SupportsShouldProcess = true)]
[OutputType(typeof(System.IO.FileInfo))]
public sealed class ExportApacheProxySiteCommand : HomeTunnelCmdlet
{
    /// <summary>The file to write; with several sites, a folder, where each goes to its FileName.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    public string Path { get; set; } = string.Empty;

    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public ApacheProxySite InputObject { get; set; } = null!;

    /// <summary>Replace a file that exists.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void Process()
    {
        string path = FileSystemPath(Path);
        if (System.IO.Directory.Exists(path))
        {
            path = System.IO.Path.Combine(path, InputObject.FileName);
        }
        InputObject.EnsureInstallable();
        if (!ShouldProcess(path, $"Write the Apache site {InputObject.ServerName}"))
        {
            return;
        }
        WriteExportFile(path, InputObject.Text, ownerOnly: false, overwrite: Force, passThru: PassThru);
    }
}
