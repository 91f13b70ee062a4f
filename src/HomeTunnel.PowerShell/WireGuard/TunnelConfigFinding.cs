namespace HomeTunnel.WireGuard;

public enum FindingSeverity
{
    Warning,
    Error,
}

/// <summary>One problem Test-TunnelConfig found: which check, about what, and the offending value.</summary>
public sealed record TunnelConfigFinding(FindingSeverity Severity, string Check, string Subject, string Message, object? Target)
{
    public override string ToString() => $"{Severity} {Check} ({Subject}): {Message}";
}
