using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;

namespace HomeTunnel.Scheduling;

/// <summary>
/// A registered check's values, as its 0600 data file beside the script holds them (TunnelPathCheckPlan.Data):
/// what Invoke-TunnelPathCheck runs and Get-TunnelPathCheck lists. The notify URIs are only here.
/// </summary>
public sealed class CheckData
{
    public string Name { get; init; } = string.Empty;
    public IReadOnlyList<string> ServerNames { get; init; } = Array.Empty<string>();
    public string ModulePath { get; init; } = string.Empty;
    public string LogPath { get; init; } = string.Empty;
    public string? MetricsPath { get; init; }
    public int IntervalMinutes { get; init; }
    public string Scheduler { get; init; } = string.Empty;
    public double ReminderHours { get; init; }
    public IReadOnlyList<NotifyTarget> Notify { get; init; } = Array.Empty<NotifyTarget>();
    public Dictionary<string, object> Parameters { get; init; } = new(StringComparer.OrdinalIgnoreCase);
    public string DataPath { get; init; } = string.Empty;

    /// <summary>With -FailoverAddress: the relay's address this check keeps in the name's records.</summary>
    public CheckFailover? Failover { get; init; }

    public static CheckData Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HomeTunnelException("CheckNotFound", ErrorKind.ObjectNotFound, $"The check's data file '{path}' cannot be read: {e.Message}", path);
        }
        try
        {
            using JsonDocument doc = JsonDocument.Parse(text);
            JsonElement root = doc.RootElement;
            string Str(string key) => root.TryGetProperty(key, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString() ?? string.Empty : string.Empty;
            var names = root.TryGetProperty("ServerNames", out JsonElement sn) && sn.ValueKind == JsonValueKind.Array
                ? sn.EnumerateArray().Select(e => e.GetString() ?? string.Empty).Where(s => s.Length > 0).ToArray()
                : new[] { Str("ServerName") };
            var notify = root.TryGetProperty("Notify", out JsonElement n) && n.ValueKind == JsonValueKind.Array
                ? n.EnumerateArray().Select(e => NotifyTarget.Parse(e.GetProperty("Uri").GetString(),
                    Enum.TryParse(e.GetProperty("Kind").GetString(), out NotifyKind k) ? k : NotifyKind.Auto)).ToArray()
                : Array.Empty<NotifyTarget>();
            var parameters = new Dictionary<string, object>(StringComparer.OrdinalIgnoreCase);
            if (root.TryGetProperty("Parameters", out JsonElement p) && p.ValueKind == JsonValueKind.Object)
            {
                foreach (JsonProperty prop in p.EnumerateObject())
                {
                    parameters[prop.Name] = prop.Value.ValueKind switch
                    {
                        JsonValueKind.String => prop.Value.GetString()!,
                        JsonValueKind.Number => prop.Value.GetInt32(),
                        JsonValueKind.True => true,
                        JsonValueKind.False => false,
                        JsonValueKind.Array => prop.Value.EnumerateArray().Select(x => x.GetInt32()).ToArray(),
                        _ => throw new JsonException($"'{prop.Name}' has a value a check cannot hold"),
                    };
                }
            }
            return new CheckData
            {
                Name = Str("Name"),
                ServerNames = names,
                ModulePath = Str("ModulePath"),
                LogPath = Str("LogPath"),
                MetricsPath = Str("MetricsPath") is { Length: > 0 } m ? m : null,
                IntervalMinutes = root.TryGetProperty("IntervalMinutes", out JsonElement i) && i.ValueKind == JsonValueKind.Number ? i.GetInt32() : 0,
                Scheduler = Str("Scheduler"),
                ReminderHours = root.TryGetProperty("ReminderHours", out JsonElement r) && r.ValueKind == JsonValueKind.Number ? r.GetDouble() : 0,
                Notify = notify,
                Parameters = parameters,
                DataPath = path,
                Failover = root.TryGetProperty("Failover", out JsonElement f) && f.ValueKind == JsonValueKind.Object
                    ? new CheckFailover
                    {
                        Address = f.GetProperty("Address").GetString() ?? string.Empty,
                        DnsServer = f.GetProperty("DnsServer").GetString() ?? string.Empty,
                        KeyFile = f.GetProperty("KeyFile").GetString() ?? string.Empty,
                        After = f.GetProperty("After").GetInt32(),
                        RestoreAfter = f.GetProperty("RestoreAfter").GetInt32(),
                    }
                    : null,
            };
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            throw new HomeTunnelException("CheckDataInvalid", ErrorKind.InvalidData, $"The check's data file '{path}' is not one Register-TunnelPathCheck wrote: {e.Message}", path);
        }
    }
}
