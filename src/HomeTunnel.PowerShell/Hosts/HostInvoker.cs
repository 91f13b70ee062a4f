using System;
using System.Collections;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Management.Automation;
using System.Threading;

namespace HomeTunnel.Hosts;

/// <summary>One host's answer from the agent: the agent's result table, or why there is none.</summary>
public sealed class HostCall
{
    public HostTarget Target { get; init; } = null!;
    public Hashtable? Result { get; init; }
    public HomeTunnelException? Error { get; init; }
    public TimeSpan Duration { get; init; }
}

/// <summary>
/// Runs the agent on many hosts at once, one remote call per host, at most <c>throttle</c> at a time.
/// The calling (pipeline) thread waits and is told of each host as it finishes, so a cmdlet can write
/// progress; agent failures come back as results, transport failures as <see cref="HostCall.Error"/>.
/// </summary>
public static class HostInvoker
{
    public static IReadOnlyList<HostCall> Invoke(IReadOnlyList<HostTarget> targets, Func<HostTarget, Hashtable> request, int throttle, Action<HostCall, int, int>? onDone = null)
    {
        var calls = new HostCall[targets.Count];
        var running = new List<(int Index, PowerShell Shell, IAsyncResult Async, Stopwatch Clock, string[] Secrets)>();
        int next = 0, done = 0;
        while (done < targets.Count)
        {
            while (next < targets.Count && running.Count < Math.Max(1, throttle))
            {
                Hashtable req = request(targets[next]);
                var shell = PowerShell.Create();
                shell.Runspace = targets[next].Runspace;
                shell.AddScript(AgentRequest.AgentText).AddParameter("Request", req);
                string[] secrets = req["Secrets"] as string[] ?? Array.Empty<string>();
                running.Add((next, shell, shell.BeginInvoke(), Stopwatch.StartNew(), secrets));
                next++;
            }
            int finished = WaitHandle.WaitAny(running.Select(r => r.Async.AsyncWaitHandle).ToArray());
            var call = running[finished];
            running.RemoveAt(finished);
            calls[call.Index] = Complete(targets[call.Index], call.Shell, call.Async, call.Clock, call.Secrets);
            done++;
            onDone?.Invoke(calls[call.Index], done, targets.Count);
        }
        return calls;
    }

    private static HostCall Complete(HostTarget target, PowerShell shell, IAsyncResult async, Stopwatch clock, string[] secrets)
    {
        try
        {
            var output = shell.EndInvoke(async);
            Hashtable? result = output.Select(o => o?.BaseObject).OfType<Hashtable>().LastOrDefault();
            if (result is null)
            {
                string errors = string.Join("; ", shell.Streams.Error.Select(e => e.ToString()));
                return new HostCall
                {
                    Target = target,
                    Duration = clock.Elapsed,
                    Error = new HomeTunnelException("AgentNoResult", ErrorKind.InvalidData,
                        $"{target.Name}: the agent returned no result. {Redaction.Redact(errors, secrets)}", target.Name),
                };
            }
            return new HostCall { Target = target, Result = result, Duration = clock.Elapsed };
        }
        catch (Exception e) when (e is RuntimeException or InvalidOperationException or System.Management.Automation.Remoting.PSRemotingTransportException)
        {
            return new HostCall
            {
                Target = target,
                Duration = clock.Elapsed,
                Error = new HomeTunnelException("HostUnreachable", ErrorKind.ConnectionError,
                    $"{target.Name}: the session failed during the call: {Redaction.Redact(e.Message, secrets)}", target.Name),
            };
        }
        finally
        {
            shell.Dispose();
        }
    }
}
