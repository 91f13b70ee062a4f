using System;
using System.Collections.Generic;

namespace HomeTunnel.Hosts;

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
    public TimeSpan Duration { get; init; }

    public override string ToString() => $"{Host} {Kind} {Name}: {State}";
}
