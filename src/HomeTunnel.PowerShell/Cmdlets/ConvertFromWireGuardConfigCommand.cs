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

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = "Lines")]
    [AllowEmptyString]
    public string InputObject { get; set; } = string.Empty;

    /// <summary>
    /// A whole config's text, bound by property name from a config object or its JSON. Keys shown as
    /// "(redacted)" come back as keys not given here: such a config shows them so and is never written to a host.
    /// </summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = "Text")]
    public string Text { get; set; } = string.Empty;

    /// <summary>With -Text: the public key of a config whose private key the text shows as "(redacted)" (its JSON carries it).</summary>
    [Parameter(ParameterSetName = "Text", ValueFromPipelineByPropertyName = true)]
    public string? PublicKey { get; set; }

    protected override void Process()
    {
        if (ParameterSetName == "Text")
        {
            WireGuardConfig config = WireGuardConfigParser.Parse(Text);
            WriteObject(config.PrivateKeyRedacted && !string.IsNullOrEmpty(PublicKey) ? config.WithRedactedKeyPublicKey(PublicKey) : config);
            return;
        }
        _lines.Add(InputObject);
    }

    protected override void End()
    {
        if (ParameterSetName == "Lines")
        {
            WriteObject(WireGuardConfigParser.Parse(_lines.Text));
        }
    }
}
