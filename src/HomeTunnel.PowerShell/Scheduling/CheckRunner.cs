using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace HomeTunnel.Scheduling;

/// <summary>
/// What a scheduled run does with its results, after Test-TunnelPath: one log line per name, the state beside
/// the log, notices to the targets that need to hear (in parallel, bounded by one deadline), a line per
/// delivery, and the metrics file. Plain C#, so the decisions are tested without a scheduler.
/// </summary>
public static class CheckRunner
{
    public static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(5);
    public const int Attempts = 3;

    /// <summary>All deliveries of a run end within this, whatever the receivers do.</summary>
    public static readonly TimeSpan NotifyDeadline = TimeSpan.FromSeconds(25);

    private static readonly Lazy<HttpClient> Client = new(() => new HttpClient(new SocketsHttpHandler
    {
        ConnectTimeout = AttemptTimeout,
        AllowAutoRedirect = false, // a redirect could carry the token somewhere else
    })
    { Timeout = Timeout.InfiniteTimeSpan });

    public static IReadOnlyList<CheckDelivery> Record(CheckData data, IReadOnlyList<CheckRecord> records, DateTimeOffset now, HttpClient? http = null,
        TimeSpan? deadline = null, CancellationToken stop = default)
    {
        AppendLog(data.LogPath, records.Select(r => r.ToJsonLine()));
        string statePath = CheckState.PathFor(data.LogPath);
        CheckState state = CheckState.Load(statePath);
        TimeSpan reminder = TimeSpan.FromHours(data.ReminderHours);
        var sends = new List<(NotifyTarget Target, CheckNotice Notice, CheckNameState Name, string Id)>();
        foreach (CheckRecord r in records)
        {
            string previous = state.Names.TryGetValue(r.ServerName, out CheckNameState? before) ? before.Status : "Pass";
            CheckNameState name = state.Observe(r.ServerName, r.Status, now);
            // -FailoverAddress: the relay's address out of the name after N failed runs, back after M passing ones.
            if (data.Failover is { } failover && failover.Decide(name) is var action && action != CheckFailover.Action.None)
            {
                bool wasOut = name.Withdrawn;
                string said = failover.Apply(action, r.ServerName, name, stop);
                AppendLog(data.LogPath, new[] { JsonSerializer.Serialize(new { Type = "Failover", Time = now, Check = data.Name, r.ServerName, Action = action.ToString(), failover.Address, Withdrawn = name.Withdrawn, Detail = said }) });
                if (name.Withdrawn != wasOut)
                {
                    CheckEvent e = name.Withdrawn ? CheckEvent.Withdrawn : CheckEvent.Restored;
                    foreach (NotifyTarget target in data.Notify)
                    {
                        sends.Add((target, new CheckNotice(data.Name, r.ServerName, e, r.Status, previous, r.FailedHop, said, r.Remedy, now), name, "failover"));
                    }
                }
            }
            foreach (NotifyTarget target in data.Notify)
            {
                string id = CheckState.TargetId(target);
                CheckEvent e = CheckState.Decide(name, id, now, reminder);
                if (e != CheckEvent.None || target.Kind == NotifyKind.Healthchecks)
                {
                    sends.Add((target, new CheckNotice(data.Name, r.ServerName, e, r.Status, previous, r.FailedHop, r.Detail, r.Remedy, now), name, id));
                }
            }
        }
        var deliveries = new List<CheckDelivery>();
        if (sends.Count > 0)
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(stop);
            cts.CancelAfter(deadline ?? NotifyDeadline);
            HttpClient client = http ?? Client.Value;
            var tasks = sends.Select(s => CheckNotifier.SendAsync(client, s.Target, s.Notice, AttemptTimeout, Attempts, cts.Token)).ToArray();
            Task.WaitAll(tasks.Cast<Task>().ToArray(), (deadline ?? NotifyDeadline) + TimeSpan.FromSeconds(2));
            for (int i = 0; i < sends.Count; i++)
            {
                CheckDelivery d = tasks[i].IsCompletedSuccessfully ? tasks[i].Result
                    : new CheckDelivery(sends[i].Target.Display, sends[i].Target.Kind, sends[i].Notice.ServerName, sends[i].Notice.Event, false, 0, "the check's deadline passed", deadline ?? NotifyDeadline);
                deliveries.Add(d);
                if (d.Delivered)
                {
                    CheckState.Told(sends[i].Name, sends[i].Id, now);
                }
            }
            // News and failures are logged; a healthchecks ping that went through every run is not news.
            AppendLog(data.LogPath, deliveries.Where(d => !d.Delivered || d.Event != CheckEvent.None).Select(d => JsonSerializer.Serialize(new
            {
                Type = "Notify",
                Time = now,
                Check = data.Name,
                d.ServerName,
                Event = d.Event.ToString(),
                d.Target,
                Kind = d.Kind.ToString(),
                d.Delivered,
                d.Attempts,
                d.Error,
                DurationMs = Math.Round(d.Took.TotalMilliseconds, 1),
            })));
        }
        state.Save(statePath);
        if (data.MetricsPath is { } metrics)
        {
            CheckMetrics.Write(metrics, CheckMetrics.Render(data.Name, records, now));
        }
        return deliveries;
    }

    public static void AppendLog(string path, IEnumerable<string> lines)
    {
        string[] all = lines.ToArray();
        if (all.Length == 0 || path.Length == 0)
        {
            return;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(path) ?? ".");
        // The log holds what receivers and hosts answered: 0600 from its creation on, never written through a link
        // or into a FIFO or device.
        PathKind kind = FileKind.Of(path);
        if (kind is not (PathKind.Regular or PathKind.Missing))
        {
            throw new HomeTunnelException("NotARegularFile", ErrorKind.InvalidArgument, $"The check's log '{path}' is not a regular file (a link, a pipe or a device); nothing was written to it.", path);
        }
        var options = new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.Read };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = Files.OwnerOnly;
        }
        using (var stream = new FileStream(path, options))
        using (var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false)))
        {
            foreach (string line in all)
            {
                writer.Write(line);
                writer.Write('\n');
            }
        }
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
        {
            File.SetUnixFileMode(path, Files.OwnerOnly);
        }
    }
}
