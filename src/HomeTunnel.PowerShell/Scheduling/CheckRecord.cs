using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Serialization;
using HomeTunnel.Probes;

namespace HomeTunnel.Scheduling;

/// <summary>One hop of a logged run.</summary>
public sealed class CheckHopRecord
{
    public string Hop { get; set; } = string.Empty;
    public string Status { get; set; } = string.Empty;
    public double DurationMs { get; set; }
    public string Detail { get; set; } = string.Empty;
    public string Remedy { get; set; } = string.Empty;
}

/// <summary>
/// One name's result of one scheduled run, as the check's log keeps it (one JSON line) and as
/// Invoke-TunnelPathCheck and Get-TunnelPathCheck return it. Status is Pass, Warn, Fail, or Error when the
/// check itself could not run (a key file gone, the module missing).
/// </summary>
public sealed class CheckRecord
{
    public DateTimeOffset Time { get; set; }
    public string Check { get; set; } = string.Empty;
    public string ServerName { get; set; } = string.Empty;
    public string Status { get; set; } = string.Empty;
    public string FailedHop { get; set; } = string.Empty;
    public string Remedy { get; set; } = string.Empty;
    public int ExitCode { get; set; }
    public double DurationMs { get; set; }
    public double? HandshakeAgeSeconds { get; set; }
    public double? CertificateDaysLeft { get; set; }
    public List<CheckHopRecord> Hops { get; set; } = new();

    public override string ToString() => FailedHop.Length > 0 ? $"{ServerName}: {Status} at {FailedHop}" : $"{ServerName}: {Status}";

    public static CheckRecord From(string check, TunnelPathResult r) => new()
    {
        Time = r.CheckedAt,
        Check = check,
        ServerName = r.ServerName,
        Status = r.Status.ToString(),
        FailedHop = r.FailedHop?.ToString() ?? string.Empty,
        Remedy = r.Remedy,
        ExitCode = r.Status == HopStatus.Fail ? 1 : 0,
        DurationMs = r.DurationMs,
        HandshakeAgeSeconds = r.HandshakeAgeSeconds,
        CertificateDaysLeft = r.CertificateDaysLeft,
        Hops = r.Hops.Select(h => new CheckHopRecord { Hop = h.Hop.ToString(), Status = h.Status.ToString(), DurationMs = h.DurationMs, Detail = h.Detail, Remedy = h.Remedy }).ToList(),
    };

    public static CheckRecord Failed(string check, string serverName, string why, DateTimeOffset now) => new()
    {
        Time = now, Check = check, ServerName = serverName, Status = "Error", Remedy = why, ExitCode = 2,
    };

    /// <summary>The detail of the first failing (or warning) hop: what a notice says happened.</summary>
    public string Detail => Hops.FirstOrDefault(h => h.Status == "Fail")?.Detail ?? Hops.FirstOrDefault(h => h.Status == "Warn")?.Detail ?? (Status == "Error" ? Remedy : string.Empty);

    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public string ToJsonLine() => JsonSerializer.Serialize(new LogLine { Type = "Result", Result = this }.Flatten(), Json);

    /// <summary>A line of the log read back: a result (lines from older versions have no Type), or null for another kind of line.</summary>
    public static CheckRecord? Parse(string line)
    {
        try
        {
            using JsonDocument doc = JsonDocument.Parse(line);
            if (doc.RootElement.ValueKind != JsonValueKind.Object || (doc.RootElement.TryGetProperty("Type", out JsonElement t) && t.GetString() != "Result")
                || !doc.RootElement.TryGetProperty("ServerName", out _))
            {
                return null;
            }
            return doc.RootElement.Deserialize<CheckRecord>();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private sealed class LogLine
    {
        public string Type { get; set; } = "Result";
        public CheckRecord Result { get; set; } = null!;

        public Dictionary<string, object?> Flatten()
        {
            var d = new Dictionary<string, object?> { ["Type"] = Type };
            foreach (var p in typeof(CheckRecord).GetProperties().Where(p => p.CanWrite))
            {
                d[p.Name] = p.GetValue(Result);
            }
            return d;
        }
    }
}
