using System.Collections.Generic;
using System.Management.Automation;
using HomeTunnel.Apache;

namespace HomeTunnel.Cmdlets;

/// <summary>Apache config text to site objects (one per ServerName). Piped lines are joined first.</summary>
[Cmdlet(VerbsData.ConvertFrom, "ApacheProxySite")]
[OutputType(typeof(ApacheProxySite))]
public sealed class ConvertFromApacheProxySiteCommand : HomeTunnelCmdlet
{
    private readonly List<string> _lines = new();

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [AllowEmptyString]
    public string InputObject { get; set; } = string.Empty;

    /// <summary>Directives let through the import allow-list by name (see about_HomeTunnel and docs/security.md).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? AllowDirective { get; set; }

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

    protected override void End() => WriteObject(ApacheSiteParser.Parse(string.Join("\n", _lines), allowDirectives: AllowDirective), enumerateCollection: true);
}
