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

    protected override void Process() => _lines.Add(InputObject);

    protected override void End() => WriteObject(ApacheSiteParser.Parse(string.Join("\n", _lines)), enumerateCollection: true);
}
