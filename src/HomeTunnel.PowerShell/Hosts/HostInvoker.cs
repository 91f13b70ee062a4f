using System;
using System.Collections;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;

namespace HomeTunnel.Hosts;

/// <summary>One host's answer from the agent: the agent's result table, or why there is none.</summary>
public sealed class HostCall
{
    public HostTarget Target { get; init; } = null!;
    public Hashtable? Result { get; init; }

    /// <summary>The answer, typed (null when the call itself failed: see <see cref="Error"/>).</summary>
    public AgentAnswer? Answer => Result is null ? null : _answer ??= AgentAnswer.From(Result);

    private AgentAnswer? _answer;
    public HomeTunnelException? Error { get; init; }
    public TimeSpan Duration { get; init; }
}

/// <summary>
/// Runs the agent on many hosts at once, one remote call per host (<see cref="AgentCall"/>), at most
/// <c>throttle</c> at a time. The calling (pipeline) thread waits and is told of each host as it
/// finishes, so a cmdlet can write progress; agent failures come back as results, transport failures as
/// <see cref="HostCall.Error"/>, with the request's secrets redacted from either.
/// </summary>
public static class HostInvoker
{
    public static IReadOnlyList<HostCall> Invoke(IReadOnlyList<HostTarget> targets, Func<HostTarget, Hashtable> request, int throttle,
        CancellationToken cancel = default, Action<HostCall, int, int>? onDone = null)
    {
        var calls = new HostCall[targets.Count];
        var running = new List<(int Index, Task<Hashtable> Call, Stopwatch Clock, string[] Secrets)>();
        int next = 0, done = 0;
        while (done < targets.Count)
        {
            while (next < targets.Count && running.Count < Math.Max(1, throttle))
            {
                Hashtable req = request(targets[next]);
                string[] secrets = req["Secrets"] as string[] ?? Array.Empty<string>();
                var clock = Stopwatch.StartNew();
                running.Add((next, AgentCall.RunAsync(targets[next].Runspace, req, targets[next].Name, cancel), clock, secrets));
                next++;
            }
            // Ctrl+C: every pending call is told to stop (AgentCall), and the prompt returns at once. A detached
            // worker on the host finishes or rolls back by itself, so the host ends in the old or the new state.
            int finished = Task.WaitAny(running.Select(r => (Task)r.Call).ToArray(), cancel);
            var (index, call, started, hidden) = running[finished];
            running.RemoveAt(finished);
            calls[index] = Complete(targets[index], call, started.Elapsed, hidden);
            done++;
            onDone?.Invoke(calls[index], done, targets.Count);
        }
        return calls;
    }

    private static HostCall Complete(HostTarget target, Task<Hashtable> call, TimeSpan duration, string[] secrets)
    {
        if (call.IsCompletedSuccessfully)
        {
            return new HostCall { Target = target, Result = call.Result, Duration = duration };
        }
        Exception e = call.Exception?.GetBaseException() ?? new InvalidOperationException("the call was cancelled");
        HomeTunnelException error = e is HomeTunnelException h
            ? new HomeTunnelException(h.ErrorId, h.Kind, Redaction.Redact(h.Message, secrets), target.Name)
            : new HomeTunnelException("HostUnreachable", ErrorKind.ConnectionError,
                $"{target.Name}: the session failed during the call: {Redaction.Redact(e.Message, secrets)}", target.Name);
        return new HostCall { Target = target, Duration = duration, Error = error };
    }
}
