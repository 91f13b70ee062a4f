using System;
using System.Collections;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Threading;
using System.Threading.Tasks;

namespace HomeTunnel.Hosts;

/// <summary>
/// One agent call as a task that a deadline can abandon: a call stuck on a dead connection is told to
/// stop and left behind, so the caller never waits past its deadline.
/// </summary>
public static class AgentCall
{
    /// <summary>
    /// A read's answer as its kind's record; a failure answer throws its own error (its id and message), an answer that
    /// does not keep to the contract AgentAnswerInvalid.
    /// </summary>
    public static async Task<T> ReadAsync<T>(Runspace runspace, Contract.HostRequest request, string hostName, Func<System.Text.Json.JsonElement, T> contract, CancellationToken cancel)
    {
        AgentAnswer answer = AgentAnswer.Parse(await RunJsonAsync(runspace, request, hostName, cancel).ConfigureAwait(false), hostName);
        if (answer.State != "Read")
        {
            string id = answer.ErrorId ?? "HostOperationFailed";
            throw new HomeTunnelException(id, HostErrors.KnownIds.TryGetValue(id, out ErrorKind kind) ? kind : ErrorKind.InvalidOperation,
                answer.Message.Length > 0 ? answer.Message : $"the agent answered '{answer.State}'", hostName);
        }
        try
        {
            return contract(answer.Body);
        }
        catch (Contract.AgentContractException invalid)
        {
            throw invalid.For(hostName);
        }
    }

    /// <summary>The agent's answer as it crossed: one JSON string.</summary>
    public static Task<string> RunJsonAsync(Runspace runspace, Contract.HostRequest request, string hostName, CancellationToken cancel)
    {
        var done = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var shell = PowerShell.Create();
        shell.Runspace = runspace;
        // A local scope: the agent's preferences, strict mode, variables and functions end with the call and
        // never reach the user's own session (Invoke-Command $vps { ... } afterwards sees nothing of it).
        shell.AddScript(AgentRequest.AgentText, useLocalScope: true).AddParameter("Request", request.ToJson());
        var output = new PSDataCollection<PSObject>();
        CancellationTokenRegistration registration = default;
        try
        {
            shell.BeginInvoke<PSObject, PSObject>(null, output, null, ar =>
            {
                try
                {
                    shell.EndInvoke(ar);
                    string? result = output.Select(o => o?.BaseObject).OfType<string>().LastOrDefault();
                    if (result is null)
                    {
                        string errors = string.Join("; ", shell.Streams.Error.Select(e => e.ToString()));
                        done.TrySetException(new HomeTunnelException("AgentNoResult", ErrorKind.InvalidData, $"{hostName}: the agent returned no result. {errors}", hostName));
                    }
                    else
                    {
                        done.TrySetResult(result);
                    }
                }
                catch (Exception e)
                {
                    done.TrySetException(e);
                }
                finally
                {
                    registration.Dispose();
                    shell.Dispose();
                }
            }, null);
        }
        catch (Exception e)
        {
            shell.Dispose();
            done.TrySetException(e);
            return done.Task;
        }
        registration = cancel.Register(() =>
        {
            if (done.TrySetCanceled(cancel))
            {
                try
                {
                    shell.BeginStop(null, null);
                }
                catch (Exception)
                {
                    // The connection is gone; nothing left to stop.
                }
            }
        });
        return done.Task;
    }
}
