using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;

namespace HomeTunnel.Scheduling;

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
    private static readonly HashSet<string> Allowed = new(StringComparer.OrdinalIgnoreCase)
    {
        "RelayHostName", "HomeHostName", "UserName", "KeyFilePath", "KnownHostsFile", "SshPort", "LocalHome", "RelayAddress",
        "DnsServer", "Port", "Https", "UrlPath", "InterfaceName", "TimeoutSeconds", "HandshakeWarnSeconds", "HandshakeFailSeconds",
        "CertificateWarnDays", "TrustedCertificateFile",
    };

    public string Name { get; init; } = string.Empty;
    public string ServerName { get; init; } = string.Empty;
    public int IntervalMinutes { get; init; }
    public string ModulePath { get; init; } = string.Empty;
    public string[] PwshCommand { get; init; } = Array.Empty<string>();
    public string ScriptPath { get; init; } = string.Empty;
    public string LogPath { get; init; } = string.Empty;
    public IReadOnlyDictionary<string, object> Parameters { get; init; } = new Dictionary<string, object>();
    public string UnitName => $"hometunnel-check-{Name}";

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex NamePattern();

    public static string CheckName(string name)
    {
        if (!NamePattern().IsMatch(name) || name.Contains("..", StringComparison.Ordinal))
        {
            throw HomeTunnelException.Invalid("InvalidCheckName", $"'{name}' is not a check name: letters, digits, '.', '-' and '_', up to 64, starting with a letter or digit.", name);
        }
        return name;
    }

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

    /// <summary>A PowerShell single-quoted literal: nothing inside it is ever evaluated.</summary>
    public static string Quote(string s) => "'" + s.Replace("'", "''", StringComparison.Ordinal) + "'";

    private static string Literal(object v) => v switch
    {
        string s => Quote(s),
        bool b => b ? "$true" : "$false",
        int i => i.ToString(CultureInfo.InvariantCulture),
        int[] a => "@(" + string.Join(", ", a.Select(i => i.ToString(CultureInfo.InvariantCulture))) + ")",
        _ => throw new ArgumentOutOfRangeException(nameof(v)),
    };

    public string Script()
    {
        var sb = new StringBuilder();
        sb.Append("# Managed by HomeTunnel (Register-TunnelPathCheck ").Append(Name).Append("): one JSON line per run; exit 1 when the path fails.\n");
        sb.Append("$ErrorActionPreference = 'Stop'\n");
        sb.Append("$ProgressPreference = 'SilentlyContinue'\n");
        sb.Append("Import-Module ").Append(Quote(ModulePath)).Append('\n');
        sb.Append("$parameters = @{\n");
        sb.Append("    ServerName = ").Append(Quote(ServerName)).Append('\n');
        foreach (var (key, value) in Parameters.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            sb.Append("    ").Append(key).Append(" = ").Append(Literal(value)).Append('\n');
        }
        sb.Append("}\n");
        sb.Append("try {\n");
        sb.Append("    $result = Test-TunnelPath @parameters\n");
        sb.Append("    $code = if ($result.Status -eq 'Fail') { 1 } else { 0 }\n");
        sb.Append("    $line = [ordered]@{ Time = $result.CheckedAt.ToString('o'); ServerName = $result.ServerName; Status = \"$($result.Status)\"; FailedHop = \"$($result.FailedHop)\"; Remedy = $result.Remedy; ExitCode = $code; DurationMs = $result.DurationMs; Hops = @($result.Hops | ForEach-Object { [ordered]@{ Hop = \"$($_.Hop)\"; Status = \"$($_.Status)\"; DurationMs = $_.DurationMs; Detail = $_.Detail; Remedy = $_.Remedy } }) }\n");
        sb.Append("}\n");
        sb.Append("catch {\n");
        sb.Append("    $code = 2\n");
        sb.Append("    $line = [ordered]@{ Time = [DateTimeOffset]::UtcNow.ToString('o'); ServerName = $parameters.ServerName; Status = 'Error'; FailedHop = ''; Remedy = \"$_\"; ExitCode = $code }\n");
        sb.Append("}\n");
        sb.Append("$log = ").Append(Quote(LogPath)).Append('\n');
        sb.Append("$null = New-Item -ItemType Directory -Force -Path (Split-Path $log -Parent)\n");
        sb.Append("Add-Content -LiteralPath $log -Value ($line | ConvertTo-Json -Compress -Depth 5)\n");
        sb.Append("exit $code\n");
        return sb.ToString();
    }

    /// <summary>The command a scheduler runs, as one shell-quoted line (cron, systemd ExecStart).</summary>
    public string CommandLine() => string.Join(' ', PwshCommand.Concat(new[] { "-NoProfile", "-NonInteractive", "-File", ScriptPath }).Select(ShellQuote));

    public static string ShellQuote(string s) =>
        s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || "/._-=:+,@".Contains(c)) ? s : "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    public string ServiceUnit() =>
        $"# Managed by HomeTunnel (Register-TunnelPathCheck {Name})\n[Unit]\nDescription=HomeTunnel path check for {ServerName}\nWants=network-online.target\nAfter=network-online.target\n\n" +
        $"[Service]\nType=oneshot\nExecStart={CommandLine().Replace("%", "%%", StringComparison.Ordinal)}\n";

    public string TimerUnit() =>
        $"# Managed by HomeTunnel (Register-TunnelPathCheck {Name})\n[Unit]\nDescription=Every {IntervalMinutes} min: HomeTunnel path check for {ServerName}\n\n" +
        $"[Timer]\nOnBootSec=1min\nOnUnitActiveSec={IntervalMinutes}min\nAccuracySec=15s\n\n[Install]\nWantedBy=timers.target\n";

    /// <summary>The cron schedule: every N minutes, as cron can say it (N divides 60, or whole hours).</summary>
    public string CronSchedule() => IntervalMinutes switch
    {
        < 60 => $"*/{IntervalMinutes} * * * *",
        _ when IntervalMinutes % 60 == 0 && IntervalMinutes < 1440 => $"0 */{IntervalMinutes / 60} * * *",
        1440 => "0 0 * * *",
        _ => throw new ArgumentOutOfRangeException(nameof(IntervalMinutes)),
    };

    /// <summary>The line for /etc/cron.d (with a user field) or a user's crontab (without).</summary>
    public string CronLine(bool systemFile) =>
        $"{CronSchedule()} {(systemFile ? "root " : string.Empty)}{CommandLine()} >/dev/null 2>&1 # HomeTunnel check {Name}";

    public static int CheckInterval(int minutes)
    {
        bool cronable = minutes is >= 1 and <= 59 ? 60 % minutes == 0 : minutes % 60 == 0 && minutes <= 1440 && (1440 % minutes == 0);
        if (!cronable)
        {
            throw HomeTunnelException.Invalid("InvalidCheckInterval", $"{minutes} minutes cannot be scheduled evenly: use a divisor of 60 (1, 2, 5, 10, 15, 30) or whole hours that divide a day.", minutes);
        }
        return minutes;
    }
}
