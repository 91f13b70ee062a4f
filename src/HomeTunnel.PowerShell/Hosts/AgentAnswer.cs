using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;

namespace HomeTunnel.Hosts;

/// <summary>
/// One answer of the agent, read once from the JSON that crossed (one string each way): its envelope
/// (state, error, actions) held to the members its state has and to their types, the kind's data kept as
/// <see cref="Body"/> for the kinds' typed contracts (<see cref="Contract.AgentContract"/>).
/// </summary>
public sealed class AgentAnswer
{
    public string State { get; init; } = string.Empty;
    public string? ErrorId { get; init; }
    public string Message { get; init; } = string.Empty;
    public string Command { get; init; } = string.Empty;
    public string Stderr { get; init; } = string.Empty;
    public IReadOnlyList<string> Actions { get; init; } = Array.Empty<string>();

    /// <summary>The answer as it crossed (a detached copy), for the typed contracts.</summary>
    public JsonElement Body { get; init; }

    /// <summary>The host's facts, in a Facts or Stale answer: what the module plans from (read by each kind's contract).</summary>
    public JsonElement? FactsJson => Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty("Facts", out JsonElement f) && f.ValueKind == JsonValueKind.Object ? f : null;

    /// <summary>The fingerprint of those facts: an apply is done only if the host still matches it.</summary>
    public string Fingerprint { get; init; } = string.Empty;

    /// <summary>States that carry data rather than an outcome: no error, no change result.</summary>
    public bool IsData => State is "Read" or "Facts" or "Stale";

    public static AgentAnswer Failure(string errorId, string message) => new() { State = nameof(ChangeState.Failed), ErrorId = errorId, Message = message };

    /// <summary>The change state; an answer this module does not know is a failure, never a silent success.</summary>
    public ChangeState ChangeState => Enum.TryParse(State, out ChangeState s) && Enum.IsDefined(s) ? s : ChangeState.Failed;

    /// <summary>The members each state's envelope has, exactly (a Read answer's other members are its kind's data).</summary>
    private static readonly Dictionary<string, string[]> Envelopes = new(StringComparer.Ordinal)
    {
        ["Facts"] = new[] { "Version", "State", "Facts", "Fingerprint" },
        ["Stale"] = new[] { "Version", "State", "Facts", "Fingerprint", "Actions" },
        ["Failed"] = new[] { "Version", "State", "ErrorId", "Message", "Command", "Stderr", "Actions" },
        ["Created"] = new[] { "Version", "State", "Actions" },
        ["Changed"] = new[] { "Version", "State", "Actions" },
        ["Unchanged"] = new[] { "Version", "State", "Actions" },
        ["Removed"] = new[] { "Version", "State", "Actions" },
    };

    /// <summary>
    /// Reads an answer's JSON, held to the format's version and to its state's envelope: an answer in another version,
    /// not JSON, in a state this module does not know, or with a member missing or unknown is refused (an error, never
    /// read as if it were right).
    /// </summary>
    public static AgentAnswer Parse(string json, string hostName)
    {
        JsonElement body;
        try
        {
            using var doc = JsonDocument.Parse(json);
            body = doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw Contract.AgentContract.Invalid(hostName, $"it is not JSON ({e.Message})");
        }
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw Contract.AgentContract.Invalid(hostName, "it is not a JSON object");
        }
        if (!body.TryGetProperty("Version", out JsonElement v) || v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int version) || version != AgentRequest.ProtocolVersion)
        {
            throw new HomeTunnelException("UnsupportedAgentVersion", ErrorKind.InvalidData,
                $"{hostName}: the agent answered in another version of the format ('{(body.TryGetProperty("Version", out JsonElement w) ? w.ToString() : string.Empty)}'; this module reads {AgentRequest.ProtocolVersion}).", hostName);
        }
        string state = body.TryGetProperty("State", out JsonElement st) && st.ValueKind == JsonValueKind.String ? st.GetString()! : string.Empty;
        var members = body.EnumerateObject().Select(p => p.Name).ToList();
        if (Envelopes.TryGetValue(state, out string[]? envelope))
        {
            string[] missing = envelope.Except(members, StringComparer.Ordinal).ToArray();
            string[] unknown = members.Except(envelope, StringComparer.Ordinal).ToArray();
            if (missing.Length > 0 || unknown.Length > 0)
            {
                throw Contract.AgentContract.Invalid(hostName, $"a '{state}' answer {(missing.Length > 0 ? "without " + string.Join(", ", missing) : string.Empty)}{(missing.Length > 0 && unknown.Length > 0 ? " and " : string.Empty)}{(unknown.Length > 0 ? "with unknown " + string.Join(", ", unknown) : string.Empty)}");
            }
        }
        else if (state != "Read")
        {
            throw Contract.AgentContract.Invalid(hostName, $"its state '{HostText.Printable(state)}' is none this module knows");
        }
        return new AgentAnswer
        {
            State = state,
            ErrorId = Text(body, "ErrorId", hostName) is { Length: > 0 } id ? id : null,
            Message = Text(body, "Message", hostName),
            Command = Text(body, "Command", hostName),
            Stderr = Text(body, "Stderr", hostName),
            Fingerprint = Text(body, "Fingerprint", hostName),
            Actions = body.TryGetProperty("Actions", out JsonElement actions) ? Texts(actions, hostName) : Array.Empty<string>(),
            Body = body,
        };
    }

    /// <summary>An envelope member that is text (empty when the state has no such member); any other type refuses the answer.</summary>
    private static string Text(JsonElement body, string member, string hostName) =>
        !body.TryGetProperty(member, out JsonElement e) ? string.Empty
        : e.ValueKind == JsonValueKind.String ? e.GetString()!
        : throw Contract.AgentContract.Invalid(hostName, $"its {member} is {e.ValueKind}, not text");

    private static string[] Texts(JsonElement list, string hostName) =>
        list.ValueKind == JsonValueKind.Array && list.EnumerateArray().All(x => x.ValueKind == JsonValueKind.String)
            ? list.EnumerateArray().Select(x => x.GetString()!).ToArray()
            : throw Contract.AgentContract.Invalid(hostName, "its Actions are not a list of text");
}
