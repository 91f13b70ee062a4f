using System;
using System.Collections.Generic;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace HomeTunnel.Scheduling;

/// <summary>What one name looked like at the last run, and what each notify target was last told about it.</summary>
public sealed class CheckNameState
{
    public string Status { get; set; } = "Pass";
    public DateTimeOffset Since { get; set; }

    /// <summary>Per target (by <see cref="CheckState.TargetId"/>): the status it was last told, and when.</summary>
    public Dictionary<string, CheckToldState> Told { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Runs in a row that failed, and that did not (a check with -FailoverAddress counts them).</summary>
    public int FailStreak { get; set; }
    public int PassStreak { get; set; }

    /// <summary>Whether this check took its relay's address out of the name's records.</summary>
    public bool Withdrawn { get; set; }
}

public sealed class CheckToldState
{
    public string Status { get; set; } = "Pass";
    public DateTimeOffset At { get; set; }
}

/// <summary>What to send a target about a name this run.</summary>
[Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
public enum CheckEvent
{
    None,
    Down,
    Warn,
    Recovered,
    Reminder,
    /// <summary>The check's relay was taken out of the name's records, or put back (-FailoverAddress).</summary>
    Withdrawn,
    Restored,
}

/// <summary>
/// A scheduled check's memory between runs, kept beside its log (<c>&lt;log&gt;.state.json</c>, 0600): each name's
/// last status, and what each notify target was last told. A target that was not reached is told again on the
/// next run; one that was is told again only when the status changes, or as a reminder while it stays failed.
/// </summary>
public sealed class CheckState
{
    public Dictionary<string, CheckNameState> Names { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public static string PathFor(string logPath) => Path.ChangeExtension(logPath, ".state.json");

    /// <summary>A target's key in the state: a hash of its URI, so the state file names no token.</summary>
    public static string TargetId(NotifyTarget target) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(target.Reveal())))[..16].ToLowerInvariant();

    public static CheckState Load(string path)
    {
        try
        {
            return File.Exists(path) ? Clean(JsonSerializer.Deserialize<CheckState>(Files.ReadText(path))) : new CheckState();
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException or NotSupportedException or HomeTunnelException)
        {
            return new CheckState(); // a damaged state only means the next change is told once more
        }
    }

    /// <summary>A state as JSON may hold it (nulls anywhere, other key comparers) made whole: nothing in it can stop a run.</summary>
    private static CheckState Clean(CheckState? loaded)
    {
        var clean = new CheckState();
        foreach (var (name, s) in loaded?.Names ?? new Dictionary<string, CheckNameState>())
        {
            if (name is null || s is null)
            {
                continue;
            }
            var told = new Dictionary<string, CheckToldState>(StringComparer.Ordinal);
            foreach (var (id, t) in s.Told ?? new Dictionary<string, CheckToldState>())
            {
                if (id is not null && t is not null)
                {
                    told[id] = new CheckToldState { Status = t.Status ?? "Pass", At = t.At };
                }
            }
            clean.Names[name] = new CheckNameState
            {
                Status = s.Status ?? "Pass", Since = s.Since, Told = told,
                FailStreak = Math.Max(0, s.FailStreak), PassStreak = Math.Max(0, s.PassStreak), Withdrawn = s.Withdrawn,
            };
        }
        return clean;
    }

    /// <summary>Written 0600 through the project's one atomic write (Files.WriteTextAtomic).</summary>
    public void Save(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path) ?? ".");
        Files.WriteTextAtomic(path, JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true }), ownerOnly: true, overwrite: true);
    }

    /// <summary>Records a name's status this run (its Since moves only when it changes).</summary>
    public CheckNameState Observe(string serverName, string status, DateTimeOffset now)
    {
        if (!Names.TryGetValue(serverName, out CheckNameState? s))
        {
            s = new CheckNameState { Status = status, Since = now };
            Names[serverName] = s;
        }
        else if (s.Status != status)
        {
            s.Status = status;
            s.Since = now;
        }
        if (status == "Fail")
        {
            s.FailStreak++;
            s.PassStreak = 0;
        }
        else
        {
            s.PassStreak++;
            s.FailStreak = 0;
        }
        return s;
    }

    /// <summary>
    /// What a target should hear now. Unknown targets count as told "Pass", so a healthy first run is silent and
    /// a failing one is news. Fail and Error are both "down".
    /// </summary>
    public static CheckEvent Decide(CheckNameState name, string targetId, DateTimeOffset now, TimeSpan reminder)
    {
        CheckToldState told = name.Told.TryGetValue(targetId, out CheckToldState? t) ? t : new CheckToldState { Status = "Pass", At = DateTimeOffset.MinValue };
        bool down = IsDown(name.Status);
        if (Same(told.Status, name.Status))
        {
            return down && reminder > TimeSpan.Zero && now - told.At >= reminder ? CheckEvent.Reminder : CheckEvent.None;
        }
        return down ? CheckEvent.Down : name.Status == "Warn" ? CheckEvent.Warn : CheckEvent.Recovered;
    }

    public static void Told(CheckNameState name, string targetId, DateTimeOffset now) =>
        name.Told[targetId] = new CheckToldState { Status = name.Status, At = now };

    public static bool IsDown(string status) => status is "Fail" or "Error";

    /// <summary>Fail and Error are the same news to whoever listens: the service is down.</summary>
    private static bool Same(string a, string b) => a == b || (IsDown(a) && IsDown(b));
}
