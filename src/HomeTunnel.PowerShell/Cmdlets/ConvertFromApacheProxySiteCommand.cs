using System.Collections.Generic;
using System.Management.Automation;
using HomeTunnel.Apache;

namespace HomeTunnel.Cmdlets;

/// <summary>
/// Apache config text to site objects (one per ServerName). Piped lines are joined first; a piped object with a
/// Text property (a site's JSON read back with ConvertFrom-Json) is converted on its own.
/// </summary>
[Cmdlet(VerbsData.ConvertFrom, "ApacheProxySite")]
[OutputType(typeof(ApacheProxySite))]
public sealed class ConvertFromApacheProxySiteCommand : HomeTunnelCmdlet
{
    private readonly PipedLines _lines = new();

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = "Lines")]
    [AllowEmptyString]
    public string InputObject { get; set; } = string.Empty;

    /// <summary>A whole site's text, bound by property name from a site object or its JSON.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = "Text")]
    public string Text { get; set; } = string.Empty;

    /// <summary>
    /// Directives let through the import allow-list by name (see about_HomeTunnel and docs/security.md). Never
    /// bound from the piped object: the input does not get to widen its own allow-list (a site's JSON lists its
    /// AllowedDirectives; the caller repeats them here to accept them).
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? AllowDirective { get; set; }

    protected override void Process()
    {
        if (ParameterSetName == "Text")
        {
            WriteObject(ApacheSiteParser.Parse(Text, allowDirectives: AllowDirective), enumerateCollection: true);
            return;
        }
        _lines.Add(InputObject);
    }

    protected override void End()
    {
        if (ParameterSetName == "Lines")
        {
            WriteObject(ApacheSiteParser.Parse(_lines.Text, allowDirectives: AllowDirective), enumerateCollection: true);
        }
    }
}
