using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using HomeTunnel.Scheduling;

namespace HomeTunnel.Cmdlets;

/// <summary>A registered check, as Get-TunnelPathCheck lists it: what it covers, where news goes (redacted), and its last results.</summary>
public sealed class TunnelPathCheckInfo
{
    public string Name { get; init; } = string.Empty;
    public string[] ServerNames { get; init; } = Array.Empty<string>();
    public int IntervalMinutes { get; init; }
    public string Scheduler { get; init; } = string.Empty;
    public string[] NotifyTargets { get; init; } = Array.Empty<string>();
    public double ReminderHours { get; init; }
    public string? MetricsPath { get; init; }
    public string LogPath { get; init; } = string.Empty;
    public string ScriptPath { get; init; } = string.Empty;

    /// <summary>The status of the last run: the worst of its names (Error, Fail, Warn, Pass), or empty before the first run.</summary>
    public string LastStatus { get; init; } = string.Empty;
    public DateTimeOffset? LastRun { get; init; }

    /// <summary>The results asked for (-Last, -Since); not in JSON: the log itself is one JSON line per result.</summary>
    [Newtonsoft.Json.JsonIgnore, Hidden]
    public CheckRecord[] Results { get; init; } = Array.Empty<CheckRecord>();

    public override string ToString() => $"{Name}: {string.Join(", ", ServerNames)} every {IntervalMinutes} min ({(LastStatus.Length > 0 ? LastStatus : "not run yet")})";
}

/// <summary>
/// Lists the checks Register-TunnelPathCheck installed for the current user (root: the system's), with the last
/// results from each check's log: -Last N runs per name, or every result -Since a time. Notify targets show
/// only their scheme and host.
/// </summary>
[Cmdlet(VerbsCommon.Get, "TunnelPathCheck")]
[OutputType(typeof(TunnelPathCheckInfo))]
public sealed class GetTunnelPathCheckCommand : HomeTunnelCmdlet
{
    /// <summary>Check names, wildcards allowed; all checks when absent.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(CheckNameCompleter))]
    public string[]? Name { get; set; }

    /// <summary>How many runs per name to read back from the log.</summary>
    [Parameter]
    [ValidateRange(0, 10000)]
    public int Last { get; set; } = 1;

    /// <summary>Every result since this time (instead of -Last).</summary>
    [Parameter]
    public DateTime? Since { get; set; }

    /// <summary>How much of a log's end is read: enough for thousands of runs, bounded for a log that grew for years.</summary>
    private const long TailBytes = 8 * 1024 * 1024;

    protected override void Process()
    {
        string dir = CheckLocations.ForCurrentUser().ScriptDirectory;
        if (!Directory.Exists(dir))
        {
            return;
        }
        var wanted = Matcher(Name);
        foreach (string dataPath in Directory.GetFiles(dir, "*.json").Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileNameWithoutExtension(dataPath);
            string script = Path.ChangeExtension(dataPath, ".ps1");
            if (!wanted(name) || !IsOurs(script))
            {
                continue;
            }
            CheckData data;
            try
            {
                data = CheckData.Load(dataPath);
            }
            catch (HomeTunnelException e)
            {
                WriteError(ToErrorRecord(e));
                continue;
            }
            CheckRecord[] results = ReadResults(data.LogPath);
            DateTimeOffset? lastRun = results.Length > 0 ? results.Max(r => r.Time) : null;
            string lastStatus = lastRun is null ? string.Empty
                : results.Where(r => r.Time >= lastRun.Value.AddSeconds(-60)).Select(r => r.Status).OrderByDescending(Severity).First();
            WriteObject(new TunnelPathCheckInfo
            {
                Name = data.Name.Length > 0 ? data.Name : name,
                ServerNames = data.ServerNames.ToArray(),
                IntervalMinutes = data.IntervalMinutes,
                Scheduler = data.Scheduler,
                NotifyTargets = data.Notify.Select(n => n.ToString()).ToArray(),
                ReminderHours = data.ReminderHours,
                MetricsPath = data.MetricsPath,
                LogPath = data.LogPath,
                ScriptPath = script,
                LastStatus = lastStatus,
                LastRun = lastRun,
                Results = results,
            });
        }
    }

    private static int Severity(string status) => status switch { "Error" => 3, "Fail" => 2, "Warn" => 1, _ => 0 };

    private static bool IsOurs(string script)
    {
        try
        {
            using var reader = new StreamReader(script);
            return (reader.ReadLine() ?? string.Empty).StartsWith(TunnelPathCheckPlan.Marker, StringComparison.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private CheckRecord[] ReadResults(string log)
    {
        if (log.Length == 0 || !File.Exists(log))
        {
            return Array.Empty<CheckRecord>();
        }
        var records = new List<CheckRecord>();
        using (var fs = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        {
            bool cut = fs.Length > TailBytes;
            fs.Seek(Math.Max(0, fs.Length - TailBytes), SeekOrigin.Begin);
            using var reader = new StreamReader(fs);
            if (cut)
            {
                reader.ReadLine(); // the first line read is only the end of one
            }
            while (reader.ReadLine() is { } line)
            {
                if (CheckRecord.Parse(line) is { } r)
                {
                    records.Add(r);
                }
            }
        }
        if (Since is { } since)
        {
            DateTimeOffset from = new(since.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(since, DateTimeKind.Local) : since);
            return records.Where(r => r.Time >= from).ToArray();
        }
        return records.GroupBy(r => r.ServerName, StringComparer.OrdinalIgnoreCase)
            .SelectMany(g => g.TakeLast(Last)).OrderBy(r => r.Time).ToArray();
    }
}
