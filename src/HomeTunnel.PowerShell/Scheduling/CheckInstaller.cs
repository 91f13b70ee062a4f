using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;

namespace HomeTunnel.Scheduling;

/// <summary>Where a scheduled check's files go for the current user (root or not, Linux or Windows).</summary>
public sealed record CheckLocations(string ScriptDirectory, string LogDirectory, string SystemdDirectory, string CronDirectory, bool System)
{
    public static CheckLocations ForCurrentUser()
    {
        if (OperatingSystem.IsWindows())
        {
            string local = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData);
            return new CheckLocations(Path.Combine(local, "HomeTunnel", "checks"), Path.Combine(local, "HomeTunnel", "logs"), string.Empty, string.Empty, false);
        }
        if (Environment.UserName == "root")
        {
            return new CheckLocations("/etc/hometunnel/checks", "/var/log/hometunnel", "/etc/systemd/system", "/etc/cron.d", true);
        }
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return new CheckLocations(Path.Combine(home, ".config", "hometunnel", "checks"), Path.Combine(home, ".local", "state", "hometunnel"),
            Path.Combine(home, ".config", "systemd", "user"), string.Empty, false);
    }
}

/// <summary>Puts a <see cref="TunnelPathCheckPlan"/> in place with the scheduler, or takes it out again.</summary>
public static class CheckInstaller
{
    public static CheckScheduler Resolve(CheckScheduler wanted)
    {
        if (wanted != CheckScheduler.Auto)
        {
            return wanted;
        }
        if (OperatingSystem.IsWindows())
        {
            return CheckScheduler.TaskScheduler;
        }
        return Directory.Exists("/run/systemd/system") ? CheckScheduler.Systemd : CheckScheduler.Cron;
    }

    /// <summary>
    /// Refuses to replace or delete a file that exists without HomeTunnel's marker (someone else's unit,
    /// cron file or script of the same name) unless <paramref name="force"/>.
    /// </summary>
    public static void EnsureOwned(string path, bool force)
    {
        if (force || !File.Exists(path))
        {
            return;
        }
        string head;
        try
        {
            using var reader = new StreamReader(path);
            head = reader.ReadLine() ?? string.Empty;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            head = string.Empty;
        }
        if (!head.StartsWith(TunnelPathCheckPlan.Marker, StringComparison.Ordinal))
        {
            throw new HomeTunnelException("NotOwnedByHomeTunnel", ErrorKind.ResourceExists,
                $"'{path}' exists and was not written by HomeTunnel; nothing was changed. Choose another -Name, or use -Force to replace it.", path);
        }
    }

    private static IEnumerable<string> FilesOf(string name, CheckScheduler scheduler, CheckLocations where)
    {
        string unit = $"hometunnel-check-{name}";
        string script = Path.Combine(where.ScriptDirectory, name + ".ps1");
        yield return script;
        yield return Path.ChangeExtension(script, ".json");
        if (scheduler == CheckScheduler.Systemd)
        {
            yield return Path.Combine(where.SystemdDirectory, unit + ".service");
            yield return Path.Combine(where.SystemdDirectory, unit + ".timer");
        }
        else if (scheduler == CheckScheduler.Cron && where.System)
        {
            yield return Path.Combine(where.CronDirectory, unit.Replace('.', '_'));
        }
    }

    public static IReadOnlyList<string> Install(TunnelPathCheckPlan plan, CheckScheduler scheduler, CheckLocations where, bool force = false)
    {
        var actions = new List<string>();
        foreach (string f in FilesOf(plan.Name, scheduler, where).Where(f => !f.EndsWith(".json", StringComparison.Ordinal)))
        {
            EnsureOwned(f, force);
        }
        string data = plan.Data();
        string command = scheduler == CheckScheduler.TaskScheduler ? plan.WindowsCommandLine() : plan.CommandLine(); // refuses what no scheduler could run
        Directory.CreateDirectory(where.ScriptDirectory);
        Files.WriteTextAtomic(plan.DataPath, data, ownerOnly: true, overwrite: true);
        Files.WriteTextAtomic(plan.ScriptPath, plan.Script(), ownerOnly: false, overwrite: true);
        actions.Add($"wrote {plan.ScriptPath} and {Path.GetFileName(plan.DataPath)}");
        switch (scheduler)
        {
            case CheckScheduler.Systemd:
                Directory.CreateDirectory(where.SystemdDirectory);
                Files.WriteTextAtomic(Path.Combine(where.SystemdDirectory, plan.UnitName + ".service"), plan.ServiceUnit(), ownerOnly: false, overwrite: true);
                Files.WriteTextAtomic(Path.Combine(where.SystemdDirectory, plan.UnitName + ".timer"), plan.TimerUnit(), ownerOnly: false, overwrite: true);
                actions.Add($"wrote {plan.UnitName}.service and .timer in {where.SystemdDirectory}");
                Run("systemctl", Systemctl(where, "daemon-reload"));
                Run("systemctl", Systemctl(where, "enable", "--now", plan.UnitName + ".timer"));
                actions.Add($"systemctl enable --now {plan.UnitName}.timer");
                break;
            case CheckScheduler.Cron when where.System:
                string cronFile = Path.Combine(where.CronDirectory, plan.UnitName.Replace('.', '_'));
                Files.WriteTextAtomic(cronFile, $"{TunnelPathCheckPlan.Marker} (Register-TunnelPathCheck {plan.Name})\n{plan.CronLine(systemFile: true)}\n", ownerOnly: false, overwrite: true);
                actions.Add($"wrote {cronFile}");
                break;
            case CheckScheduler.Cron:
                string table = ReadCrontab();
                string kept = string.Join('\n', table.Split('\n').Where(l => l.Length > 0 && !l.EndsWith($"# HomeTunnel check {plan.Name}", StringComparison.Ordinal)));
                Run("crontab", new[] { "-" }, (kept.Length > 0 ? kept + "\n" : string.Empty) + plan.CronLine(systemFile: false) + "\n");
                actions.Add("updated the user's crontab");
                break;
            case CheckScheduler.TaskScheduler:
                // A task definition (run-as, no window, battery, time limit), as schtasks /XML reads it: UTF-16 with its mark.
                string xmlFile = Path.Combine(where.ScriptDirectory, plan.Name + ".task.xml");
                string user = $"{Environment.UserDomainName}\\{Environment.UserName}";
                File.WriteAllText(xmlFile, "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n" + CheckTaskDefinition.Xml(plan, plan.RunAs, user, DateTime.Now.AddMinutes(1)), new System.Text.UnicodeEncoding(bigEndian: false, byteOrderMark: true));
                try
                {
                    Run("schtasks.exe", new[] { "/Create", "/F", "/TN", $"HomeTunnel\\{plan.Name}", "/XML", xmlFile });
                }
                finally
                {
                    File.Delete(xmlFile);
                }
                actions.Add($"schtasks /Create /XML HomeTunnel\\{plan.Name} (runs as {plan.RunAs})");
                break;
        }
        return actions;
    }

    public static IReadOnlyList<string> Uninstall(string name, CheckScheduler scheduler, CheckLocations where, bool force = false)
    {
        var actions = new List<string>();
        foreach (string f in FilesOf(name, scheduler, where).Where(f => !f.EndsWith(".json", StringComparison.Ordinal)))
        {
            EnsureOwned(f, force);
        }
        string unit = $"hometunnel-check-{name}";
        switch (scheduler)
        {
            case CheckScheduler.Systemd:
                string timer = Path.Combine(where.SystemdDirectory, unit + ".timer");
                if (File.Exists(timer))
                {
                    Run("systemctl", Systemctl(where, "disable", "--now", unit + ".timer"), allowFailure: true);
                    File.Delete(timer);
                    File.Delete(Path.Combine(where.SystemdDirectory, unit + ".service"));
                    Run("systemctl", Systemctl(where, "daemon-reload"), allowFailure: true);
                    actions.Add($"removed {unit}.timer and .service");
                }
                break;
            case CheckScheduler.Cron when where.System:
                string cronFile = Path.Combine(where.CronDirectory, unit.Replace('.', '_'));
                if (File.Exists(cronFile))
                {
                    File.Delete(cronFile);
                    actions.Add($"removed {cronFile}");
                }
                break;
            case CheckScheduler.Cron:
                string table = ReadCrontab();
                var lines = table.Split('\n').Where(l => l.Length > 0).ToList();
                var kept = lines.Where(l => !l.EndsWith($"# HomeTunnel check {name}", StringComparison.Ordinal)).ToList();
                if (kept.Count != lines.Count)
                {
                    Run("crontab", new[] { "-" }, kept.Count > 0 ? string.Join('\n', kept) + "\n" : string.Empty);
                    actions.Add("updated the user's crontab");
                }
                break;
            case CheckScheduler.TaskScheduler:
                if (Run("schtasks.exe", new[] { "/Delete", "/F", "/TN", $"HomeTunnel\\{name}" }, allowFailure: true) == 0)
                {
                    actions.Add($"schtasks /Delete HomeTunnel\\{name}");
                }
                break;
        }
        string script = Path.Combine(where.ScriptDirectory, name + ".ps1");
        foreach (string f in new[] { script, Path.ChangeExtension(script, ".json") }.Where(File.Exists))
        {
            File.Delete(f);
            actions.Add($"removed {f}");
        }
        return actions;
    }

    private static string[] Systemctl(CheckLocations where, params string[] args) => where.System ? args : new[] { "--user" }.Concat(args).ToArray();

    private static string ReadCrontab()
    {
        var (code, output) = Capture("crontab", new[] { "-l" });
        return code == 0 ? output : string.Empty; // "no crontab for user" is an empty table
    }

    private static int Run(string command, string[] args, string? input = null, bool allowFailure = false)
    {
        var (code, output) = Capture(command, args, input);
        if (code != 0 && !allowFailure)
        {
            throw new HomeTunnelException("SchedulerCommandFailed", ErrorKind.InvalidOperation,
                $"'{command} {string.Join(' ', args)}' failed with exit code {code}: {output.Trim()}", command);
        }
        return code;
    }

    private static (int Code, string Output) Capture(string command, string[] args, string? input = null)
    {
        var psi = new ProcessStartInfo(command)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = input is not null,
            UseShellExecute = false,
        };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        try
        {
            using Process p = Process.Start(psi)!;
            if (input is not null)
            {
                p.StandardInput.Write(input);
                p.StandardInput.Close();
            }
            var err = p.StandardError.ReadToEndAsync();
            string output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, output + err.Result);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new HomeTunnelException("SchedulerNotFound", ErrorKind.NotInstalled, $"'{command}' is not available here: {e.Message}. Choose another -Scheduler.", command);
        }
    }
}
