using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using HomeTunnel.Hosts;

namespace HomeTunnel.Cmdlets;

/// <summary>
/// The base of every cmdlet that changes a host: -Session (one or many; local without it), -ThrottleLimit,
/// -PassThru, and -WhatIf/-Confirm showing the diff against what the host has now. Without -WhatIf or
/// -Confirm an apply is one remote call per host; with them, a read-only plan call comes first.
/// </summary>
public abstract class HostChangeCommand : HomeTunnelCmdlet
{
    [Parameter]
    [ValidateNotNullOrEmpty]
    public PSSession[]? Session { get; set; }

    [Parameter]
    [ValidateRange(1, 1024)]
    public int ThrottleLimit { get; set; } = 32;

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Replace or delete a file HomeTunnel did not write (adopting a hand-made setup); the result's Diff shows what was lost.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Runs one request on every target host; writes results, progress and errors.</summary>
    /// <param name="wanted">Each file the change writes (or, with null, removes), by its path on the host: the diff's other side.</param>
    protected IReadOnlyList<HostCall> RunOnHosts(string kind, string name, string action, Func<Hashtable> makeRequest, object? passThru,
        IReadOnlyDictionary<string, string?> wanted)
    {
        Hashtable sample = makeRequest();
        string[] secrets = sample["Secrets"] as string[] ?? Array.Empty<string>();
        var view = new HostView(kind, name, wanted, secrets);
        Func<Hashtable> request = () =>
        {
            Hashtable r = makeRequest();
            r["Force"] = Force.IsPresent;
            return r;
        };
        List<HostTarget> targets = HostTarget.For(Session);
        try
        {
            IEnumerable<HostTarget> approved;
            if (WantsPreview())
            {
                var plans = HostInvoker.Invoke(targets, _ => WithPlanOnly(request()), ThrottleLimit, StopToken);
                var ok = new List<HostTarget>();
                foreach (HostCall plan in plans)
                {
                    if (ReportFailure(plan, view))
                    {
                        continue;
                    }
                    if (plan.Answer!.ChangeState == ChangeState.Unchanged)
                    {
                        WriteVerbose($"{plan.Target.Name}: {kind} {name} is unchanged.");
                        WriteResult(plan, view, passThru);
                        continue;
                    }
                    string diff = view.Diff(plan.Answer);
                    if (ShouldProcess(plan.Target.Name, $"{action}\n{diff}"))
                    {
                        ok.Add(plan.Target);
                    }
                }
                approved = ok;
            }
            else
            {
                approved = targets.Where(t => ShouldProcess(t.Name, action)).ToList();
            }
            var list = approved.ToList();
            if (list.Count == 0)
            {
                return Array.Empty<HostCall>();
            }
            var calls = HostInvoker.Invoke(list, _ => request(), ThrottleLimit, StopToken, (call, done, total) =>
            {
                if (total > 1)
                {
                    WriteProgress(new ProgressRecord(1, $"{action}", $"{done} of {total} hosts done ({call.Target.Name})")
                    {
                        PercentComplete = done * 100 / total,
                        RecordType = done == total ? ProgressRecordType.Completed : ProgressRecordType.Processing,
                    });
                }
            });
            foreach (HostCall call in calls.Where(c => !ReportFailure(c, view)))
            {
                WriteResult(call, view, passThru);
            }
            return calls;
        }
        finally
        {
            foreach (HostTarget t in targets)
            {
                t.Dispose();
            }
        }
    }

    private static Hashtable WithPlanOnly(Hashtable request)
    {
        request["PlanOnly"] = true;
        return request;
    }

    private bool WantsPreview()
    {
        bool whatIf = MyInvocation.BoundParameters.TryGetValue("WhatIf", out object? w)
            ? ((SwitchParameter)w).IsPresent
            : LanguagePrimitives.IsTrue(GetVariableValue("WhatIfPreference"));
        // The prompt comes when -Confirm is given or this cmdlet's impact reaches $ConfirmPreference (an
        // Uninstall is High, so it asks by default): then it shows the diff, which takes a plan first.
        ConfirmImpact impact = ((CmdletAttribute?)Attribute.GetCustomAttribute(GetType(), typeof(CmdletAttribute)))?.ConfirmImpact ?? ConfirmImpact.Medium;
        bool confirm = MyInvocation.BoundParameters.TryGetValue("Confirm", out object? c)
            ? ((SwitchParameter)c).IsPresent
            : GetVariableValue("ConfirmPreference") is ConfirmImpact pref && pref != ConfirmImpact.None && pref <= impact;
        return whatIf || confirm;
    }

    /// <summary>Writes the error of a failed host and says so; the other hosts go on.</summary>
    private bool ReportFailure(HostCall call, HostView view)
    {
        ErrorRecord? record = HostErrors.FromCall(call, view);
        if (record is not null)
        {
            WriteError(record);
        }
        return record is not null;
    }

    private void WriteResult(HostCall call, HostView view, object? passThru)
    {
        AgentAnswer r = call.Answer!;
        string kind = view.Kind, name = view.Name;
        var result = new HostChangeResult
        {
            Host = call.Target.Name,
            Kind = kind,
            Name = name,
            State = r.ChangeState,
            Actions = r.Actions,
            Diff = view.Diff(r),
            Duration = call.Duration,
        };
        WriteVerbose($"{result.Host}: {kind} {name}: {result.State}{(result.Actions.Count > 0 ? " (" + string.Join("; ", result.Actions) + ")" : string.Empty)}");
        if (PassThru && passThru is not null)
        {
            var pso = new PSObject(passThru);
            pso.Properties.Add(new PSNoteProperty("Host", result.Host));
            pso.Properties.Add(new PSNoteProperty("State", result.State));
            WriteObject(pso);
        }
        else
        {
            WriteObject(result);
        }
    }
}
