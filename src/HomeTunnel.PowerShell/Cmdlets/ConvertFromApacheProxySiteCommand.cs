using System.Collections.Generic;
using System.Management.Automation;
using HomeTunnel.Apache;

namespace HomeTunnel.Cmdlets;

/// <summary>Apache config text to site objects (one per ServerName). Piped lines are joined first.</summary>
[Cmdlet(VerbsData.ConvertFrom, "ApacheProxySite")]
[OutputType(typeof(ApacheProxySite))]
public sealed class ConvertFromApacheProxySiteCommand : HomeTunnelCmdlet
{
    private readonly PipedLines _lines = new();

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [AllowEmptyString]
    public string InputObject { get; set; } = string.Empty;

    /// <summary>Directives let through the import allow-list by name (see about_HomeTunnel and docs/security.md).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? AllowDirective { get; set; }

    protected override void Process() => _lines.Add(InputObject);

    protected override void End() => WriteObject(ApacheSiteParser.Parse(_lines.Text, allowDirectives: AllowDirective), enumerateCollection: true);
}
