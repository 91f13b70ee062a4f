using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Net;
using HomeTunnel.Apache;
using HomeTunnel.Forwards;
using HomeTunnel.Hosts;

namespace HomeTunnel.Cmdlets;

/// <summary>
/// Closes openings of the home machine's tunnel firewall again (the ports of the sites and forwards piped in, or
/// -Protocol/-Port); the firewall itself stays and keeps dropping. -All takes the whole firewall away.
/// </summary>
[Cmdlet(VerbsLifecycle.Uninstall, "TunnelHomeFirewall", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = "Object")]
[OutputType(typeof(HostChangeResult))]
public sealed class UninstallTunnelHomeFirewallCommand : HostChangeCommand
{
    private readonly List<HomePortOpening> _openings = new();

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = "Object")]
    public object[] InputObject { get; set; } = System.Array.Empty<object>();

    [Parameter(Mandatory = true, ParameterSetName = "Port", ValueFromPipelineByPropertyName = true)]
    [StrictEnum(typeof(ForwardProtocol))]
    public ForwardProtocol Protocol { get; set; }

    /// <summary>The home port (or range) as it was opened.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "Port", ValueFromPipelineByPropertyName = true)]
    [ValidateRange(1, 65535)]
    public int Port { get; set; }

    [Parameter(ParameterSetName = "Port", ValueFromPipelineByPropertyName = true)]
    [ValidateRange(1, 65535)]
    public int? PortEnd { get; set; }

    /// <summary>Take the whole firewall away: every opening, the table and its boot unit.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "All")]
    public SwitchParameter All { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string InterfaceName { get; set; } = "wg0";

    protected override void Process()
    {
        // Only the key (protocol and ports) matters to close an opening; the source is a placeholder.
        IPAddress any = IPAddress.Parse("192.0.2.1");
        if (ParameterSetName == "Port")
        {
            _openings.Add(HomePortOpening.Create(Protocol, Port, PortEnd ?? Port, any, InterfaceName, "removed"));
            return;
        }
        foreach (object o in InputObject)
        {
            _openings.Add((o is PSObject p ? p.BaseObject : o) switch
            {
                ApacheProxySite site => HomePortOpening.ForSite(site, any, InterfaceName),
                TunnelPortForward forward => HomePortOpening.ForForward(forward, any),
                var other => throw HomeTunnelException.Invalid("HomeOpeningInputInvalid",
                    $"'{other}' is not a site (New-ApacheProxySite) or a forward (New-TunnelPortForward), whose home port the firewall opened.", other),
            });
        }
    }

    protected override void End()
    {
        string ifName = Checks.InterfaceName(InterfaceName);
        if (All)
        {
            RunOnHosts(HostChange.HomeFirewall(System.Array.Empty<HomePortOpening>(), ifName, uninstall: true, all: true, "Uninstall the home firewall (every opening, the table and its boot unit)"), null);
            return;
        }
        if (_openings.Count == 0)
        {
            return;
        }
        HomePortOpening[] openings = _openings.GroupBy(o => o.Key).Select(g => g.First()).ToArray();
        RunOnHosts(HostChange.HomeFirewall(openings, ifName, uninstall: true, all: false, $"Close home firewall opening(s) {string.Join(", ", openings.Select(o => o.Key))}"), null);
    }
}
