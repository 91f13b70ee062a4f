using System;
using System.Collections;
using System.IO;
using System.Linq;
using System.Management.Automation;
using HomeTunnel.Scheduling;

namespace HomeTunnel.Cmdlets;

/// <summary>What Register-TunnelPathCheck installed.</summary>
public sealed class TunnelPathCheckRegistration
{
    public string Name { get; init; } = string.Empty;
    public string ServerName { get; init; } = string.Empty;
    public string[] ServerNames { get; init; } = Array.Empty<string>();
    public CheckScheduler Scheduler { get; init; }

    /// <summary>Where the news goes, as "Ntfy https://ntfy.sh/…": the tokens stay in the 0600 data file.</summary>
    public string[] NotifyTargets { get; init; } = Array.Empty<string>();
    public string? MetricsPath { get; init; }
    public int IntervalMinutes { get; init; }
    public string ScriptPath { get; init; } = string.Empty;
    public string LogPath { get; init; } = string.Empty;
    public string CommandLine { get; init; } = string.Empty;
    public string[] Actions { get; init; } = Array.Empty<string>();
}

/// <summary>
/// Installs Test-TunnelPath as a scheduled check: a script with fixed parameters that logs one JSON line
/// per run and exits 1 when the path fails, run every N minutes by a systemd timer, cron, or Windows
/// Task Scheduler.
/// </summary>
[Cmdlet(VerbsLifecycle.Register, "TunnelPathCheck", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(TunnelPathCheckRegistration))]
public sealed class RegisterTunnelPathCheckCommand : HomeTunnelCmdlet
{
    /// <summary>The names to check, all on one relay: each run checks them together (one session per host).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] ServerName { get; set; } = Array.Empty<string>();

    /// <summary>Test-TunnelPath's parameters for each run, e.g. @{ RelayHostName = 'vps'; UserName = 'root'; LocalHome = $true }.</summary>
    [Parameter(Position = 1)]
    public IDictionary? TestParameter { get; set; }

    /// <summary>Minutes between runs: any 1 to 44640 (31 days) for systemd and Task Scheduler; for cron a divisor of 60 or whole hours that divide a day.</summary>
    [Parameter]
    [ValidateRange(1, CheckTaskDefinition.MaxIntervalMinutes)]
    public int IntervalMinutes { get; set; } = 5;

    /// <summary>Task Scheduler only: CurrentUser (logged on or not, no window; the default), System, or LoggedOnUser.</summary>
    [Parameter]
    [StrictEnum(typeof(CheckRunAs))]
    public CheckRunAs? RunAs { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? LogPath { get; set; }

    [Parameter]
    [StrictEnum(typeof(CheckScheduler))]
    public CheckScheduler Scheduler { get; set; } = CheckScheduler.Auto;

    /// <summary>Where to send news (a webhook, an ntfy topic, a healthchecks ping URL); a token in it is kept only in the 0600 data file.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? NotifyUri { get; set; }

    /// <summary>What the -NotifyUri are; Auto recognises hc-ping.com and ntfy hosts, anything else is a webhook.</summary>
    [Parameter]
    [StrictEnum(typeof(NotifyKind))]
    public NotifyKind NotifyKind { get; set; } = NotifyKind.Auto;

    /// <summary>While a name stays down, tell again after this many hours (0: only on changes).</summary>
    [Parameter]
    [ValidateRange(0, 8760)]
    public double ReminderHours { get; set; } = 24;

    /// <summary>A Prometheus textfile-collector file (.prom) the check replaces on every run.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? MetricsPath { get; set; }

    /// <summary>
    /// The public address of the relay this check's path goes through: after -FailoverAfter failed runs in a row it is
    /// taken out of the names' DNS records, after -RestoreAfter passing runs put back (never the last address).
    /// Register one such check per relay of a service. Needs -FailoverDnsServer and -FailoverDnsKeyFile.
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? FailoverAddress { get; set; }

    /// <summary>The zone's primary server that takes the RFC 2136 updates (an IP, optionally with :port).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? FailoverDnsServer { get; set; }

    /// <summary>The zone's TSIG key as a bind key file readable by its owner only; the check keeps its path, not the key.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? FailoverDnsKeyFile { get; set; }

    [Parameter]
    [ValidateRange(1, 100)]
    public int FailoverAfter { get; set; } = 3;

    [Parameter]
    [ValidateRange(1, 100)]
    public int RestoreAfter { get; set; } = 2;

    /// <summary>Replace a unit, cron file or script of the same name that HomeTunnel did not write.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void Process()
    {
        string[] servers = ServerName.Select(n => DnsName.Normalize(n, "ServerName", "ServerName")).Distinct().ToArray();
        string server = servers[0];
        string name = TunnelPathCheckPlan.CheckName(Name ?? server);
        NotifyTarget[] notify = (NotifyUri ?? Array.Empty<string>()).Select(u => NotifyTarget.Parse(u, NotifyKind)).ToArray();
        string? metrics = MetricsPath is null ? null : CheckMetrics.CheckPath(FileSystemPath(MetricsPath));
        CheckScheduler scheduler = CheckInstaller.Resolve(Scheduler);
        int interval = TunnelPathCheckPlan.CheckInterval(IntervalMinutes, scheduler);
        if (RunAs is not null && scheduler != CheckScheduler.TaskScheduler)
        {
            throw HomeTunnelException.Invalid("RunAsNeedsTaskScheduler", $"-RunAs is for Windows' Task Scheduler; a {scheduler} check runs as the user who registers it.", RunAs);
        }
        var parameters = TunnelPathCheckPlan.CheckParameters(TestParameter);
        foreach (string pathKey in new[] { "KeyFilePath", "KnownHostsFile", "TrustedCertificateFile" })
        {
            if (parameters.TryGetValue(pathKey, out object? p) && p is string s)
            {
                parameters[pathKey] = FileSystemPath(s); // the scheduler's shell has another working folder
            }
        }
        CheckFailover? failover = Failover();
        CheckLocations where = CheckLocations.ForCurrentUser();
        string module = MyInvocation.MyCommand.Module?.Path is { Length: > 0 } m ? Path.GetDirectoryName(m)! : "HomeTunnel";
        var plan = new TunnelPathCheckPlan
        {
            Name = name,
            ServerNames = servers,
            IntervalMinutes = interval,
            Scheduler = scheduler,
            RunAs = RunAs ?? CheckRunAs.CurrentUser,
            Notify = notify,
            ReminderHours = ReminderHours,
            MetricsPath = metrics,
            ModulePath = module,
            PwshCommand = PwshCommand(),
            ScriptPath = Path.Combine(where.ScriptDirectory, name + ".ps1"),
            LogPath = LogPath is null ? Path.Combine(where.LogDirectory, name + ".jsonl") : TunnelPathCheckPlan.CheckLogPath(FileSystemPath(LogPath)),
            Parameters = parameters,
            Failover = failover,
        };
        string told = notify.Length == 0 ? string.Empty : $", telling {string.Join(", ", notify.Select(n => n.ToString()))}";
        if (!ShouldProcess(name, $"Register a {scheduler} check of {string.Join(", ", servers)} every {interval} min, logging to {plan.LogPath}{told}{(failover is null ? string.Empty : $", keeping {failover.Address} in their DNS records while its path passes")}"))
        {
            return;
        }
        var actions = CheckInstaller.Install(plan, scheduler, where, Force);
        foreach (string a in actions)
        {
            WriteVerbose(a);
        }
        WriteObject(new TunnelPathCheckRegistration
        {
            Name = name,
            ServerName = server,
            ServerNames = servers,
            NotifyTargets = notify.Select(n => n.ToString()).ToArray(),
            MetricsPath = metrics,
            Scheduler = scheduler,
            IntervalMinutes = interval,
            ScriptPath = plan.ScriptPath,
            LogPath = plan.LogPath,
            CommandLine = scheduler == CheckScheduler.TaskScheduler ? plan.WindowsCommandLine() : plan.CommandLine(),
            Actions = actions.ToArray(),
        });
    }

    /// <summary>This pwsh, as a scheduler can start it (a dotnet-tool pwsh is 'dotnet pwsh.dll').</summary>
    private static string[] PwshCommand()
    {
        string path = Environment.ProcessPath ?? "pwsh";
        string leaf = Path.GetFileNameWithoutExtension(path);
        if (leaf == "dotnet" && System.Reflection.Assembly.GetEntryAssembly()?.Location is { Length: > 0 } dll)
        {
            return new[] { path, dll };
        }
        return new[] { leaf is "pwsh" ? path : "pwsh" };
    }

    /// <summary>-FailoverAddress and its server and key, all three or none, each checked now (the key file read once, not kept).</summary>
    private CheckFailover? Failover()
    {
        if (FailoverAddress is null && FailoverDnsServer is null && FailoverDnsKeyFile is null)
        {
            return null;
        }
        if (FailoverAddress is null || FailoverDnsServer is null || FailoverDnsKeyFile is null)
        {
            throw HomeTunnelException.Invalid("FailoverIncomplete", "A failover check needs -FailoverAddress (its relay's public address), -FailoverDnsServer and -FailoverDnsKeyFile.", FailoverAddress ?? FailoverDnsServer ?? FailoverDnsKeyFile);
        }
        string address = HomeTunnel.DnsUpdate.TunnelDnsRecord.Addresses(new[] { FailoverAddress })[0].ToString();
        _ = HomeTunnel.Probes.DnsProbe.ParseServer(FailoverDnsServer);
        string keyFile = FileSystemPath(FailoverDnsKeyFile);
        _ = HomeTunnel.DnsUpdate.TsigKey.FromFile(keyFile);
        return new CheckFailover { Address = address, DnsServer = FailoverDnsServer, KeyFile = keyFile, After = FailoverAfter, RestoreAfter = RestoreAfter };
    }
}
