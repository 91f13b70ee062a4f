using System.Collections.Generic;
using System.Management.Automation;
using HomeTunnel.WireGuard;

namespace HomeTunnel.Cmdlets;

/// <summary>wg-quick text to a config object. Lines piped one by one (Get-Content) are joined first, as ConvertFrom-Json does.</summary>
[Cmdlet(VerbsData.ConvertFrom, "WireGuardConfig")]
[OutputType(typeof(WireGuardConfig))]
public sealed class ConvertFromWireGuardConfigCommand : HomeTunnelCmdlet
{
    private readonly List<string> _lines = new();

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [AllowEmptyString]
    public string InputObject { get; set; } = string.Empty;

    private int _size;

    protected override void Process()
    {
        _size += InputObject.Length + 1;
        if (_size > Files.MaxConfigBytes)
        {
            throw Files.TooLarge("the piped text");
        }
        _lines.Add(InputObject);
    }

    protected override void End() => WriteObject(WireGuardConfigParser.Parse(string.Join("\n", _lines)));
}
