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
    protected void RunOnHosts(HostChange change, object? passThru)
    {
        List<HostTarget> targets = HostTarget.Choose(Session, Local);
        try
        {
            var core = new HostApply(this, StopToken, ThrottleLimit, Force);
            foreach (var (_, result) in core.Run(targets, change, ask: true))
            {
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
}
