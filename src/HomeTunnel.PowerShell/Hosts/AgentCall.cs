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

    /// <summary>
    /// Runs the agent kept in a session's remote process (sent and compiled on the session's first call, then called
    /// by a few lines): the agent's ~90 KB text sent and run anew cost every call ≈ 60 ms, the kept one ≈ 10 ms. It is
    /// kept in the process's AppDomain data under its SHA-256 and the runspace, with a dynamic module of its own as its
    /// scope, so its variables, functions and preferences never reach the user's session (the agent's text run as a
    /// script put its $script: variables in the session's global scope). Returns the marker when the process has no
    /// such agent (the module then sends the text).
    /// </summary>
    private const string KeptAgentCall =
        "param([string] $Request, [string] $Key, [string] $Agent)\n" +
        "$slot = \"$Key.$([runspace]::DefaultRunspace.InstanceId)\"\n" +
        "if ($Agent) { [AppDomain]::CurrentDomain.SetData($slot, @{ Module = [psmoduleinfo]::new($false); Block = [scriptblock]::Create($Agent) }) }\n" +
        "$kept = [AppDomain]::CurrentDomain.GetData($slot)\n" +
        "if ($kept -isnot [hashtable] -or $kept.Block -isnot [scriptblock]) { '" + NoAgent + "'; return }\n" +
        "& $kept.Module $kept.Block -Request $Request\n";

    private const string NoAgent = "HOMETUNNEL:NO-AGENT";

    /// <summary>The remote runspaces whose process keeps this module's agent (by its key).</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Runspace, string> Kept = new();

    private static readonly Lazy<string> AgentKey = new(() =>
        "HomeTunnel.Agent." + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(AgentRequest.AgentText))));

    /// <summary>The agent's answer as it crossed: one JSON string.</summary>
    public static async Task<string> RunJsonAsync(Runspace runspace, Contract.HostRequest request, string hostName, CancellationToken cancel)
    {
        string json = request.ToJson();
        if (runspace.ConnectionInfo is null)
        {
            // A runspace of this process (-Local), HomeTunnel's own for the command: the agent's text, as it is.
            return await InvokeAsync(runspace, AgentRequest.AgentText, new() { ["Request"] = json }, hostName, cancel).ConfigureAwait(false);
        }
        bool kept = Kept.TryGetValue(runspace, out string? key) && key == AgentKey.Value;
        string answer = await InvokeAsync(runspace, KeptAgentCall,
            new() { ["Request"] = json, ["Key"] = AgentKey.Value, ["Agent"] = kept ? null : AgentRequest.AgentText }, hostName, cancel).ConfigureAwait(false);
        if (answer == NoAgent)
        {
            answer = await InvokeAsync(runspace, KeptAgentCall,
                new() { ["Request"] = json, ["Key"] = AgentKey.Value, ["Agent"] = AgentRequest.AgentText }, hostName, cancel).ConfigureAwait(false);
        }
        Kept.AddOrUpdate(runspace, AgentKey.Value);
        return answer;
    }

    private static Task<string> InvokeAsync(Runspace runspace, string script, System.Collections.Generic.Dictionary<string, object?> parameters, string hostName, CancellationToken cancel)
    {
        var done = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var shell = PowerShell.Create();
        shell.Runspace = runspace;
        // A local scope: the call's own lines end with it; the agent keeps its own scope (see KeptAgentCall).
        shell.AddScript(script, useLocalScope: true);
        foreach (var (name, value) in parameters)
        {
            shell.AddParameter(name, value);
        }
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
