using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace HomeTunnel.Bootstrap;

/// <summary>What a script run over SSH gave back.</summary>
public sealed record ShellResult(int ExitCode, string Output, string Error);

/// <summary>
/// Runs fixed scripts on a host through the plain OpenSSH client — the one thing a fresh host has. Never
/// prompts: batch mode, strict host keys, the known_hosts file given; as root, or through 'sudo -n'.
/// </summary>
public sealed class OpenSshShell(string hostName, string userName, string? keyFilePath, int port, string knownHostsFile, int connectTimeoutSeconds = 10)
{
    public string HostName { get; } = hostName;
    public string UserName { get; } = userName;
    public string? KeyFilePath { get; } = keyFilePath;
    public int Port { get; } = port;
    public string KnownHostsFile { get; } = knownHostsFile;
    public int ConnectTimeoutSeconds { get; } = connectTimeoutSeconds;

    /// <summary>The arguments of ssh for one script (the script itself travels as one quoted remote command).</summary>
    public IReadOnlyList<string> Arguments(string script)
    {
        var args = new List<string>
        {
            "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", $"UserKnownHostsFile={SshOptionPath(KnownHostsFile)}",
            "-o", $"ConnectTimeout={ConnectTimeoutSeconds}", "-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=4",
            "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-l", UserName,
        };
        if (KeyFilePath is not null)
        {
            args.Add("-i");
            args.Add(KeyFilePath);
        }
        args.Add("--");
        args.Add(HostName);
        string elevate = UserName == "root" ? string.Empty : "sudo -n ";
        args.Add($"{elevate}sh -c {Quote(script)}");
        return args;
    }

    /// <summary>
    /// A path as one value of an ssh -o option: ssh splits such values at white space (UserKnownHostsFile takes a
    /// list), so a path with a space is double-quoted; one with a double quote or a line break cannot be said.
    /// </summary>
    public static string SshOptionPath(string path)
    {
        if (path.IndexOfAny(new[] { '"', '\n', '\r' }) >= 0)
        {
            throw HomeTunnelException.Invalid("PathNotUsable", $"ssh cannot be given the path '{path}' (it holds a double quote or a line break).", path);
        }
        return path.Any(char.IsWhiteSpace) ? $"\"{path}\"" : path;
    }

    /// <summary>One POSIX sh word: single quotes, each ' written as '\''.</summary>
    public static string Quote(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>
    /// Runs a script; a refused connection (sshd re-executing itself after a reload, a host still booting) is
    /// tried again for a few seconds — the script never started then, so running it again is safe.
    /// </summary>
    public async Task<ShellResult> RunAsync(string script, string? stdinFile, TimeSpan timeout, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        for (int attempt = 0; ; attempt++)
        {
            ShellResult r = await RunOnceAsync(script, stdinFile, timeout, cancel).ConfigureAwait(false);
            if (r.ExitCode != 255 || !r.Error.Contains("Connection refused", StringComparison.OrdinalIgnoreCase) || clock.Elapsed > TimeSpan.FromSeconds(15))
            {
                return r;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(2000, 100 << Math.Min(attempt, 5))), cancel).ConfigureAwait(false);
        }
    }

    private async Task<ShellResult> RunOnceAsync(string script, string? stdinFile, TimeSpan timeout, CancellationToken cancel)
    {
        var psi = new ProcessStartInfo("ssh")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in Arguments(script))
        {
            psi.ArgumentList.Add(a);
        }
        using Process p = Process.Start(psi) ?? throw new HomeTunnelException("SshNotFound", ErrorKind.NotInstalled, "The OpenSSH client (ssh) is not installed on this machine.", "ssh");
        Task<string> output = p.StandardOutput.ReadToEndAsync(cancel);
        Task<string> error = p.StandardError.ReadToEndAsync(cancel);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        deadline.CancelAfter(timeout);
        try
        {
            if (stdinFile is not null)
            {
                await using FileStream file = File.OpenRead(stdinFile);
                await file.CopyToAsync(p.StandardInput.BaseStream, deadline.Token).ConfigureAwait(false);
            }
            p.StandardInput.Close();
            await p.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
            return new ShellResult(p.ExitCode, await output.ConfigureAwait(false), await error.ConfigureAwait(false));
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            if (cancel.IsCancellationRequested)
            {
                throw new OperationCanceledException(cancel);
            }
            if (e is IOException)
            {
                // ssh ended before it read all of stdin: its own error says why.
                await p.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                return new ShellResult(p.ExitCode == 0 ? 255 : p.ExitCode, string.Empty, await error.ConfigureAwait(false));
            }
            throw new HomeTunnelException("BootstrapStepTimedOut", ErrorKind.OperationTimeout,
                $"A step on {HostName} did not finish within {timeout.TotalMinutes:0} minutes and was stopped.", HostName);
        }
    }
}
