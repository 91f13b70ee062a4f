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

    /// <summary>Work on this machine (there is no default host: without -Session or -Local the cmdlet stops).</summary>
    [Parameter]
    public SwitchParameter Local { get; set; }

    [Parameter]
    [ValidateRange(1, 1024)]
    public int ThrottleLimit { get; set; } = 32;

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Replace or delete a file HomeTunnel did not write (adopting a hand-made setup); the result's Diff shows what was lost.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Runs one change on every target host through the shared apply core; writes results, progress and errors.</summary>
    /// <param name="first">A change that must hold on a host before <paramref name="change"/> is made there (a home
    /// config's fence): a host where it fails gets neither; its actions and diff join the host's one result.</param>
    protected void RunOnHosts(HostChange change, object? passThru, HostChange? first = null)
    {
        List<HostTarget> targets = HostTarget.Choose(Session, Local);
        try
        {
            var core = new HostApply(this, StopToken, ThrottleLimit, Force);
            var before = new Dictionary<HostTarget, HostChangeResult>();
            List<HostTarget> go = targets;
            if (first is not null)
            {
                foreach (var (call, result) in core.Run(targets, first, ask: true))
                {
                    before[call.Target] = result;
                }
                go = targets.Where(t => !core.Failed.Contains(t)).ToList();
            }
            foreach (var (call, done) in core.Run(go, change, ask: true))
            {
                HostChangeResult result = before.TryGetValue(call.Target, out HostChangeResult? b) ? Merge(b, done) : done;
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
        finally
        {
            foreach (HostTarget t in targets)
            {
                t.Dispose();
            }
        }
    }

    /// <summary>One result for a change and the change it needed first: changed when either changed.</summary>
    private static HostChangeResult Merge(HostChangeResult first, HostChangeResult main) => new()
    {
        Host = main.Host,
        Kind = main.Kind,
        Name = main.Name,
        State = main.State == ChangeState.Unchanged && first.State != ChangeState.Unchanged ? ChangeState.Changed : main.State,
        Actions = first.Actions.Concat(main.Actions).ToArray(),
        Diff = string.Join("\n", new[] { first.Diff, main.Diff }.Where(d => d.Length > 0)),
        Duration = first.Duration + main.Duration,
    };
}
