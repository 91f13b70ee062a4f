using System;
using System.Collections;
using System.Collections.Generic;

namespace HomeTunnel.Hosts;

/// <summary>
/// What the module decided from a host's facts: whether anything changes, the plan the agent's worker
/// applies (as it crosses the session), the files for the diff, or why nothing may be done at all.
/// </summary>
public sealed class HostPlan
{
    public bool Changed { get; init; }
    /// <summary>The kind's plan record (Hosts/Contract/Plans.cs): null when nothing is planned (a refusal).</summary>
    public object? Plan { get; init; }
    public IReadOnlyList<HostFileFact> Files { get; init; } = Array.Empty<HostFileFact>();

    /// <summary>Set when the change is refused (NotOwnedByHomeTunnel, ServerNameTaken): nothing is applied.</summary>
    public string? ErrorId { get; init; }
    public string Message { get; init; } = string.Empty;

    /// <summary>The offending value of a refusal (a forward's key, an address); the host when null.</summary>
    public object? Target { get; init; }

    public const string Marker = Ownership.Marker;

    public static HostPlan Refused(string errorId, string message, object? target = null) =>
        new() { ErrorId = errorId, Message = message, Target = target };
}
