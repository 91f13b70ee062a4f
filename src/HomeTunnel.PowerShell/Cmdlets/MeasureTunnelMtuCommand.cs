using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using HomeTunnel.Hosts;
using HomeTunnel.Probes;

using HomeTunnel.Hosts.Contract;

namespace HomeTunnel.Cmdlets;

/// <summary>
/// Measures the MTU instead of assuming it: pings that no router may fragment (DF), by bisection, from the home
/// machine to the relay's public address (the path) and through the tunnel both ways, and says whether the tunnel's
/// MTU fits the path. Nothing is written on either host.
/// </summary>
[Cmdlet(VerbsDiagnostic.Measure, "TunnelMtu")]
[OutputType(typeof(TunnelMtu))]
public sealed class MeasureTunnelMtuCommand : RelayHomeCmdlet
{
    /// <summary>The relay, as a PSSession.</summary>
    [Parameter(Mandatory = true)]
    public PSSession RelaySession { get; set; } = null!;

    protected override PSSession Relay => RelaySession;


    /// <summary>The relay's public IPv4 address as the home machine reaches it (default: the relay session's host).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? RelayAddress { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(InterfaceNameCompleter))]
    public string InterfaceName { get; set; } = "wg0";

    protected override void Process()
    {
        RequireHome();
        string ifName = Checks.InterfaceName(InterfaceName);
        string relayText = RelayAddress ?? RelaySession.ComputerName;
        if (!IPText.TryParse(relayText, out System.Net.IPAddress relayIp) || relayIp.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            throw HomeTunnelException.Invalid("RelayAddressInvalid", $"'{relayText}' is not the relay's public IPv4 address: give -RelayAddress.", relayText);
        }
        using HostPair hosts = OpenHosts();
        WriteObject(Measure(this, hosts, ifName, relayIp, StopToken));
    }

    /// <summary>
    /// The measurement itself (also Publish-HomeService -Mtu Auto): the tunnel's two addresses from the live interfaces,
    /// then DF pings by bisection on both hosts at once. Host errors end the cmdlet.
    /// </summary>
    internal static TunnelMtu Measure(PSCmdlet cmdlet, HostPair hosts, string ifName, System.Net.IPAddress relayIp, System.Threading.CancellationToken token)
    {
        var (relay, home) = hosts;
        var view = new HostView("Mtu", ifName, new Dictionary<string, string?>(), Array.Empty<string>());
        WireGuardStatus Stop(ErrorRecord error)
        {
            cmdlet.ThrowTerminatingError(error);
            return null!;
        }

        // The tunnel's two addresses, from the live interfaces: the home's peer for the relay, and the relay's peer with the home's key.
        var status = HostInvoker.Invoke(new[] { relay, home }, _ => AgentRequest.Status(ifName), throttle: 2, token);
        WireGuardStatus Wg(HostCall call) => HostErrors.FromCall(call, view) is { } e ? Stop(e) : call.Read(AgentContract.Status).Status;
        WireGuardStatus relayWg = Wg(status[0]);
        WireGuardStatus homeWg = Wg(status[1]);
        var relayPeers = TunnelPeerStatus.FromAgent(relayWg, relay.Name, ifName, 0);
        var homePeers = TunnelPeerStatus.FromAgent(homeWg, home.Name, ifName, 0);
        string homeKey = homeWg.PublicKey;
        string relayTunnel = HostOf(homePeers.FirstOrDefault(p => p.PublicKey == relayWg.PublicKey)?.AllowedIPs)
            ?? throw new HomeTunnelException("PeerNotFound", ErrorKind.ObjectNotFound, $"The home machine's {ifName} has no peer with the relay's key.", ifName);
        string homeTunnel = HostOf(relayPeers.FirstOrDefault(p => p.PublicKey == homeKey)?.AllowedIPs)
            ?? throw new HomeTunnelException("PeerNotFound", ErrorKind.ObjectNotFound, $"The relay's {ifName} has no peer with the home machine's key.", ifName);
        cmdlet.WriteVerbose($"Pings that may not be fragmented, by bisection: home -> {relayIp} (the path), home -> {relayTunnel} and relay -> {homeTunnel} (the tunnel).");

        var calls = HostInvoker.Invoke(new[] { relay, home }, t => ReferenceEquals(t, relay)
            ? AgentRequest.MtuProbe(ifName, new[] { ("Tunnel", homeTunnel, Low, 1500) })
            : AgentRequest.MtuProbe(ifName, new[] { ("Path", relayIp.ToString(), Low, 1500), ("Tunnel", relayTunnel, Low, 1500) }), throttle: 2, token);
        foreach (HostCall call in calls)
        {
            if (HostErrors.FromCall(call, view) is { } error)
            {
                cmdlet.ThrowTerminatingError(error);
            }
        }
        return TunnelMtu.Judge(relayIp.ToString(), calls[1].Read(AgentContract.MtuProbe).Mtu, calls[0].Read(AgentContract.MtuProbe).Mtu);
    }

    /// <summary>
    /// The smallest packet probed: IPv4's 576. A path of 1280 (IPv6's minimum) leaves the tunnel 1220, which the tunnel
    /// probes must reach: where routers' "fragmentation needed" is filtered, packets over it are lost, not fragmented.
    /// </summary>
    private const int Low = 576;

    /// <summary>The first IPv4 host route of an AllowedIPs list ("192.168.4.1/32" → "192.168.4.1").</summary>
    private static string? HostOf(IReadOnlyList<string>? allowed) =>
        allowed?.Select(a => a.Trim()).Where(a => a.EndsWith("/32", StringComparison.Ordinal)).Select(a => a[..^3])
            .FirstOrDefault(a => IPText.TryParse(a, out System.Net.IPAddress ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork);
}
