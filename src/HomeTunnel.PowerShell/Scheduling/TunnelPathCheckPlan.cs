using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;

namespace HomeTunnel.Scheduling;

[Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
public enum CheckScheduler
{
    Auto,
    Systemd,
    Cron,
    TaskScheduler,
}

/// <summary>
/// Everything a scheduled path check is made of, rendered as text: the check script (Test-TunnelPath with
/// fixed parameters, one JSON line per run, exit code 1 on Fail), and the systemd units or cron line that
/// run it. Plain data so it is testable without a host; <see cref="CheckInstaller"/> puts it in place.
/// </summary>
public sealed partial class TunnelPathCheckPlan
{
    /// <summary>Test-TunnelPath parameters that can be fixed in a script (sessions cannot).</summary>
    /// <summary>The Test-TunnelPath parameters a check may fix (one list, the request's).</summary>
    private static IReadOnlySet<string> Allowed => HomeTunnel.Probes.TunnelPathRequest.CheckParameters;

    public string Name { get; init; } = string.Empty;
    /// <summary>The first name (setting it makes it the only one).</summary>
    public string ServerName
    {
        get => ServerNames.Count > 0 ? ServerNames[0] : string.Empty;
        init => ServerNames = new[] { value };
    }

    /// <summary>The names the check covers: all on one relay, checked in one run with one session per host.</summary>
    public IReadOnlyList<string> ServerNames { get; init; } = Array.Empty<string>();
    public int IntervalMinutes { get; init; }
    public CheckScheduler Scheduler { get; init; }

    /// <summary>Task Scheduler only: whom the task runs as.</summary>
    public CheckRunAs RunAs { get; init; }
    public IReadOnlyList<NotifyTarget> Notify { get; init; } = Array.Empty<NotifyTarget>();

    /// <summary>While a name stays down, a reminder after this many hours (0: none).</summary>
    public double ReminderHours { get; init; } = 24;
    public string? MetricsPath { get; init; }
    public string ModulePath { get; init; } = string.Empty;
    public string[] PwshCommand { get; init; } = Array.Empty<string>();
    public string ScriptPath { get; init; } = string.Empty;
    public string LogPath { get; init; } = string.Empty;
    public IReadOnlyDictionary<string, object> Parameters { get; init; } = new Dictionary<string, object>();

    /// <summary>With -FailoverAddress: the relay's address this check keeps in its names' records.</summary>
    public CheckFailover? Failover { get; init; }
    public string UnitName => $"hometunnel-check-{Name}";

    [GeneratedRegex(@"\A[A-Za-z0-9][A-Za-z0-9._-]{0,63}\z")]
    private static partial Regex NamePattern();

    public static string CheckName(string name)
    {
        if (!NamePattern().IsMatch(name) || name.Contains("..", StringComparison.Ordinal))
        {
            throw HomeTunnelException.Invalid("InvalidCheckName", $"'{name}' is not a check name: letters, digits, '.', '-' and '_', up to 64, starting with a letter or digit.", name);
        }
        return name;
    }

    /// <summary>
    /// The log a check appends to as root on every run, with text that came from the network in it: a file
    /// ending in .jsonl, .json or .log, outside the folders whose files the system runs or trusts (/etc
    /// holds cron.d, /root/.ssh authorized_keys).
    /// </summary>
    public static string CheckLogPath(string path)
    {
        bool okName = path.EndsWith(".jsonl", StringComparison.Ordinal) || path.EndsWith(".json", StringComparison.Ordinal) || path.EndsWith(".log", StringComparison.Ordinal);
        if (!okName || path.Any(char.IsControl) || InSystemFolder(path))
        {
            throw HomeTunnelException.Invalid("InvalidCheckLogPath",
                $"'{DnsName.Printable(path)}' cannot be a check's log: use a file ending in .jsonl, .json or .log outside /etc, /usr, /boot, /root/.ssh and the system's folders (default: /var/log/hometunnel).", path);
        }
        return path;
    }

    /// <summary>
    /// Folders a check may not write to as root (its log, its metrics): what the system runs or trusts (/etc holds
    /// cron.d, ~/.ssh authorized_keys), and the kernel's and devices' file systems.
    /// </summary>
    internal static bool InSystemFolder(string path) => InSystemFolderCanonical(Files.RealPath(path)) || InSystemFolderCanonical(path);

    private static bool InSystemFolderCanonical(string path) =>
        new[] { "/etc/", "/usr/", "/bin/", "/sbin/", "/lib", "/boot/", "/proc/", "/sys/", "/dev/", "/root/.ssh/", "/var/spool/" }.Any(r => path.StartsWith(r, StringComparison.Ordinal))
        || path.Contains("/.ssh/", StringComparison.Ordinal);

    /// <summary>Validates the fixed Test-TunnelPath parameters: known names, plain values only.</summary>
    public static Dictionary<string, object> CheckParameters(IDictionary? values)
    {
        var result = new Dictionary<string, object>(StringComparer.OrdinalIgnoreCase);
        if (values is null)
        {
            return result;
        }
        foreach (DictionaryEntry e in values)
        {
            string key = e.Key?.ToString() ?? string.Empty;
            if (!Allowed.Contains(key))
            {
                throw HomeTunnelException.Invalid("UnknownCheckParameter",
                    $"'{key}' cannot be fixed in a scheduled check. Allowed: {string.Join(", ", Allowed.Order())}. (Sessions cannot outlive this shell: give RelayHostName and UserName instead.)", key);
            }
            object? v = e.Value is System.Management.Automation.PSObject p ? p.BaseObject : e.Value;
            result[key] = v switch
            {
                string s when s.Length > 0 && !s.Any(char.IsControl) => s,
                int or long or short => Convert.ToInt32(v, CultureInfo.InvariantCulture),
                bool or System.Management.Automation.SwitchParameter => v is System.Management.Automation.SwitchParameter sw ? sw.IsPresent : v,
                int[] ints => ints,
                object[] arr when arr.All(x => (x is System.Management.Automation.PSObject q ? q.BaseObject : x) is int) =>
                    arr.Select(x => (int)(x is System.Management.Automation.PSObject q ? q.BaseObject : x)).ToArray(),
                _ => throw HomeTunnelException.Invalid("InvalidCheckParameterValue", $"The value of '{key}' must be a plain string (no control characters), number, switch or list of ports; got '{v}'.", v),
            };
        }
        return result;
    }

    /// <summary>The marker every file of a check starts with; Register and Unregister touch no file without it.</summary>
    public const string Marker = Ownership.Marker;

    /// <summary>Where the check's values live: beside the script, same name, .json.</summary>
    public string DataPath => System.IO.Path.ChangeExtension(ScriptPath, ".json");

    /// <summary>
    /// The check script. It is the same text for every check and holds no value of the user's: the server
    /// name, module, log and Test-TunnelPath's parameters are read as data from <see cref="DataPath"/>,
    /// so no quote character (PowerShell also ends strings at ‘ ’ ‚ ‛) can ever end a literal and start code.
    /// </summary>
    public string Script() => ScriptText;

    private const string ScriptText = Marker + @" (Register-TunnelPathCheck): one JSON line per name and run, notices on a change.
# The values of this check are data, in the .json file beside this script. Exit 0: every name passes (or warns);
# 1: a name fails; 2: the check could not run.
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$code = 2
$dataPath = [System.IO.Path]::ChangeExtension($PSCommandPath, '.json')
try {
    $data = [System.IO.File]::ReadAllText($dataPath) | ConvertFrom-Json -AsHashtable
    Import-Module -Name ([string] $data['ModulePath'])
    $records = @(Invoke-TunnelPathCheck -DataPath $dataPath)
    $code = if (@($records | Where-Object Status -EQ 'Error').Count) { 2 } elseif (@($records | Where-Object Status -EQ 'Fail').Count) { 1 } else { 0 }
}
catch {
    # The module itself could not run the check: this line is the only news.
    $log = if ($data) { [string] $data['LogPath'] } else { '' }
    if ($log) {
        $null = New-Item -ItemType Directory -Force -Path (Split-Path $log -Parent)
        $line = [ordered]@{ Type = 'Result'; Time = [DateTimeOffset]::UtcNow.ToString('o'); Check = [string] $data['Name']; ServerName = [string] $data['ServerName']; Status = 'Error'; FailedHop = ''; Remedy = ""$_""; ExitCode = 2 }
        Add-Content -LiteralPath $log -Value ($line | ConvertTo-Json -Compress)
    }
    [Console]::Error.WriteLine(""HomeTunnel check: $_"")
}
exit $code
";

    /// <summary>The check's values, as the script reads them.</summary>
    public string Data()
    {
        var parameters = new SortedDictionary<string, object>(StringComparer.Ordinal);
        foreach (var (key, value) in Parameters)
        {
            parameters[key] = value;
        }
        var data = new SortedDictionary<string, object?>(StringComparer.Ordinal)
        {
            ["Name"] = Name,
            ["ServerName"] = ServerName,
            ["ServerNames"] = ServerNames.ToArray(),
            ["ModulePath"] = ModulePath,
            ["LogPath"] = LogPath,
            ["MetricsPath"] = MetricsPath,
            ["IntervalMinutes"] = IntervalMinutes,
            ["Scheduler"] = Scheduler.ToString(),
            ["ReminderHours"] = ReminderHours,
            // The notify URIs (tokens) live only here, in this 0600 file.
            ["Notify"] = Notify.Select(n => new SortedDictionary<string, string>(StringComparer.Ordinal) { ["Uri"] = n.Reveal(), ["Kind"] = n.Kind.ToString() }).ToArray(),
            ["Parameters"] = parameters,
        };
        if (Failover is { } f)
        {
            // The key file's path, never the key.
            data["Failover"] = new SortedDictionary<string, object>(StringComparer.Ordinal)
            {
                ["Address"] = f.Address, ["DnsServer"] = f.DnsServer, ["KeyFile"] = f.KeyFile, ["After"] = f.After, ["RestoreAfter"] = f.RestoreAfter,
            };
        }
        return System.Text.Json.JsonSerializer.Serialize(data, new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    /// <summary>The command a scheduler runs, as one shell-quoted line (cron, systemd ExecStart).</summary>
    public string CommandLine() => string.Join(' ', CommandParts().Select(ShellQuote));

    /// <summary>The command as Windows' Task Scheduler stores it: each part quoted as CommandLineToArgvW reads it back.</summary>
    public string WindowsCommandLine() => string.Join(' ', CommandParts().Select(WindowsQuote));

    /// <summary>The command as a task's Exec holds it: the program, then its arguments (pwsh's window hidden when it would show).</summary>
    public string[] TaskCommand(bool hiddenWindow) =>
        hiddenWindow ? CommandParts(new[] { "-WindowStyle", "Hidden" }).ToArray() : CommandParts().ToArray();

    private IEnumerable<string> CommandParts(string[]? extra = null)
    {
        string[] parts = PwshCommand.Concat(extra ?? Array.Empty<string>()).Concat(new[] { "-NoProfile", "-NonInteractive", "-File", ScriptPath }).ToArray();
        foreach (string part in parts)
        {
            if (part.Length == 0 || part.Any(char.IsControl) || part.Contains('%'))
            {
                throw HomeTunnelException.Invalid("InvalidCheckCommand",
                    $"'{DnsName.Printable(part)}' cannot go into a scheduler's command line: it is empty or holds a control character or '%' (which cron and Task Scheduler expand).", part);
            }
        }
        return parts;
    }

    public static string ShellQuote(string s) =>
        s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || "/._-=:+,@".Contains(c)) ? s : "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>Quotes one argument the way CommandLineToArgvW (and so pwsh.exe) splits it again.</summary>
    public static string WindowsQuote(string s)
    {
        if (s.Length > 0 && !s.Any(c => c is ' ' or '\t' or '"'))
        {
            return s;
        }
        var sb = new StringBuilder("\"");
        int slashes = 0;
        foreach (char c in s)
        {
            if (c == '\\')
            {
                slashes++;
                continue;
            }
            sb.Append('\\', c == '"' ? (slashes * 2) + 1 : slashes);
            slashes = 0;
            sb.Append(c);
        }
        sb.Append('\\', slashes * 2).Append('"');
        return sb.ToString();
    }

    public string ServiceUnit() =>
        $"{Marker} (Register-TunnelPathCheck {Name})\n[Unit]\nDescription=HomeTunnel path check {Name}\nWants=network-online.target\nAfter=network-online.target\n\n" +
        $"[Service]\nType=oneshot\nExecStart={CommandLine().Replace("%", "%%", StringComparison.Ordinal)}\n";

    public string TimerUnit() =>
        $"{Marker} (Register-TunnelPathCheck {Name})\n[Unit]\nDescription=Every {IntervalMinutes} min: HomeTunnel path check {Name}\n\n" +
        $"[Timer]\nOnBootSec=1min\nOnUnitActiveSec={IntervalMinutes}min\nAccuracySec=15s\n\n[Install]\nWantedBy=timers.target\n";

    /// <summary>The cron schedule: every N minutes, as cron can say it (N divides 60, or whole hours).</summary>
    public string CronSchedule() => IntervalMinutes switch
    {
        < 60 => $"*/{IntervalMinutes} * * * *",
        _ when IntervalMinutes % 60 == 0 && IntervalMinutes < 1440 => $"0 */{IntervalMinutes / 60} * * *",
        1440 => "0 0 * * *",
        _ => throw new ArgumentOutOfRangeException(nameof(IntervalMinutes)),
    };

    /// <summary>
    /// The line for /etc/cron.d (with a user field) or a user's crontab (without). Cron ignores the exit code;
    /// the script prints nothing on a normal run, and only a check that could not run writes to stderr, which
    /// cron mails (MAILTO) where the host has a mailer.
    /// </summary>
    public string CronLine(bool systemFile) =>
        $"{CronSchedule()} {(systemFile ? "root " : string.Empty)}{CommandLine()} >/dev/null # HomeTunnel check {Name}";

    /// <summary>
    /// An interval the scheduler can keep: cron only divisors of 60 minutes or whole hours that divide a day; systemd and
    /// Task Scheduler any number of minutes up to 31 days (Task Scheduler's longest repetition, PT1M to P31D).
    /// </summary>
    public static int CheckInterval(int minutes, CheckScheduler scheduler = CheckScheduler.Cron)
    {
        if (scheduler is CheckScheduler.Systemd or CheckScheduler.TaskScheduler)
        {
            return minutes is >= 1 and <= CheckTaskDefinition.MaxIntervalMinutes ? minutes
                : throw HomeTunnelException.Invalid("InvalidCheckInterval", $"{minutes} minutes is not an interval {scheduler} repeats: use 1 to {CheckTaskDefinition.MaxIntervalMinutes} (31 days).", minutes);
        }
        bool cronable = minutes is >= 1 and <= 59 ? 60 % minutes == 0 : minutes % 60 == 0 && minutes <= 1440 && (1440 % minutes == 0);
        if (!cronable)
        {
            throw HomeTunnelException.Invalid("InvalidCheckInterval", $"{minutes} minutes cannot be scheduled evenly by cron: use a divisor of 60 (1, 2, 5, 10, 15, 30) or whole hours that divide a day.", minutes);
        }
        return minutes;
    }
}
