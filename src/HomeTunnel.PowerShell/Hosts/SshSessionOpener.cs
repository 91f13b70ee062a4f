using System;
using System.Collections.Generic;
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
    public bool HostKeyKnown() => KnownKeys() is not { Count: 0 };

    /// <summary>
    /// The keys the known_hosts files the connection reads hold for this host (hashed names included, through
    /// ssh-keygen -F); null when there is no ssh-keygen to ask.
    /// </summary>
    public IReadOnlyList<Bootstrap.ScannedHostKey>? KnownKeys()
    {
        string entry = Port == 22 ? HostName : $"[{HostName}]:{Port}";
        var files = KnownHostsFile is not null
            ? new[] { KnownHostsFile }
            : new[] { System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".ssh", "known_hosts"), "/etc/ssh/ssh_known_hosts" };
        var keys = new List<Bootstrap.ScannedHostKey>();
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
                string output = p.StandardOutput.ReadToEnd();
                p.WaitForExit();
                if (p.ExitCode == 0)
                {
                    keys.AddRange(Bootstrap.HostKeyTrust.ParseKnown(output));
                }
            }
            catch (System.ComponentModel.Win32Exception)
            {
                return null; // no ssh-keygen to ask: let ssh itself decide
            }
        }
        return keys;
    }

    /// <summary>
    /// Compares the keys the host presents (ssh-keyscan: a key exchange, nothing of ours is sent) with the ones
    /// known_hosts trusts for it. A host whose keys are known but offers none of them is <c>HostKeyChanged</c>,
    /// decided from the keys themselves, never from ssh's words; a host that offers no key at all is left to the
    /// connection (it is down or unreachable, and says so there).
    /// </summary>
    public void EnsureKnownKeyPresented()
    {
        IReadOnlyList<Bootstrap.ScannedHostKey>? known = KnownKeys();
        if (known is null || known.Count == 0)
        {
            return;
        }
        IReadOnlyList<Bootstrap.ScannedHostKey> offered = Bootstrap.HostKeyTrust.Scan(HostName, Port, Math.Max(1, ConnectTimeoutSeconds));
        if (offered.Count == 0 || offered.Any(o => known.Any(k => k.Type == o.Type && k.Base64 == o.Base64)))
        {
            return;
        }
        throw new HomeTunnelException("HostKeyChanged", ErrorKind.SecurityError,
            $"{HostName} presents host key(s) {string.Join(", ", offered)}, none of which is the one known_hosts trusts for it ({string.Join(", ", known.Select(k => k.ToString()).Distinct())}). Nothing was sent to it. {Remedies.For("HostKeyChanged", HostName, Port, KnownHostsFile)}",
            HostName);
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
        target.EnsureKnownKeyPresented();
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
