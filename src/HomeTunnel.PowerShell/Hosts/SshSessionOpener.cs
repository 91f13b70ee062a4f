using System;
using System.Collections;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Threading;
using System.Threading.Tasks;

namespace HomeTunnel.Hosts;

/// <summary>How to reach a host over SSH without ever prompting: batch mode, strict host keys, a connect timeout.</summary>
public sealed record SshTarget(string HostName, string? UserName, string? KeyFilePath, int Port, string? KnownHostsFile, int ConnectTimeoutSeconds)
{
    public Hashtable Options()
    {
        var o = new Hashtable
        {
            ["BatchMode"] = "yes",
            ["StrictHostKeyChecking"] = "yes",
            ["ConnectTimeout"] = ConnectTimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (KnownHostsFile is not null)
        {
            o["UserKnownHostsFile"] = KnownHostsFile;
        }
        return o;
    }

    /// <summary>
    /// True when a known_hosts file the connection will read has a key for the host. ssh in batch mode
    /// would refuse an unknown host anyway; asking first turns that into a clear, immediate answer.
    /// </summary>
    public bool HostKeyKnown()
    {
        string entry = Port == 22 ? HostName : $"[{HostName}]:{Port}";
        var files = KnownHostsFile is not null
            ? new[] { KnownHostsFile }
            : new[] { System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".ssh", "known_hosts"), "/etc/ssh/ssh_known_hosts" };
        foreach (string file in files.Where(System.IO.File.Exists))
        {
            var psi = new System.Diagnostics.ProcessStartInfo("ssh-keygen") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            psi.ArgumentList.Add("-F");
            psi.ArgumentList.Add(entry);
            psi.ArgumentList.Add("-f");
            psi.ArgumentList.Add(file);
            try
            {
                using var p = System.Diagnostics.Process.Start(psi)!;
                p.StandardOutput.ReadToEnd();
                p.WaitForExit();
                if (p.ExitCode == 0)
                {
                    return true;
                }
            }
            catch (System.ComponentModel.Win32Exception)
            {
                return true; // no ssh-keygen to ask: let ssh itself decide
            }
        }
        return false;
    }

    /// <summary>
    /// ssh reports its failures only as text and exit 255: this is the one place that text is read, to turn
    /// it into a typed error id; remedies then come from <see cref="Remedies"/> by that id.
    /// </summary>
    public static string ClassifySshFailure(string error)
    {
        if (error.Contains("REMOTE HOST IDENTIFICATION HAS CHANGED", StringComparison.OrdinalIgnoreCase)
            || error.Contains("Host key for", StringComparison.OrdinalIgnoreCase) && error.Contains("has changed", StringComparison.OrdinalIgnoreCase))
        {
            return "HostKeyChanged";
        }
        if (error.Contains("Host key verification failed", StringComparison.OrdinalIgnoreCase) || error.Contains("host key is known", StringComparison.OrdinalIgnoreCase))
        {
            return "HostKeyUnknown";
        }
        if (error.Contains("Permission denied", StringComparison.OrdinalIgnoreCase))
        {
            return "SshAuthenticationFailed";
        }
        if (error.Contains("subsystem", StringComparison.OrdinalIgnoreCase))
        {
            return "SshNoPowerShellSubsystem";
        }
        return "SshConnectFailed";
    }
}

/// <summary>A session this module opened, with the local runspace that owns it; disposing closes both.</summary>
public sealed class OpenedSession : IDisposable
{
    private readonly Runspace _owner;

    internal OpenedSession(PSSession session, Runspace owner)
    {
        Session = session;
        _owner = owner;
    }

    public PSSession Session { get; }

    public void Dispose()
    {
        // A dead connection must not hold the caller: close in the background, wait a little.
        Task.Run(() =>
        {
            Session.Runspace.Dispose();
            _owner.Dispose();
        }).Wait(TimeSpan.FromSeconds(2));
    }
}

/// <summary>Opens PSSessions over SSH off the pipeline thread, so several open at once and a deadline bounds them.</summary>
public static class SshSessionOpener
{
    public static Task<OpenedSession> OpenAsync(SshTarget target, CancellationToken cancel) => Task.Run(() =>
    {
        if (!target.HostKeyKnown())
        {
            throw new HomeTunnelException("HostKeyUnknown", ErrorKind.SecurityError,
                $"No host key for {target.HostName} is known, and HomeTunnel never accepts one unseen. {Remedies.For("HostKeyUnknown", target.HostName, target.Port, target.KnownHostsFile)}", target.HostName);
        }
        Runspace owner = RunspaceFactory.CreateRunspace();
        owner.Open();
        using var shell = PowerShell.Create();
        shell.Runspace = owner;
        shell.AddCommand("New-PSSession").AddParameter("HostName", target.HostName).AddParameter("Port", target.Port)
            .AddParameter("Options", target.Options());
        if (target.UserName is not null)
        {
            shell.AddParameter("UserName", target.UserName);
        }
        if (target.KeyFilePath is not null)
        {
            shell.AddParameter("KeyFilePath", target.KeyFilePath);
        }
        using (cancel.Register(() => shell.BeginStop(null, null)))
        {
            string why;
            try
            {
                var output = shell.Invoke();
                PSSession? session = output.Select(o => o?.BaseObject).OfType<PSSession>().FirstOrDefault();
                if (session is not null)
                {
                    return new OpenedSession(session, owner);
                }
                why = string.Join("; ", shell.Streams.Error.Select(e => e.Exception?.Message ?? e.ToString()));
            }
            catch (RuntimeException e)
            {
                why = e.Message;
            }
            owner.Dispose();
            cancel.ThrowIfCancellationRequested();
            string id = SshTarget.ClassifySshFailure(why);
            throw new HomeTunnelException(id, id.StartsWith("HostKey", StringComparison.Ordinal) ? ErrorKind.SecurityError : ErrorKind.ConnectionError,
                $"SSH to {target.HostName} failed ({id}): {why} {Remedies.For(id, target.HostName, target.Port, target.KnownHostsFile)}", target.HostName);
        }
    }, cancel);
}
