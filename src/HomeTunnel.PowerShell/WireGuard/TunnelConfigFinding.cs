using System.Management.Automation;

namespace HomeTunnel.WireGuard;

[Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
public enum FindingSeverity
{
    Warning,
    Error,
}

/// <summary>One problem Test-TunnelConfig found: which check, about what, and the offending value.</summary>
public sealed record TunnelConfigFinding(FindingSeverity Severity, string Check, string Subject, string Message, [property: Newtonsoft.Json.JsonIgnore, Hidden] object? Target)
{
    public override string ToString() => $"{Severity} {Check} ({Subject}): {Message}";
}
