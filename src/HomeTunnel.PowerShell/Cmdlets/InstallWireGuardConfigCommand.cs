using System.Management.Automation;
using HomeTunnel.Hosts;
using HomeTunnel.WireGuard;

namespace HomeTunnel.Cmdlets;

/// <summary>
/// Puts a config on a host as /etc/wireguard/&lt;if&gt;.conf (0600) and brings the interface up, or syncs a
/// running one with 'wg syncconf' so existing peers keep their sessions.
/// </summary>
[Cmdlet(VerbsLifecycle.Install, "WireGuardConfig", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(HostChangeResult), typeof(WireGuardConfig))]
public sealed class InstallWireGuardConfigCommand : HostChangeCommand
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    public WireGuardConfig InputObject { get; set; } = null!;

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(InterfaceNameCompleter))]
    public string InterfaceName { get; set; } = "wg0";

    protected override void Process()
    {
        string ifName = Checks.InterfaceName(InterfaceName);
        if (InputObject.PrivateKeyRedacted)
        {
            throw WireGuardConfigWriter.Unrevealable("private key");
        }
        if (InputObject.PrivateKey is null)
        {
            throw new HomeTunnelException("PrivateKeyMissing", ErrorKind.InvalidArgument,
                $"The config for {ifName} has no PrivateKey; wg-quick could not bring it up. Nothing was changed.", InputObject.Name ?? ifName);
        }
        InputObject.EnsureInstallable();
        // A config that dials its peers is a home side: it is fenced before its tunnel comes up, whichever route the
        // user takes (only replies and pings get in over it until a site or forward opens a port).
        HostChange? fence = InputObject.Dials
            ? HostChange.HomeFirewall(System.Array.Empty<HomeTunnel.Forwards.HomePortOpening>(), ifName, uninstall: false, all: false, $"Fence {ifName} on the home machine")
            : null;
        RunOnHosts(HostChange.WireGuard(InputObject, ifName, $"Install WireGuard config {ifName} ({InputObject.Peers.Count} peer(s))"), InputObject, fence);
    }
}
