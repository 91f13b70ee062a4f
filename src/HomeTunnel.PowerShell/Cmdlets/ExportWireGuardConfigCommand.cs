using System.Management.Automation;
using HomeTunnel.WireGuard;

namespace HomeTunnel.Cmdlets;

/// <summary>Writes a config as a wg-quick file, private key included, created 0600.</summary>
[Cmdlet(VerbsData.Export, "WireGuardConfig", SupportsShouldProcess = true)]
[OutputType(typeof(System.IO.FileInfo))]
public sealed class ExportWireGuardConfigCommand : HomeTunnelCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    public string Path { get; set; } = string.Empty;

    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public WireGuardConfig InputObject { get; set; } = null!;

    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void Process()
    {
        string path = FileSystemPath(Path);
        // Rendered first: a config that cannot be written (keys read as "(redacted)") is refused under -WhatIf too.
        string text = InputObject.RevealText();
        if (!ShouldProcess(path, $"Write the wg-quick config of '{InputObject.Name}' (file mode 0600)"))
        {
            return;
        }
        WriteExportFile(path, text, ownerOnly: true, overwrite: Force, passThru: PassThru);
    }
}
