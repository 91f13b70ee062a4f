using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Text.RegularExpressions;
using HomeTunnel.Hosts;

using HomeTunnel.Hosts.Contract;

namespace HomeTunnel.Forwards;

/// <summary>One port the relay itself uses, and who uses it ("sshd", "WireGuard wg0", "apache2").</summary>
public sealed record RelayPortUse(ForwardProtocol Protocol, int Port, string Who);

/// <summary>
/// What the relay itself needs, read from the host's own text in the same call that plans a forward: the ports
/// something listens on (<c>ss</c>, not loopback: a DNAT in prerouting never sees the relay's own loopback
/// traffic), sshd's ports (<c>sshd -T</c>, so a socket-activated or restarting sshd still counts), every
/// WireGuard ListenPort (live and in /etc/wireguard), Apache's Listen ports (ports.conf, also while Apache is
/// stopped), and the tunnel peers' addresses per interface. No input overrides these facts, not even -Force.
/// </summary>
public sealed partial class RelayNeeds
{
    [GeneratedRegex(@"\A(tcp|udp)\s+\S+\s+\d+\s+\d+\s+(\S+)\s+\S+(?:\s+(.*))?\z", RegexOptions.CultureInvariant)]
    private static partial Regex SsLine();

    [GeneratedRegex(@"users:\(\(""([^""]{1,64})""", RegexOptions.CultureInvariant)]
    private static partial Regex SsProcess();

    [GeneratedRegex(@"\A\s*(port|listenaddress)\s+(\S+)\s*\z", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex SshdLine();

    [GeneratedRegex(@"\A\s*Listen\s+(?:\[?[0-9A-Fa-f.:]*\]?:)?([0-9]{1,5})(?:\s+\S+)?\s*\z", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex ApacheListen();

    [GeneratedRegex(@"\A\s*(ListenPort|AllowedIPs)\s*=\s*(.*?)\s*\z", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex WgLine();

    private RelayNeeds(List<RelayPortUse> ports, Dictionary<string, List<TunnelAddress>> peers, bool complete, string missing)
    {
        Ports = ports;
        PeerRoutes = peers;
        Complete = complete;
        Missing = missing;
    }

    public IReadOnlyList<RelayPortUse> Ports { get; }

    /// <summary>Per tunnel interface, the AllowedIPs of its peers (live and as its wg-quick file says).</summary>
    public IReadOnlyDictionary<string, List<TunnelAddress>> PeerRoutes { get; }

    /// <summary>False when the host could not say what it listens on (no ss): nothing may then be forwarded.</summary>
    public bool Complete { get; }
    public string Missing { get; }

    /// <summary>Reads the facts the agent gathered (the <c>Relay</c> member of a Forward kind's facts).</summary>
    public static RelayNeeds From(RelayNeedsText? relay) =>
        relay is null
            ? new RelayNeeds(new List<RelayPortUse>(), new Dictionary<string, List<TunnelAddress>>(StringComparer.Ordinal), false, "the host sent no facts about its own ports")
            : Read(relay.Tunnel, relay);

    /// <summary>Reads only the relay's tunnels (the <c>Tunnel</c> member of the Apache kind's facts): its peers' routes and ports.</summary>
    public static RelayNeeds FromTunnel(TunnelPeerText? tunnel) =>
        Read(tunnel ?? new TunnelPeerText(string.Empty, string.Empty, new Dictionary<string, string>()), null);

    private static RelayNeeds Read(TunnelPeerText tunnel, RelayNeedsText? relay)
    {
        var ports = new List<RelayPortUse>();
        var peers = new Dictionary<string, List<TunnelAddress>>(StringComparer.Ordinal);
        bool haveSs = relay?.SsOk ?? false;
        foreach (string line in Lines(relay?.Ss))
        {
            Match m = SsLine().Match(line);
            if (!m.Success || !TrySplitEndpoint(m.Groups[2].Value, out IPAddress? ip, out int port) || (ip is not null && IPAddress.IsLoopback(ip)))
            {
                continue;
            }
            Match who = SsProcess().Match(m.Groups[3].Value);
            ports.Add(new RelayPortUse(m.Groups[1].Value == "tcp" ? ForwardProtocol.Tcp : ForwardProtocol.Udp, port,
                who.Success ? Printable(who.Groups[1].Value) : "a process of the relay"));
        }
        foreach (string line in Lines(relay?.Sshd))
        {
            Match m = SshdLine().Match(line);
            if (!m.Success)
            {
                continue;
            }
            if (m.Groups[1].Value.Equals("port", StringComparison.OrdinalIgnoreCase) && TryPort(m.Groups[2].Value, out int p))
            {
                ports.Add(new RelayPortUse(ForwardProtocol.Tcp, p, "sshd"));
            }
            else if (TrySplitEndpoint(m.Groups[2].Value, out IPAddress? ip, out int lp) && (ip is null || !IPAddress.IsLoopback(ip)))
            {
                ports.Add(new RelayPortUse(ForwardProtocol.Tcp, lp, "sshd"));
            }
        }
        foreach (string line in Lines(relay?.ApacheListen))
        {
            Match m = ApacheListen().Match(line);
            if (m.Success && TryPort(m.Groups[1].Value, out int p))
            {
                ports.Add(new RelayPortUse(ForwardProtocol.Tcp, p, "Apache (ports.conf)"));
            }
        }
        foreach (string line in Lines(tunnel.WgListen))
        {
            string[] f = line.Split('\t');
            if (f.Length == 2 && TryPort(f[1], out int p) && p > 0)
            {
                ports.Add(new RelayPortUse(ForwardProtocol.Udp, p, $"WireGuard {Printable(f[0])}"));
            }
        }
        foreach (string line in Lines(tunnel.WgAllowed))
        {
            string[] f = line.Split('\t');
            if (f.Length == 3)
            {
                AddRoutes(peers, f[0], f[2].Split(' ', StringSplitOptions.RemoveEmptyEntries));
            }
        }
        foreach (var (ifName, text) in tunnel.WgFiles)
        {
            foreach (string line in Lines(text))
            {
                Match m = WgLine().Match(line);
                if (!m.Success)
                {
                    continue;
                }
                if (m.Groups[1].Value.Equals("ListenPort", StringComparison.OrdinalIgnoreCase))
                {
                    if (TryPort(m.Groups[2].Value, out int p))
                    {
                        ports.Add(new RelayPortUse(ForwardProtocol.Udp, p, $"WireGuard {Printable(ifName)}"));
                    }
                }
                else
                {
                    AddRoutes(peers, ifName, m.Groups[2].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
                }
            }
        }
        return haveSs
            ? new RelayNeeds(ports, peers, true, string.Empty)
            : new RelayNeeds(ports, peers, false, "the host could not list what listens on it ('ss' from iproute2 is missing or failed)");
    }

    /// <summary>Whether a peer of any tunnel interface carries the address (a route narrower than the default route).</summary>
    public bool Carries(IPAddress ip) =>
        PeerRoutes.Values.Any(routes => routes.Any(r => r.PrefixLength > 0 && r.Contains(ip)));

    /// <summary>Adds what the change that comes with this one brings (Publish-HomeService's relay config): its port and peers.</summary>
    public RelayNeeds With(IEnumerable<RelayPortUse> ports, string interfaceName, IEnumerable<TunnelAddress> routes)
    {
        var all = Ports.Concat(ports).ToList();
        var peers = PeerRoutes.ToDictionary(p => p.Key, p => p.Value.ToList(), StringComparer.Ordinal);
        AddRoutes(peers, interfaceName, routes.Select(r => r.ToString()));
        return new RelayNeeds(all, peers, Complete, Missing);
    }

    private static void AddRoutes(Dictionary<string, List<TunnelAddress>> peers, string ifName, IEnumerable<string> routes)
    {
        if (!peers.TryGetValue(ifName, out List<TunnelAddress>? list))
        {
            peers[ifName] = list = new List<TunnelAddress>();
        }
        foreach (string r in routes)
        {
            try
            {
                list.Add(TunnelAddress.Parse(r, "AllowedIPs"));
            }
            catch (HomeTunnelException)
            {
                // "(none)" or a malformed route: not a peer's address, so nothing it could allow.
            }
        }
    }

    private static IEnumerable<string> Lines(string? value) =>
        (value ?? string.Empty).Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0);

    private static bool TryPort(string text, out int port) =>
        Checks.TryDigits(text, out port) && port is >= 1 and <= 65535 && text.Length <= 5;

    /// <summary>"0.0.0.0:22", "[::]:22", "*:22", "192.0.2.1%eth0:53", "[::1]:631".</summary>
    private static bool TrySplitEndpoint(string text, out IPAddress? ip, out int port)
    {
        ip = null;
        port = 0;
        int colon = text.LastIndexOf(':');
        if (colon < 0 || !TryPort(text[(colon + 1)..], out port))
        {
            return false;
        }
        string host = text[..colon].Trim('[', ']');
        int percent = host.IndexOf('%');
        if (percent >= 0)
        {
            host = host[..percent];
        }
        if (host is not ("*" or "") && IPText.TryParse(host, out IPAddress parsed))
        {
            ip = parsed.IsIPv4MappedToIPv6 ? parsed.MapToIPv4() : parsed;
        }
        return true;
    }

    private static string Printable(string s) => DnsName.Printable(s);
}
