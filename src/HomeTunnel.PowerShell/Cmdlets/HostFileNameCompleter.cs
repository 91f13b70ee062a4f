using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Management.Automation.Runspaces;
using HomeTunnel.Hosts;

namespace HomeTunnel.Cmdlets;

/// <summary>
/// Completes names from a folder on the host the command will work on: through the -Session (or
/// -RelaySession / -HomeSession) already typed, or on this machine. A slow host never holds the prompt
/// for more than a second.
/// </summary>
public abstract class HostFileNameCompleter : IArgumentCompleter
{
    protected abstract string[] Folders { get; }

    /// <summary>A bound value as it is, out of PowerShell's wrapper.</summary>
    private static object? Unwrap(object? value) => value is PSObject p ? p.BaseObject : value;
    protected abstract string Extension { get; }
    protected abstract string[] SessionParameters { get; }
    protected virtual IEnumerable<string> Always => Array.Empty<string>();

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var names = new SortedSet<string>(Always, StringComparer.OrdinalIgnoreCase);
        PSSession? session = SessionParameters.Select(p => fakeBoundParameters.Contains(p) ? Unwrap(fakeBoundParameters[p]) : null)
            .Select(v => v is PSSession s ? s : v is IEnumerable e and not string ? e.Cast<object>().Select(Unwrap).OfType<PSSession>().FirstOrDefault() : null)
            .FirstOrDefault(s => s is not null);
        foreach (string file in session is null ? Local() : Remote(session))
        {
            if (file.EndsWith(Extension, StringComparison.Ordinal))
            {
                names.Add(file[..^Extension.Length]);
            }
        }
        string word = wordToComplete.Trim('\'', '"');
        return names.Where(n => n.StartsWith(word, StringComparison.OrdinalIgnoreCase))
            .Select(n => new CompletionResult(n, n, CompletionResultType.ParameterValue, n));
    }

    private IEnumerable<string> Local()
    {
        var found = new List<string>();
        foreach (string dir in Folders)
        {
            try
            {
                found.AddRange(Directory.EnumerateFiles(dir).Select(f => Path.GetFileName(f)));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Not readable here: complete what is known.
            }
        }
        return found;
    }

    private IEnumerable<string> Remote(PSSession session)
    {
        if (session.Runspace.RunspaceStateInfo.State != RunspaceState.Opened || session.Runspace.RunspaceAvailability != RunspaceAvailability.Available)
        {
            return Array.Empty<string>();
        }
        using var shell = PowerShell.Create();
        shell.Runspace = session.Runspace;
        shell.AddScript("param($f) foreach ($d in $f) { Get-ChildItem -LiteralPath $d -Name -File -ErrorAction Ignore }").AddArgument(Folders);
        IAsyncResult async = shell.BeginInvoke();
        if (!async.AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(1)))
        {
            shell.BeginStop(null, null);
            return Array.Empty<string>();
        }
        return shell.EndInvoke(async).Select(o => o?.BaseObject?.ToString() ?? string.Empty).ToList();
    }
}

/// <summary>Interface names: the configs in /etc/wireguard and the live userspace sockets, on the host in question.</summary>
public sealed class InterfaceNameCompleter : HostFileNameCompleter
{
    protected override string[] Folders => new[] { "/etc/wireguard", "/run/wireguard" };
    protected override string Extension => ".conf";
    protected override string[] SessionParameters => new[] { "Session", "RelaySession", "HomeSession" };
    protected override IEnumerable<string> Always => new[] { "wg0" };
}

/// <summary>Site names: the files in sites-available on the relay in question.</summary>
public sealed class SiteNameCompleter : HostFileNameCompleter
{
    protected override string[] Folders => new[] { HomeTunnel.Apache.ApacheLayout.SitesAvailable };
    protected override string Extension => ".conf";
    protected override string[] SessionParameters => new[] { "Session", "RelaySession" };
}
