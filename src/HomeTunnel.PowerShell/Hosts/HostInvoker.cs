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
    /// <summary>The agent's answer as it crossed (one JSON string), or null when the call itself failed.</summary>
    public string? Json { get; init; }


    /// <summary>The answer, read (null when the call itself failed: see <see cref="Error"/>).</summary>
    public AgentAnswer? Answer { get; init; }
    public HomeTunnelException? Error { get; init; }
    public TimeSpan Duration { get; init; }

    /// <summary>
    /// The answer of a read, as its kind's record (<see cref="Contract.AgentContract"/>): call only for an answer that
    /// is no failure. One that does not keep to the contract throws AgentAnswerInvalid, naming the host.
    /// </summary>
    public T Read<T>(Func<System.Text.Json.JsonElement, T> contract)
    {
        try
        {
            return contract(Answer!.Body);
        }
        catch (Contract.AgentContractException invalid)
        {
            throw invalid.For(Target.Name);
        }
    }
}

/// <summary>
/// Runs the agent on many hosts at once, one remote call per host (<see cref="AgentCall"/>), at most
/// <c>throttle</c> at a time. The calling (pipeline) thread waits and is told of each host as it
/// finishes, so a cmdlet can write progress; agent failures come back as results, transport failures as
/// <see cref="HostCall.Error"/>, with the request's secrets redacted from either.
/// </summary>
public static class HostInvoker
{
    public static IReadOnlyList<HostCall> Invoke(IReadOnlyList<HostTarget> targets, Func<HostTarget, Contract.HostRequest> request, int throttle,
        CancellationToken cancel = default, Action<HostCall, int, int>? onDone = null)
    {
        var calls = new HostCall[targets.Count];
        var running = new List<(int Index, Task<string> Call, Stopwatch Clock, IReadOnlyList<string> Secrets)>();
        int next = 0, done = 0;
        while (done < targets.Count)
        {
            while (next < targets.Count && running.Count < Math.Max(1, throttle))
            {
                Contract.HostRequest req = request(targets[next]);
                IReadOnlyList<string> secrets = req.Secrets;
                var clock = Stopwatch.StartNew();
                running.Add((next, AgentCall.RunJsonAsync(targets[next].Runspace, req, targets[next].Name, cancel), clock, secrets));
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

    private static HostCall Complete(HostTarget target, Task<string> call, TimeSpan duration, IReadOnlyList<string> secrets)
    {
        Exception e;
        if (call.IsCompletedSuccessfully)
        {
            try
            {
                AgentAnswer answer = AgentAnswer.Parse(call.Result, target.Name);
                return new HostCall { Target = target, Json = call.Result, Answer = answer, Duration = duration };
            }
            catch (HomeTunnelException invalid)
            {
                e = invalid;
            }
        }
        else
        {
            e = call.Exception?.GetBaseException() ?? new InvalidOperationException("the call was cancelled");
        }
        HomeTunnelException error = e is HomeTunnelException h
            ? new HomeTunnelException(h.ErrorId, h.Kind, Redaction.Redact(h.Message, secrets), target.Name)
            : new HomeTunnelException("HostUnreachable", ErrorKind.ConnectionError,
                $"{target.Name}: the session failed during the call: {Redaction.Redact(e.Message, secrets)}", target.Name);
        return new HostCall { Target = target, Duration = duration, Error = error };
    }
}
