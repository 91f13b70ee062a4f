using System.Management.Automation;
using System;
using System.Collections.Generic;

namespace HomeTunnel.Hosts;

[Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
public enum ChangeState
{
    Unchanged,
    Created,
    Changed,
    Removed,
    Failed,
}

/// <summary>What an apply did on one host: the state, the commands it ran and (redacted) what differed.</summary>
public sealed class HostChangeResult
{
    public string Host { get; init; } = string.Empty;
    public string Kind { get; init; } = string.Empty;
    public string Name { get; init; } = string.Empty;
    public ChangeState State { get; init; }
    public IReadOnlyList<string> Actions { get; init; } = Array.Empty<string>();
    public string Diff { get; init; } = string.Empty;
    /// <summary>In JSON as DurationMs.</summary>
    [Newtonsoft.Json.JsonIgnore, Hidden]
    public TimeSpan Duration { get; init; }
    public double DurationMs => Math.Round(Duration.TotalMilliseconds, 1);

    public override string ToString() => $"{Host} {Kind} {Name}: {State}";
}
