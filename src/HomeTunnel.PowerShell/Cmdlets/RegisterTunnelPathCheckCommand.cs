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
    public CheckScheduler Scheduler { get; init; }
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
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    public string ServerName { get; set; } = string.Empty;

    /// <summary>Test-TunnelPath's parameters for each run, e.g. @{ RelayHostName = 'vps'; UserName = 'root'; LocalHome = $true }.</summary>
    [Parameter(Position = 1)]
    public IDictionary? TestParameter { get; set; }

    [Parameter]
    [ValidateRange(1, 1440)]
    public int IntervalMinutes { get; set; } = 5;

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? LogPath { get; set; }

    [Parameter]
    public CheckScheduler Scheduler { get; set; } = CheckScheduler.Auto;

    /// <summary>Replace a unit, cron file or script of the same name that HomeTunnel did not write.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void Process()
    {
        string server = DnsName.Normalize(ServerName, "ServerName", "ServerName");
        string name = TunnelPathCheckPlan.CheckName(Name ?? server);
        int interval = TunnelPathCheckPlan.CheckInterval(IntervalMinutes);
        var parameters = TunnelPathCheckPlan.CheckParameters(TestParameter);
        foreach (string pathKey in new[] { "KeyFilePath", "KnownHostsFile", "TrustedCertificateFile" })
        {
            if (parameters.TryGetValue(pathKey, out object? p) && p is string s)
            {
                parameters[pathKey] = FileSystemPath(s); // the scheduler's shell has another working folder
            }
        }
        CheckScheduler scheduler = CheckInstaller.Resolve(Scheduler);
        CheckLocations where = CheckLocations.ForCurrentUser();
        string module = MyInvocation.MyCommand.Module?.Path is { Length: > 0 } m ? Path.GetDirectoryName(m)! : "HomeTunnel";
        var plan = new TunnelPathCheckPlan
        {
            Name = name,
            ServerName = server,
            IntervalMinutes = interval,
            ModulePath = module,
            PwshCommand = PwshCommand(),
            ScriptPath = Path.Combine(where.ScriptDirectory, name + ".ps1"),
            LogPath = LogPath is null ? Path.Combine(where.LogDirectory, name + ".jsonl") : TunnelPathCheckPlan.CheckLogPath(FileSystemPath(LogPath)),
            Parameters = parameters,
        };
        if (!ShouldProcess(name, $"Register a {scheduler} check of {server} every {interval} min, logging to {plan.LogPath}"))
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
}
