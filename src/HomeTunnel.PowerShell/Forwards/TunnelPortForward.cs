using System.Management.Automation;
using System;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using HomeTunnel.Hosts;

namespace HomeTunnel.Forwards;

[Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
public enum ForwardProtocol { Tcp, Udp }

/// <summary>
/// A port on the relay forwarded into the tunnel to a port of a home peer: TCP or UDP, one port or a range
/// kept 1:1. On the relay it is one small nftables file in HomeTunnel's own table (ip hometunnel): a DNAT in
/// prerouting and a masquerade into the tunnel, so the home side sees the relay's tunnel address.
/// </summary>
public sealed partial class TunnelPortForward : INftRuleFile
{
    private static readonly Regex PortRange = new(@"\A([0-9]{1,5})(?:-([0-9]{1,5}))?\z", RegexOptions.CultureInvariant);
    private static readonly Regex Name = new(@"\A[A-Za-z0-9._-]{1,64}\z", RegexOptions.CultureInvariant);

    public static string TablePath => NftTable.Forwards.TablePath;
    public static string Folder => NftTable.Forwards.Folder;

    public ForwardProtocol Protocol { get; private init; }

    // The numbers behind PublicPorts and HomePorts; JSON carries the text ("2222", "27015-27030"), which is
    // what New-TunnelPortForward binds back by property name.
    [Newtonsoft.Json.JsonIgnore, Hidden]
    public int PublicPort { get; private init; }
    [Newtonsoft.Json.JsonIgnore, Hidden]
    public int PublicPortEnd { get; private init; }
    [Newtonsoft.Json.JsonIgnore, Hidden]
    public int Port { get; private init; }
    [Newtonsoft.Json.JsonIgnore, Hidden]
    public int PortEnd => Port + (PublicPortEnd - PublicPort);

    /// <summary>The home peer's tunnel address, as text.</summary>
    public string Address => AddressValue.ToString();
    internal IPAddress AddressValue { get; private init; } = IPAddress.None;

    /// <summary>The home peer's name.</summary>
    public string PeerName { get; private init; } = string.Empty;
    public string InterfaceName { get; private init; } = "wg0";

    /// <summary>
    /// The home service sees the visitor's address instead of the relay's tunnel address: the relay does not
    /// masquerade, so the home side must route its replies back through the tunnel (New-WireGuardConfig
    /// -PreserveClientAddress, which Publish-HomeService sets for such a forward).
    /// </summary>
    public bool PreserveClientAddress { get; private init; }

    /// <summary>
    /// The published service the forward belongs to (Publish-HomeService's server name), recorded in its file on the
    /// relay, so Unpublish-HomeService takes exactly its own forwards; null: installed by hand (Install-TunnelPortForward).
    /// </summary>
    public string? PublishedWith { get; private init; }

    /// <summary>"tcp-2222" or "udp-27015-27030": the forward's key on the relay and its file's name.</summary>
    public string Key => $"{Protocol.ToString().ToLowerInvariant()}-{Ports(PublicPort, PublicPortEnd)}";
    public string FileName => Key + ".nft";

    /// <summary>The forward's file on the relay.</summary>
    public string Path => $"{Folder}/{FileName}";
    public string PublicPorts => Ports(PublicPort, PublicPortEnd);
    public string HomePorts => Ports(Port, PortEnd);

    public static TunnelPortForward Create(ForwardProtocol protocol, string publicPort, string? port, IPAddress address, string peer, string interfaceName, bool preserveClientAddress = false)
    {
        var (from, to) = ParseRange(publicPort, "PublicPort");
        var (homeFrom, homeTo) = port is null ? (from, to) : ParseRange(port, "Port");
        if (homeTo - homeFrom != to - from)
        {
            throw HomeTunnelException.Invalid("ForwardRangeMismatch",
                $"The public ports {publicPort} and the home ports {port} are not the same number of ports; a range is forwarded port for port.", port);
        }
        if (to > from && homeFrom != from)
        {
            throw HomeTunnelException.Invalid("ForwardRangeShifted",
                $"A range is forwarded to the same port numbers at home (nftables maps ranges 1:1 only): give -Port {publicPort} or leave it out.", port);
        }
        if (address.AddressFamily != AddressFamily.InterNetwork || !IsUnicastHost(address))
        {
            throw HomeTunnelException.Invalid("ForwardAddressInvalid", $"'{address}' is not a home peer's IPv4 tunnel address a relay can forward to.", address.ToString());
        }
        string ifName = Checks.InterfaceName(interfaceName);
        if (!Name.IsMatch(peer))
        {
            throw HomeTunnelException.Invalid("InvalidName", $"'{peer}' is not a peer name a forward can carry (letters, digits, '.', '_', '-').", peer);
        }
        return new TunnelPortForward
        {
            Protocol = protocol, PublicPort = from, PublicPortEnd = to, Port = homeFrom, AddressValue = address, PeerName = peer, InterfaceName = ifName,
            PreserveClientAddress = preserveClientAddress,
        };
    }

    /// <summary>The same forward, recorded on the relay as the published service's.</summary>
    public TunnelPortForward PublishedBy(string serverName)
    {
        return new TunnelPortForward
        {
            Protocol = Protocol, PublicPort = PublicPort, PublicPortEnd = PublicPortEnd, Port = Port, AddressValue = AddressValue, PeerName = PeerName,
            InterfaceName = InterfaceName, PreserveClientAddress = PreserveClientAddress, PublishedWith = DnsName.Normalize(serverName, "ServerName", "ServerName"),
        };
    }

    [GeneratedRegex(@"\A# (tcp|udp) ([0-9]{1,5}(?:-[0-9]{1,5})?) on the relay -> ([0-9.]{7,15}):([0-9]{1,5}(?:-[0-9]{1,5})?) \(([A-Za-z0-9._-]{1,64})\) through ([A-Za-z0-9_=+.-]{1,15})(, the visitor's address kept)?\z")]
    private static partial Regex DescriptionLine();

    [GeneratedRegex(@"\A# published with ([a-z0-9.-]{1,253}) \(Publish-HomeService\)\z")]
    private static partial Regex PublishedLine();

    /// <summary>
    /// A forward as its file on the relay describes it (the comment lines HomeTunnel writes), or null for a file that is
    /// not one: what Unpublish-HomeService reads to find a service's own forwards. Every value is held to the same
    /// rules as a typed one.
    /// </summary>
    public static TunnelPortForward? FromFile(string text)
    {
        string[] lines = (text ?? string.Empty).Split('\n');
        if (lines.Length < 2 || lines[0] != HostPlan.Marker || DescriptionLine().Match(lines[1]) is not { Success: true } m)
        {
            return null;
        }
        try
        {
            var forward = Create(Checks.EnumName<ForwardProtocol>(m.Groups[1].Value, "Protocol", "ForwardProtocolInvalid"), m.Groups[2].Value, m.Groups[4].Value,
                IPText.TryParse(m.Groups[3].Value, out IPAddress address) ? address : IPAddress.None, m.Groups[5].Value, m.Groups[6].Value, m.Groups[7].Success);
            return lines.Length > 2 && PublishedLine().Match(lines[2]) is { Success: true } p ? forward.PublishedBy(p.Groups[1].Value) : forward;
        }
        catch (HomeTunnelException)
        {
            return null;
        }
    }

    /// <summary>
    /// Whether an IPv4 address can be a home peer's tunnel address at all: not this network (0/8), loopback,
    /// link-local (the cloud's metadata service), multicast, reserved or broadcast. Whether a peer carries it is
    /// the relay's fact (ForwardGuard).
    /// </summary>
    internal static bool IsUnicastHost(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetwork && Apache.BackendPolicy.NotInTunnel(address.ToString()) is null;

    private static (int, int) ParseRange(string text, string what)
    {
        Match m = PortRange.Match(text ?? string.Empty);
        if (!m.Success)
        {
            throw HomeTunnelException.Invalid($"{what}Invalid", $"'{text}' is not a port or a range of ports (2222, 27015-27030).", text);
        }
        int from = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        int to = m.Groups[2].Success ? int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) : from;
        if (from < 1 || to > 65535 || to < from || to - from > 1023)
        {
            throw HomeTunnelException.Invalid($"{what}Invalid", $"'{text}' is not a port range HomeTunnel forwards (1-65535, low to high, at most 1,024 ports).", text);
        }
        return (from, to);
    }

    private static string Ports(int from, int to) =>
        from == to ? from.ToString(CultureInfo.InvariantCulture) : $"{from.ToString(CultureInfo.InvariantCulture)}-{to.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The forward's rules, added to HomeTunnel's table when the table file includes this file.</summary>
    public string Text
    {
        get
        {
            string proto = Protocol.ToString().ToLowerInvariant();
            string comment = $"\"hometunnel {Key} {PeerName}\"";
            string target = PublicPortEnd > PublicPort ? Address.ToString() : $"{Address}:{Port.ToString(CultureInfo.InvariantCulture)}";
            string text = HostPlan.Marker + "\n" +
                $"# {proto} {PublicPorts} on the relay -> {Address}:{HomePorts} ({PeerName}) through {InterfaceName}{(PreserveClientAddress ? ", the visitor's address kept" : string.Empty)}\n" +
                (PublishedWith is null ? string.Empty : $"# published with {PublishedWith} (Publish-HomeService)\n") +
                // The interface joins the table's set of tunnels, whose forwarding the table fences: each interface's
                // fence lives as long as one of its forwards, whatever another interface's install does.
                $"add element ip hometunnel tunnels {{ \"{InterfaceName}\" }}\n" +
                $"add rule ip hometunnel prerouting iifname != \"{InterfaceName}\" {proto} dport {PublicPorts} dnat to {target} comment {comment}\n";
            // Without the masquerade the home side sees the visitor's address (and routes its replies back itself).
            return PreserveClientAddress ? text
                : text + $"add rule ip hometunnel postrouting oifname \"{InterfaceName}\" ip daddr {Address} {proto} dport {HomePorts} ct status dnat masquerade comment {comment}\n";
        }
    }

    /// <summary>
    /// HomeTunnel's table: replaced as a whole on every load (so a reload never doubles a rule), then each
    /// forward's file adds its rules and its tunnel interface to the set <c>tunnels</c>. Forwarding between a tunnel
    /// and the outside is allowed only for the connections these rules made (ct status dnat); everything else that
    /// would cross any of the tunnels is dropped; the TCP segment size of what is forwarded is clamped to the route's MTU
    /// (a tunnel is smaller than the internet side). The table names no interface itself, so it is the same text
    /// whichever interface's forward is being installed.
    /// </summary>
    public static string TableText() =>
        HostPlan.Marker + "\n" +
        "# The relay's port forwards into the tunnel (Install-TunnelPortForward). Loaded at boot by hometunnel-forwards.service.\n" +
        "table ip hometunnel\n" +
        "delete table ip hometunnel\n" +
        "table ip hometunnel {\n" +
        "  set tunnels { type ifname; }\n" +
        "  chain prerouting { type nat hook prerouting priority dstnat; policy accept; }\n" +
        "  chain postrouting { type nat hook postrouting priority srcnat; policy accept; }\n" +
        "  chain forward {\n" +
        "    type filter hook forward priority filter; policy accept;\n" +
        // A forwarded connection's SYN and SYN-ACK announce a segment size that fits the route they take: into a
        // tunnel whose MTU is under the internet side's (1420, or less behind PPPoE), a full-size segment would not.
        "    tcp flags & (syn | rst) == syn tcp option maxseg size set rt mtu\n" +
        "    ct status dnat accept\n" +
        "    iifname @tunnels drop\n" +
        "    oifname @tunnels drop\n" +
        "  }\n" +
        "}\n" +
        $"include \"{Folder}/*.nft\"\n";

    public override string ToString() => $"{Protocol.ToString().ToLowerInvariant()} {PublicPorts} -> {Address}:{HomePorts} ({PeerName})";
}
