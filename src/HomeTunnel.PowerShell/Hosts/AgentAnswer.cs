using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;

namespace HomeTunnel.Hosts;

/// <summary>What a host is: the facts the agent reports, from which platform decisions are made.</summary>
public sealed record HostProfile(string OsId, string OsLike, string OsVersion, string Init, string WebServer, string PackageManager, string WireGuard)
{
    public static HostProfile? From(object? value) => AgentValue.Unwrap(value) is Hashtable h
        ? new HostProfile(AgentValue.Text(h["OsId"]), AgentValue.Text(h["OsLike"]), AgentValue.Text(h["OsVersion"]), AgentValue.Text(h["Init"]),
            AgentValue.Text(h["WebServer"]), AgentValue.Text(h["PackageManager"]), AgentValue.Text(h["WireGuard"]))
        : null;

    public override string ToString() => $"{OsId} {OsVersion} ({Init}, {WebServer}, {PackageManager}, WireGuard {WireGuard})";
}

/// <summary>
/// One answer of the agent, typed: read once here from what crossed the session (PSObject-wrapped values,
/// a lone item where a list was sent), so no caller guesses at shapes. <see cref="Payload"/> keeps the
/// read-only answers' data (status, probes) for their own readers.
/// </summary>
public sealed class AgentAnswer
{
    public string State { get; init; } = string.Empty;
    public string? ErrorId { get; init; }
    public string Message { get; init; } = string.Empty;
    public string Command { get; init; } = string.Empty;
    public string Stderr { get; init; } = string.Empty;
    public IReadOnlyList<string> Actions { get; init; } = Array.Empty<string>();
    public Hashtable Payload { get; init; } = new();

    /// <summary>The host's facts, in a Facts or Stale answer: what the module plans from.</summary>
    public Hashtable? Facts => AgentValue.Unwrap(Payload["Facts"]) as Hashtable;

    /// <summary>The fingerprint of those facts: an apply is done only if the host still matches it.</summary>
    public string Fingerprint => AgentValue.Text(Payload["Fingerprint"]);

    /// <summary>States that carry data rather than an outcome: no error, no change result.</summary>
    public bool IsData => State is "Read" or "Facts" or "Stale";

    public static AgentAnswer Failure(string errorId, string message) => new() { State = nameof(ChangeState.Failed), ErrorId = errorId, Message = message };

    /// <summary>The change state; an answer this module does not know is a failure, never a silent success.</summary>
    public ChangeState ChangeState => Enum.TryParse(State, out ChangeState s) && Enum.IsDefined(s) ? s : ChangeState.Failed;

    public static AgentAnswer From(Hashtable h) => new()
    {
        State = AgentValue.Text(h["State"]),
        ErrorId = AgentValue.Text(h["ErrorId"]) is { Length: > 0 } id ? id : null,
        Message = AgentValue.Text(h["Message"]),
        Command = AgentValue.Text(h["Command"]),
        Stderr = AgentValue.Text(h["Stderr"]),
        Actions = AgentValue.Items(h["Actions"]).Select(AgentValue.Text).ToArray(),
        Payload = h,
    };
}
