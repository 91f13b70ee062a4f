using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using HomeTunnel.Hosts;

namespace HomeTunnel.Cmdlets;

/// <summary>One change to make on hosts: what to ask the agent, how to show it, and the files it writes.</summary>
public sealed record HostChange(string Kind, string Name, string Action, Func<Hashtable> MakeRequest, IReadOnlyDictionary<string, string?> Wanted);

/// <summary>
/// The one apply core of every cmdlet that changes hosts (Install-*, Uninstall-*, Publish-HomeService):
/// plan → ShouldProcess with the diff → apply → result. A plan comes first only when someone will look at
/// it (-WhatIf, or a confirmation prompt); otherwise each host is one call, planned and applied there.
/// Errors are written per host, and the other hosts go on.
/// </summary>
internal sealed class HostApply
{
    private readonly PSCmdlet _cmdlet;
    private readonly CancellationToken _stop;
    private readonly int _throttle;
    private readonly bool _force;

    public HostApply(PSCmdlet cmdlet, CancellationToken stop, int throttle, bool force)
    {
        _cmdlet = cmdlet;
        _stop = stop;
        _throttle = throttle;
        _force = force;
    }

    /// <param name="ask">ShouldProcess per host (with the diff when previewing); false when the caller already asked.</param>
    /// <returns>The hosts' results; failed hosts have written their error and have none.</returns>
    public List<(HostCall Call, HostChangeResult Result)> Run(IReadOnlyList<HostTarget> targets, HostChange change, bool ask)
    {
        string[] secrets = change.MakeRequest()["Secrets"] as string[] ?? Array.Empty<string>();
        var view = new HostView(change.Kind, change.Name, change.Wanted, secrets);
        Hashtable Request(bool planOnly)
        {
            Hashtable r = change.MakeRequest();
            r["Force"] = _force;
            r["PlanOnly"] = planOnly;
            return r;
        }
        var results = new List<(HostCall, HostChangeResult)>();
        IEnumerable<HostTarget> approved = targets;
        if (ask && WantsPreview())
        {
            var ok = new List<HostTarget>();
            foreach (HostCall plan in HostInvoker.Invoke(targets, _ => Request(planOnly: true), _throttle, _stop))
            {
                if (ReportFailure(plan, view))
                {
                    continue;
                }
                if (plan.Answer!.ChangeState == ChangeState.Unchanged)
                {
                    results.Add((plan, Result(plan, view)));
                    continue;
                }
                if (_cmdlet.ShouldProcess(plan.Target.Name, $"{change.Action}\n{view.Diff(plan.Answer)}"))
                {
                    ok.Add(plan.Target);
                }
            }
            approved = ok;
        }
        else if (ask)
        {
            approved = targets.Where(t => _cmdlet.ShouldProcess(t.Name, change.Action)).ToList();
        }
        var list = approved.ToList();
        if (list.Count == 0)
        {
            return results;
        }
        var calls = HostInvoker.Invoke(list, _ => Request(planOnly: false), _throttle, _stop, (call, done, total) =>
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
        results.AddRange(calls.Where(c => !ReportFailure(c, view)).Select(c => (c, Result(c, view))));
        return results;
    }

    private bool WantsPreview()
    {
        var bound = _cmdlet.MyInvocation.BoundParameters;
        bool whatIf = bound.TryGetValue("WhatIf", out object? w)
            ? ((SwitchParameter)w).IsPresent
            : LanguagePrimitives.IsTrue(_cmdlet.GetVariableValue("WhatIfPreference"));
        // The prompt comes when -Confirm is given or the cmdlet's impact reaches $ConfirmPreference (an
        // Uninstall is High, so it asks by default): then it shows the diff, which takes a plan first.
        ConfirmImpact impact = ((CmdletAttribute?)Attribute.GetCustomAttribute(_cmdlet.GetType(), typeof(CmdletAttribute)))?.ConfirmImpact ?? ConfirmImpact.Medium;
        bool confirm = bound.TryGetValue("Confirm", out object? c)
            ? ((SwitchParameter)c).IsPresent
            : _cmdlet.GetVariableValue("ConfirmPreference") is ConfirmImpact pref && pref != ConfirmImpact.None && pref <= impact;
        return whatIf || confirm;
    }

    private bool ReportFailure(HostCall call, HostView view)
    {
        ErrorRecord? record = HostErrors.FromCall(call, view);
        if (record is not null)
        {
            _cmdlet.WriteError(record);
        }
        return record is not null;
    }

    private HostChangeResult Result(HostCall call, HostView view)
    {
        AgentAnswer r = call.Answer!;
        var result = new HostChangeResult
        {
            Host = call.Target.Name,
            Kind = view.Kind,
            Name = view.Name,
            State = r.ChangeState,
            Actions = r.Actions,
            Diff = view.Diff(r),
            Duration = call.Duration,
        };
        _cmdlet.WriteVerbose($"{result.Host}: {view.Kind} {view.Name}: {result.State}{(result.Actions.Count > 0 ? " (" + string.Join("; ", result.Actions) + ")" : string.Empty)}");
        return result;
    }
}
