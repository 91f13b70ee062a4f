using System;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using HomeTunnel.Apache;
using HomeTunnel.Hosts;

namespace HomeTunnel.Forwards;

/// <summary>
/// A port the home machine's firewall opens on the tunnel interface: for a site, its backend port to the relay's
/// tunnel address; for a forward, its home ports to the relay's tunnel address, or to any address when the
/// forward keeps the visitor's (-PreserveClientAddress). Everything else that arrives over the tunnel is
/// dropped, so a relay that is broken into reaches only what was published.
/// </summary>
public sealed class HomePortOpening : INftRuleFile
{
    private HomePortOpening() { }

    public ForwardProtocol Protocol { get; private init; }
    public int Port { get; private init; }
    public int PortEnd { get; private init; }

    /// <summary>The relay's tunnel address the port is open to; null: any address over the tunnel (a forward that keeps the visitor's).</summary>
    public IPAddress? Source { get; private init; }
    public string InterfaceName { get; private init; } = "wg0";

    /// <summary>What the port is for ("site app.example.com", "forward tcp-2222").</summary>
    public string For { get; private init; } = string.Empty;

    /// <summary>
    /// The published service that holds the opening (Publish-HomeService's server name), recorded in its key on the
    /// host; null: opened by hand (Install-TunnelHomeFirewall). Two holders of one port are two files, so
    /// Unpublish-HomeService closes exactly what its service opened and nothing a hand or another service holds.
    /// </summary>
    public string? Holder { get; private init; }

    public string Ports => Port == PortEnd ? Port.ToString(CultureInfo.InvariantCulture) : $"{Port.ToString(CultureInfo.InvariantCulture)}-{PortEnd.ToString(CultureInfo.InvariantCulture)}";
    /// <summary>
    /// "tcp-3000.wg0": the protocol and ports, then the interface, so two tunnels' openings never share a file;
    /// "tcp-3000.wg0@app.example.com" when a published service holds it ('@' is in neither an interface nor a DNS name).
    /// </summary>
    public string Key => $"{Protocol.ToString().ToLowerInvariant()}-{Ports}.{InterfaceName}{(Holder is null ? string.Empty : HolderMark + Holder)}";

    /// <summary>What separates an opening's key from its holder.</summary>
    public const char HolderMark = '@';

    /// <summary>Whether an item key of the home table is held by this published service.</summary>
    public static bool HeldBy(string key, string serverName) => key.EndsWith(HolderMark + serverName, StringComparison.Ordinal);
    public string Path => $"{NftTable.HomeFirewall.Folder}/{Key}.nft";

    public string Text
    {
        get
        {
            string proto = Protocol.ToString().ToLowerInvariant();
            string from = Source is null ? string.Empty : $"ip saddr {Source} ";
            return HostPlan.Marker + "\n" +
                // What it is for stays out of the file: a site and a forward to the same port share one opening
                // (of one holder: the hand's, or one published service's).
                $"# {proto} {Ports} open over {InterfaceName} to {(Source is null ? "any address (the visitor's, kept)" : Source.ToString())}" +
                (Holder is null ? "\n" : $", held by the published service {Holder}\n") +
                $"add element inet hometunnel fenced {{ \"{InterfaceName}\" }}\n" +
                $"add rule inet hometunnel openings iifname \"{InterfaceName}\" {from}{proto} dport {Ports} accept comment \"hometunnel {Key}\"\n";
        }
    }

    public static HomePortOpening ForSite(ApacheProxySite site, IPAddress relay, string interfaceName, string? holder = null)
    {
        if (!IPText.TryParse(site.BackendValue.Host.Trim('[', ']'), out IPAddress _))
        {
            throw HomeTunnelException.Invalid("HomeOpeningNotAnAddress",
                $"The site {site.ServerName} proxies to '{site.BackendValue.Host}', not a home peer's tunnel address: the home firewall opens ports of the tunnel only.", site.ServerName);
        }
        return Create(ForwardProtocol.Tcp, site.BackendValue.Port, site.BackendValue.Port, relay, interfaceName, $"site {site.ServerName}", holder);
    }

    public static HomePortOpening ForForward(TunnelPortForward forward, IPAddress relay, string? holder = null) =>
        Create(forward.Protocol, forward.Port, forward.PortEnd, forward.PreserveClientAddress ? null : relay, forward.InterfaceName, $"forward {forward.Key}", holder);

    public static HomePortOpening Create(ForwardProtocol protocol, int port, int portEnd, IPAddress? source, string interfaceName, string what, string? holder = null)
    {
        if (port < 1 || portEnd > 65535 || portEnd < port)
        {
            throw HomeTunnelException.Invalid("PortInvalid", $"'{port}-{portEnd}' is not a port range the home firewall can open.", port);
        }
        if (source is not null && (source.AddressFamily != AddressFamily.InterNetwork || IPAddress.IsLoopback(source) || source.Equals(IPAddress.Any)))
        {
            throw HomeTunnelException.Invalid("RelayAddressInvalid", $"'{source}' is not the relay's IPv4 tunnel address.", source.ToString());
        }
        return new HomePortOpening
        {
            Protocol = protocol, Port = port, PortEnd = portEnd, Source = source, InterfaceName = Checks.InterfaceName(interfaceName), For = what,
            Holder = holder is null ? null : DnsName.Normalize(holder, "ServerName", "ServerName"),
        };
    }

    /// <summary>
    /// The home machine's table: each fenced tunnel interface (the set <c>fenced</c>, one <see cref="HomeFence"/>
    /// item each) takes replies to what the home machine started, pings, and the openings; everything else that
    /// arrives over it is dropped. Other interfaces are not this table's business. The table names no interface
    /// itself, so installing one tunnel's fence never changes another's.
    /// </summary>
    public static string TableText() =>
        HostPlan.Marker + "\n" +
        "# The home machine's firewall on the tunnel (Install-TunnelHomeFirewall). Loaded at boot by hometunnel-home-firewall.service.\n" +
        "table inet hometunnel\n" +
        "delete table inet hometunnel\n" +
        "table inet hometunnel {\n" +
        "  set fenced { type ifname; }\n" +
        "  chain openings {\n" +
        "  }\n" +
        "  chain input {\n" +
        "    type filter hook input priority filter; policy accept;\n" +
        "    iifname != @fenced accept\n" +
        "    ct state established,related accept\n" +
        // Numbers, not names: a minimal host has no /etc/protocols for nft to read them from (1 icmp, 58 ipv6-icmp).
        "    meta l4proto { 1, 58 } accept\n" +
        "    jump openings\n" +
        "    drop\n" +
        "  }\n" +
        "}\n" +
        $"include \"{NftTable.HomeFirewall.Folder}/*.nft\"\n";

    public override string ToString() => $"{Protocol.ToString().ToLowerInvariant()} {Ports} over {InterfaceName} from {(Source?.ToString() ?? "any")} ({For})";
}
