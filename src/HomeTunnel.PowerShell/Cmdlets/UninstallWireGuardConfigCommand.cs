using System.Management.Automation;
using HomeTunnel.Hosts;
using HomeTunnel.WireGuard;

namespace HomeTunnel.Cmdlets;

/// <summary>Takes the interface down (wg-quick down) and removes /etc/wireguard/&lt;if&gt;.conf.</summary>
[Cmdlet(VerbsLifecycle.Uninstall, "WireGuardConfig", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(HostChangeResult))]
public sealed class UninstallWireGuardConfigCommand : HostChangeCommand
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(InterfaceNameCompleter))]
    public string InterfaceName { get; set; } = "wg0";

    protected override void Process()
    {
        string ifName = Checks.InterfaceName(InterfaceName);
        RunOnHosts(HostChange.WireGuard(null, ifName, $"Uninstall WireGuard interface {ifName}"), null);
    }
}
