using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Text.Json;
using System.Threading;
using HomeTunnel.Apache;
using HomeTunnel.Cmdlets;
using HomeTunnel.Hosts.Contract;
using HomeTunnel.WireGuard;

namespace HomeTunnel.Hosts;

/// <summary>
/// One change to make on hosts: what to ask the agent, how to show it, the files it writes, and how the
/// module plans it from a host's facts (<see cref="WireGuardPlanner"/>, <see cref="ApachePlanner"/>).
/// </summary>
public sealed record HostChange(string Kind, string Name, string Action, Func<HostRequest> MakeRequest, IReadOnlyDictionary<string, string?> Wanted,
    Func<JsonElement, bool, HostPlan> Planner)
{
    /// <summary>Install (config given) or uninstall (null) a WireGuard interface.</summary>
    public static HostChange WireGuard(WireGuardConfig? config, string interfaceName, string action)
    {
        WireGuardConfig request = config ?? new WireGuardConfig();
        return new HostChange("WireGuard", interfaceName, action, () => AgentRequest.WireGuard(request, interfaceName, uninstall: config is null),
            AgentRequest.WireGuardFiles(config, interfaceName),
            (facts, force) => WireGuardPlanner.Plan(AgentContract.WireGuardFacts(facts), config, interfaceName, uninstall: config is null, force));
    }

    /// <summary>
    /// Take one peer out of a relay's interface and nothing else: the config is the relay's own file as the host has
    /// it (read in the same call that plans), less that peer, so a peer a hand or another cmdlet added stays, with
    /// its keys. Without a file HomeTunnel wrote, <paramref name="fallback"/> (the peer file's view) is used.
    /// </summary>
    public static HostChange WireGuardWithoutPeer(WireGuardConfig fallback, string publicKey, string interfaceName, string action) =>
        WireGuardEdited(fallback, c => c.WithoutPeer(publicKey), interfaceName, action);

    /// <summary>
    /// One edit of an interface's config as the host has it (read in the same call that plans, when it is HomeTunnel's
    /// file), so a peer a hand or another cmdlet added stays, with its keys; without such a file, the edit of
    /// <paramref name="fallback"/> (the peer file's view).
    /// </summary>
    public static HostChange WireGuardEdited(WireGuardConfig fallback, Func<WireGuardConfig, WireGuardConfig> edit, string interfaceName, string action)
    {
        WireGuardConfig chosen = edit(fallback);
        var wanted = new Dictionary<string, string?>(AgentRequest.WireGuardFiles(chosen, interfaceName));
        return new HostChange("WireGuard", interfaceName, action, () => AgentRequest.WireGuard(chosen, interfaceName, uninstall: false), wanted,
            (json, force) =>
            {
                WireGuardFacts facts = AgentContract.WireGuardFacts(json);
                if (facts.Current is string current && current.StartsWith(HostPlan.Marker, StringComparison.Ordinal))
                {
                    chosen = edit(WireGuardConfigParser.Parse(current, $"{interfaceName}.conf on the host"));
                    foreach (var (path, text) in AgentRequest.WireGuardFiles(chosen, interfaceName))
                    {
                        wanted[path] = text;
                    }
                }
                return WireGuardPlanner.Plan(facts, chosen, interfaceName, uninstall: false, force);
            });
    }

    /// <summary>
    /// Install or uninstall port forwards on a relay, all in one step and one table load. An install is first held to
    /// the relay's invariants (<see cref="HomeTunnel.Forwards.ForwardGuard"/>) from the host's own facts, plus what
    /// <paramref name="planned"/> brings in the same command (Publish-HomeService's relay config, not yet on the host).
    /// </summary>
    public static HostChange Forward(HomeTunnel.Forwards.TunnelPortForward[] forwards, bool uninstall, string action, HomeTunnel.Forwards.PlannedRelay? planned = null)
    {
        var table = HomeTunnel.Forwards.NftTable.Forwards;
        string tableText = HomeTunnel.Forwards.TunnelPortForward.TableText();
        return new(table.Kind, string.Join(", ", forwards.Select(f => f.Key)), action, () => AgentRequest.NftRules(table, forwards, uninstall, relayFacts: !uninstall),
            AgentRequest.NftRuleFiles(table, forwards, tableText, uninstall),
            (json, force) =>
            {
                NftTableFacts facts = AgentContract.NftTableFacts(json);
                if (!uninstall)
                {
                    var needs = HomeTunnel.Forwards.RelayNeeds.From(facts.Relay);
                    if (planned is not null)
                    {
                        needs = needs.With(planned.Ports, planned.InterfaceName, planned.Routes);
                    }
                    var existing = facts.Existing;
                    if (HomeTunnel.Forwards.ForwardGuard.Check(forwards, needs, existing) is { } refused)
                    {
                        return refused;
                    }
                }
                return HomeTunnel.Forwards.NftTablePlanner.Plan(facts, table, forwards, tableText, uninstall, force);
            });
    }

    /// <summary>
    /// Fence a tunnel interface on the home machine and open (or close) ports of it; <paramref name="all"/> takes
    /// that interface's fence and openings away (and the table with the last interface). An install always carries
    /// the interface's fence, so whichever cmdlet installs, the interface ends fenced.
    /// </summary>
    public static HostChange HomeFirewall(HomeTunnel.Forwards.HomePortOpening[] openings, string interfaceName, bool uninstall, bool all, string action)
    {
        var table = HomeTunnel.Forwards.NftTable.HomeFirewall;
        string tableText = HomeTunnel.Forwards.HomePortOpening.TableText();
        HomeTunnel.Forwards.INftRuleFile[] items = uninstall ? openings : openings.Cast<HomeTunnel.Forwards.INftRuleFile>().Append(HomeTunnel.Forwards.HomeFence.For(interfaceName)).ToArray();
        Func<string, bool>? every = all ? key => HomeTunnel.Forwards.HomeFence.BelongsTo(key, interfaceName) : null;
        return new(table.Kind, all ? $"all on {interfaceName}" : string.Join(", ", items.Select(f => f.Key)), action, () => AgentRequest.NftRules(table, items, uninstall, all),
            AgentRequest.NftRuleFiles(table, items, tableText, uninstall),
            (facts, force) => HomeTunnel.Forwards.NftTablePlanner.Plan(AgentContract.NftTableFacts(facts), table, items, tableText, uninstall, force, every));
    }

    /// <summary>
    /// Close the openings of one interface that a published service holds (their keys end in "@name" on the host),
    /// and nothing else: an opening by hand or another service's stays, and so does the fence.
    /// </summary>
    public static HostChange HomeFirewallRelease(string holder, string interfaceName, string action)
    {
        var table = HomeTunnel.Forwards.NftTable.HomeFirewall;
        string tableText = HomeTunnel.Forwards.HomePortOpening.TableText();
        Func<string, bool> held = key => HomeTunnel.Forwards.HomeFence.BelongsTo(key, interfaceName) && HomeTunnel.Forwards.HomePortOpening.HeldBy(key, holder);
        var none = Array.Empty<HomeTunnel.Forwards.INftRuleFile>();
        return new(table.Kind, $"{holder}'s on {interfaceName}", action, () => AgentRequest.NftRules(table, none, uninstall: true, all: true),
            AgentRequest.NftRuleFiles(table, none, tableText, uninstall: true),
            (facts, force) => HomeTunnel.Forwards.NftTablePlanner.Plan(AgentContract.NftTableFacts(facts), table, none, tableText, uninstall: true, force, held, takeTable: false));
    }

    /// <summary>Install or uninstall Apache proxy sites, all in one step per relay.</summary>
    public static HostChange Apache(ApacheProxySite[] sites, bool uninstall, string action, HomeTunnel.Forwards.PlannedRelay? planned = null) =>
        new("Apache", string.Join(", ", sites.Select(s => s.ServerName)), action, () => AgentRequest.Apache(sites, uninstall),
            AgentRequest.ApacheFiles(sites, uninstall), (facts, force) => ApachePlanner.Plan(AgentContract.ApacheFacts(facts), sites, uninstall, force, planned));
}

/// <summary>
/// The one apply core of every cmdlet that changes hosts (Install-*, Uninstall-*, Publish-HomeService):
/// facts → plan (here, in C#) → ShouldProcess with the diff → apply → result. An unchanged host is one
/// call; a change is two (facts, then the plan with the fingerprint of the facts it was made from). A
/// host that changed in between answers Stale with its new facts, and is planned again once. Errors are
/// written per host, and the other hosts go on.
/// </summary>
internal sealed class HostApply
{
    private readonly PSCmdlet _cmdlet;
    private readonly CancellationToken _stop;
    private readonly int _throttle;
    private readonly bool _force;

    /// <summary>The hosts whose call or plan failed (their error is written), as opposed to those that were only not asked to change.</summary>
    public HashSet<HostTarget> Failed { get; } = new();

    public HostApply(PSCmdlet cmdlet, CancellationToken stop, int throttle, bool force)
    {
        _cmdlet = cmdlet;
        _stop = stop;
        _throttle = throttle;
        _force = force;
    }

    /// <param name="ask">ShouldProcess per host, with the diff (in -WhatIf's line and in the confirm prompt); false when the caller already asked.</param>
    /// <returns>The hosts' results; failed hosts have written their error and have none.</returns>
    public List<(HostCall Call, HostChangeResult Result)> Run(IReadOnlyList<HostTarget> targets, HostChange change, bool ask)
    {
        var view = new HostView(change.Kind, change.Name, change.Wanted, change.MakeRequest().Secrets);
        HostRequest Request(HostPlan? plan = null, string? fingerprint = null) =>
            plan is null ? change.MakeRequest() with { Force = _force } : change.MakeRequest().Applying(plan.Plan!, fingerprint!, _force);
        var results = new List<(HostCall, HostChangeResult)>();
        var pending = new Dictionary<HostTarget, (HostPlan Plan, string Fingerprint, string Diff)>();
        foreach (HostCall call in HostInvoker.Invoke(targets, _ => Request(), _throttle, _stop))
        {
            if (ReportFailure(call, view) || Planned(call.Target, call.Answer!, change, view) is not { } planned)
            {
                continue;
            }
            if (!planned.Plan.Changed)
            {
                results.Add((call, Result(call, view, ChangeState.Unchanged, Array.Empty<string>(), string.Empty)));
                continue;
            }
            // One question per host, with the diff in it: what -WhatIf prints, and what the confirm prompt asks (PowerShell's
            // ShouldProcess(description, warning, caption)), so a user answers having seen the lines that change.
            bool go = !ask || _cmdlet.ShouldProcess(
                $"Performing the operation \"{change.Action}\" on target \"{call.Target.Name}\".\n{planned.Diff}",
                $"{change.Action} on {call.Target.Name}?\n{planned.Diff}",
                "Confirm");
            if (go)
            {
                pending[call.Target] = (planned.Plan, call.Answer!.Fingerprint, planned.Diff);
            }
        }
        for (int attempt = 0; attempt < 2 && pending.Count > 0; attempt++)
        {
            var calls = HostInvoker.Invoke(pending.Keys.ToList(), t => Request(pending[t].Plan, pending[t].Fingerprint), _throttle, _stop, (call, done, total) =>
            {
                if (total > 1)
                {
                    _cmdlet.WriteProgress(new ProgressRecord(1, change.Action, $"{done} of {total} hosts done ({call.Target.Name})")
                    {
                        PercentComplete = done * 100 / total,
                        RecordType = done == total ? ProgressRecordType.Completed : ProgressRecordType.Processing,
                    });
                }
            });
            var again = new Dictionary<HostTarget, (HostPlan, string, string)>();
            foreach (HostCall call in calls)
            {
                if (ReportFailure(call, view))
                {
                    continue;
                }
                AgentAnswer answer = call.Answer!;
                if (answer.State != "Stale")
                {
                    results.Add((call, Result(call, view, answer.ChangeState, answer.Actions, pending[call.Target].Diff)));
                    continue;
                }
                // Another apply ran in between: plan again from the facts the worker read under the lock.
                if (Planned(call.Target, answer, change, view) is not { } replanned)
                {
                    continue;
                }
                if (!replanned.Plan.Changed)
                {
                    results.Add((call, Result(call, view, ChangeState.Unchanged, Array.Empty<string>(), string.Empty)));
                }
                else if (attempt == 0)
                {
                    again[call.Target] = (replanned.Plan, answer.Fingerprint, replanned.Diff);
                }
                else
                {
                    _cmdlet.WriteError(HostErrors.FromAnswer(call.Target.Name, AgentAnswer.Failure("HostBusy",
                        "The host changed twice while this apply waited for it; nothing was changed. Run the same command again."), view)!);
                }
            }
            pending = again;
        }
        return results;
    }

    /// <summary>
    /// Runs changes one after the other, each on its one host (a session, or this machine when null), with
    /// progress and a verbose line per step: Publish-HomeService and Unpublish-HomeService. Stops at the first
    /// step that fails (its error is written; the steps after it need it) and says so by returning false.
    /// </summary>
    public bool RunSteps(IReadOnlyList<(HostChange Change, System.Management.Automation.Runspaces.PSSession? Session)> steps, bool ask, string activity, List<HostChangeResult> results)
    {
        for (int i = 0; i < steps.Count; i++)
        {
            var (change, session) = steps[i];
            _cmdlet.WriteProgress(new ProgressRecord(2, activity, change.Action) { PercentComplete = i * 100 / (steps.Count + 1) });
            _cmdlet.WriteVerbose($"Step {i + 1} of {steps.Count}: {change.Action} on {session?.ComputerName ?? "this machine"}.");
            List<HostTarget> targets = HostTarget.For(session is null ? null : new[] { session });
            try
            {
                var done = Run(targets, change, ask);
                if (done.Count < targets.Count)
                {
                    return false;
                }
                results.AddRange(done.Select(d => d.Result));
            }
            finally
            {
                targets.ForEach(t => t.Dispose());
            }
        }
        return true;
    }

    /// <summary>The module's plan for one host's facts, or null when it refused (the error is written).</summary>
    private (HostPlan Plan, string Diff)? Planned(HostTarget target, AgentAnswer answer, HostChange change, HostView view)
    {
        if (answer.FactsJson is not JsonElement facts)
        {
            _cmdlet.WriteError(HostErrors.FromAnswer(target.Name, AgentAnswer.Failure("HostOperationFailed", $"The agent answered '{answer.State}' without facts."), view)!);
            Failed.Add(target);
            return null;
        }
        HostPlan plan;
        try
        {
            plan = change.Planner(facts, _force);
        }
        catch (AgentContractException invalid)
        {
            _cmdlet.WriteError(HomeTunnelCmdlet.ToErrorRecord(invalid.For(target.Name)));
            Failed.Add(target);
            return null;
        }
        if (plan.ErrorId is not null)
        {
            _cmdlet.WriteError(HostErrors.FromAnswer(target.Name, AgentAnswer.Failure(plan.ErrorId, plan.Message), view, plan.Target)!);
            Failed.Add(target);
            return null;
        }
        return (plan, HostDiff.Build(plan.Files, change.Wanted, view.Secrets));
    }

    private bool ReportFailure(HostCall call, HostView view)
    {
        ErrorRecord? record = HostErrors.FromCall(call, view);
        if (record is not null)
        {
            _cmdlet.WriteError(record);
            Failed.Add(call.Target);
        }
        return record is not null;
    }

    private HostChangeResult Result(HostCall call, HostView view, ChangeState state, IReadOnlyList<string> actions, string diff)
    {
        var result = new HostChangeResult
        {
            Host = call.Target.Name,
            Kind = view.Kind,
            Name = view.Name,
            State = state,
            Actions = actions,
            Diff = diff,
            Duration = call.Duration,
        };
        _cmdlet.WriteVerbose($"{result.Host}: {view.Kind} {view.Name}: {result.State}{(result.Actions.Count > 0 ? " (" + string.Join("; ", result.Actions) + ")" : string.Empty)}");
        return result;
    }
}
