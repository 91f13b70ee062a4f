using System.Management.Automation;
using System;

namespace HomeTunnel.Probes;

/// <summary>One row of Test-TunnelPath: a hop, how it fared, what was seen and what to do.</summary>
public sealed class TunnelPathHopResult
{
    public string ServerName { get; init; } = string.Empty;
    public TunnelHop Hop { get; init; }
    public HopStatus Status { get; init; }
    /// <summary>In JSON as DurationMs.</summary>
    [Newtonsoft.Json.JsonIgnore, Hidden]
    public TimeSpan Duration { get; init; }
    public double DurationMs => Math.Round(Duration.TotalMilliseconds, 1);
    public string Detail { get; init; } = string.Empty;
    public string Remedy { get; init; } = string.Empty;

    public override string ToString() => $"{Hop}: {Status} {Detail}";

    internal static TunnelPathHopResult Make(string name, TunnelHop hop, HopStatus status, TimeSpan duration, string detail, string remedy = "") =>
        new() { ServerName = name, Hop = hop, Status = status, Duration = duration, Detail = detail, Remedy = status is HopStatus.Pass or HopStatus.Skipped ? string.Empty : remedy };
}
