using System.Collections;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using HomeTunnel.Hosts;
using HomeTunnel.Probes;

using HomeTunnel.Hosts.Contract;

namespace HomeTunnel.Cmdlets;

/// <summary>
/// The live state of an interface's peers on one or many hosts, from 'wg show &lt;if&gt; dump' (public
/// columns only; wg is never asked for a private key to keep).
/// </summary>
[Cmdlet(VerbsCommon.Get, "TunnelStatus")]
[OutputType(typeof(TunnelPeerStatus))]
public sealed class GetTunnelStatusCommand : HomeTunnelCmdlet
{
    [Parameter(Position = 0, ValueFromPipeline = true)]
    [ValidateNotNullOrEmpty]
    public PSSession[]? Session { get; set; }

    /// <summary>Read this machine's interface (there is no default host).</summary>
    [Parameter]
    public SwitchParameter Local { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(InterfaceNameCompleter))]
    public string InterfaceName { get; set; } = "wg0";

    [Parameter]
    [ValidateRange(1, 1024)]
    public int ThrottleLimit { get; set; } = 32;

    protected override void Process()
    {
        string ifName = Checks.InterfaceName(InterfaceName);
        var targets = HostTarget.Choose(Session, Local);
        try
        {
            foreach (HostCall call in HostInvoker.Invoke(targets, _ => AgentRequest.Status(ifName), ThrottleLimit, StopToken))
            {
                ErrorRecord? error = HostErrors.FromCall(call, new HostView("WireGuard", ifName, new System.Collections.Generic.Dictionary<string, string?>(), System.Array.Empty<string>()));
                if (error is not null)
                {
                    WriteError(error);
                    continue;
                }
                StatusAnswer status;
                try
                {
                    status = call.Read(AgentContract.Status);
                }
                catch (HomeTunnelException invalid)
                {
                    WriteError(ToErrorRecord(invalid));
                    continue;
                }
                WriteObject(TunnelPeerStatus.FromAgent(status.Status, call.Target.Name, ifName, status.Now), enumerateCollection: true);
            }
        }
        finally
        {
            targets.ForEach(t => t.Dispose());
        }
    }
}
