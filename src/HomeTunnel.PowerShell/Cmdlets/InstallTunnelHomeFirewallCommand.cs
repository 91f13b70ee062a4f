using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Net;
using HomeTunnel.Apache;
using HomeTunnel.Forwards;
using HomeTunnel.Hosts;

namespace HomeTunnel.Cmdlets;

/// <summary>
/// Fences the home machine's end of the tunnel: an nftables table HomeTunnel owns (inet hometunnel) drops what
/// arrives over the tunnel interface except replies, pings and the openings for the sites and forwards piped in
/// (their home ports, to the relay's tunnel address). Openings add up across runs, one file each; a boot unit
/// loads the table after the host's own nftables. Publish-HomeService does this for what it publishes.
/// </summary>
[Cmdlet(VerbsLifecycle.Install, "TunnelHomeFirewall", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(HostChangeResult))]
public sealed class InstallTunnelHomeFirewallCommand : HostChangeCommand
{
    private readonly List<HomePortOpening> _openings = new();

    /// <summary>Sites (New-ApacheProxySite) and forwards (New-TunnelPortForward) whose home ports to open.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true)]
    public object[] InputObject { get; set; } = System.Array.Empty<object>();

    /// <summary>The relay's tunnel address, the only one the openings let in (a forward with -PreserveClientAddress lets in any).</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string RelayAddress { get; set; } = string.Empty;

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string InterfaceName { get; set; } = "wg0";

    protected override void Process()
    {
        IPAddress relay = TunnelAddress.Parse(RelayAddress, "RelayAddress").IP;
        foreach (object o in InputObject)
        {
            _openings.Add((o is PSObject p ? p.BaseObject : o) switch
            {
                ApacheProxySite site => HomePortOpening.ForSite(site, relay, InterfaceName),
                TunnelPortForward forward => HomePortOpening.ForForward(forward, relay),
                var other => throw HomeTunnelException.Invalid("HomeOpeningInputInvalid",
                    $"'{other}' is not a site (New-ApacheProxySite) or a forward (New-TunnelPortForward), whose home port the firewall could open.", other),
            });
        }
    }

    protected override void End()
    {
        string ifName = Checks.InterfaceName(InterfaceName);
        if (_openings.Any(o => o.InterfaceName != ifName))
        {
            throw HomeTunnelException.Invalid("ForwardInterfaceMixed", $"A forward names another tunnel interface than -InterfaceName {ifName}; install each interface's openings on their own.", ifName);
        }
        // One port open twice (a site and a forward to it): the wider opening (any source) wins.
        HomePortOpening[] openings = _openings.GroupBy(o => o.Key).Select(g => g.OrderBy(o => o.Source is null ? 0 : 1).First()).ToArray();
        string what = openings.Length == 0 ? "with no opening" : "opening " + string.Join(", ", openings.Select(o => o.ToString()));
        RunOnHosts(HostChange.HomeFirewall(openings, ifName, uninstall: false, all: false, $"Install the home firewall on {ifName} {what}"), null);
    }
}
