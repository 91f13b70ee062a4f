using System.Collections.Generic;
using System.Management.Automation;
using HomeTunnel.WireGuard;

namespace HomeTunnel.Cmdlets;

/// <summary>wg-quick text to a config object. Lines piped one by one (Get-Content) are joined first, as ConvertFrom-Json does.</summary>
[Cmdlet(VerbsData.ConvertFrom, "WireGuardConfig")]
[OutputType(typeof(WireGuardConfig))]
public sealed class ConvertFromWireGuardConfigCommand : HomeTunnelCmdlet
{
    private readonly PipedLines _lines = new();

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [AllowEmptyString]
    public string InputObject { get; set; } = string.Empty;

    protected override void Process() => _lines.Add(InputObject);

    protected override void End() => WriteObject(WireGuardConfigParser.Parse(_lines.Text));
}
