using System.Management.Automation;
using HomeTunnel.Scheduling;

namespace HomeTunnel.Cmdlets;

/// <summary>Removes a check Register-TunnelPathCheck installed: the timer, cron line or task, and its script. Logs stay.</summary>
[Cmdlet(VerbsLifecycle.Unregister, "TunnelPathCheck", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(string))]
public sealed class UnregisterTunnelPathCheckCommand : HomeTunnelCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(CheckNameCompleter))]
    public string Name { get; set; } = string.Empty;

    [Parameter]
    [StrictEnum(typeof(CheckScheduler))]
    public CheckScheduler Scheduler { get; set; } = CheckScheduler.Auto;

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Delete files of that name even when HomeTunnel did not write them.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void Process()
    {
        string name = TunnelPathCheckPlan.CheckName(Name);
        CheckScheduler scheduler = CheckInstaller.Resolve(Scheduler);
        if (!ShouldProcess(name, $"Unregister the {scheduler} path check"))
        {
            return;
        }
        foreach (string a in CheckInstaller.Uninstall(name, scheduler, CheckLocations.ForCurrentUser(), Force))
        {
            WriteVerbose(a);
            if (PassThru)
            {
                WriteObject(a);
            }
        }
    }
}
