using System.Management.Automation;
using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using HomeTunnel.Hosts;

using HomeTunnel.Hosts.Contract;

namespace HomeTunnel.Probes;

/// <summary>
/// One peer of a live interface, as 'wg show &lt;if&gt; dump' reports it (public columns only), with the
/// name from the installed config where it has one.
/// </summary>
public sealed class TunnelPeerStatus
{
    public string Host { get; init; } = string.Empty;
    public string InterfaceName { get; init; } = string.Empty;
    public string InterfacePublicKey { get; init; } = string.Empty;
    public int? ListenPort { get; init; }
    public string? Name { get; init; }
    public string PublicKey { get; init; } = string.Empty;
    public string? Endpoint { get; init; }

    /// <summary>The endpoint as the interface's file has it ("relay.example.com:51820"); null without one or a file to read.</summary>
    public string? ConfiguredEndpoint { get; init; }

    /// <summary>What the host's resolver says now for a <see cref="ConfiguredEndpoint"/> named by DNS; empty when it is an address or did not resolve.</summary>
    public string[] EndpointNameAddresses { get; init; } = Array.Empty<string>();

    /// <summary>
    /// The relay's name resolves elsewhere than where the tunnel sends (it moved): the configured name, what it
    /// resolves to now, and the live endpoint's address; null when they agree or nothing is known.
    /// </summary>
    public (string Name, string[] Now, string Live)? MovedEndpoint()
    {
        if (ConfiguredEndpoint is null || Endpoint is null || EndpointNameAddresses.Length == 0)
        {
            return null;
        }
        int colon = ConfiguredEndpoint.LastIndexOf(':');
        string name = colon > 0 ? ConfiguredEndpoint[..colon] : ConfiguredEndpoint;
        int liveColon = Endpoint.LastIndexOf(':');
        string live = (liveColon > 0 ? Endpoint[..liveColon] : Endpoint).Trim('[', ']');
        return EndpointNameAddresses.Contains(live, StringComparer.OrdinalIgnoreCase) ? null : (name, EndpointNameAddresses, live);
    }
    public IReadOnlyList<string> AllowedIPs { get; init; } = Array.Empty<string>();
    public DateTimeOffset? LatestHandshake { get; init; }
    /// <summary>In JSON as HandshakeAgeSeconds.</summary>
    [Newtonsoft.Json.JsonIgnore, Hidden]
    public TimeSpan? HandshakeAge { get; init; }
    public double? HandshakeAgeSeconds => HandshakeAge is { } a ? Math.Round(a.TotalSeconds) : null;
    public string HandshakeAgeText => HandshakeAge is { } a ? FormatAge(a) : "never";
    public long ReceivedBytes { get; init; }
    public long SentBytes { get; init; }
    public int? PersistentKeepalive { get; init; }

    public override string ToString() => $"{Name ?? PublicKey} {HandshakeAgeText}";

    /// <summary>True when one of the peer's AllowedIPs covers <paramref name="address"/>.</summary>
    public bool Covers(IPAddress address) => AllowedIPs.Any(a =>
    {
        try
        {
            return TunnelAddress.Parse(a, "AllowedIPs").Network.Contains(address);
        }
        catch (HomeTunnelException)
        {
            return false;
        }
    });

    public static string FormatAge(TimeSpan a) => a.TotalSeconds < 120
        ? string.Create(CultureInfo.InvariantCulture, $"{a.TotalSeconds:0} s ago")
        : a.TotalHours < 2 ? string.Create(CultureInfo.InvariantCulture, $"{a.TotalMinutes:0} min ago")
        : string.Create(CultureInfo.InvariantCulture, $"{a.TotalHours:0.#} h ago");

    /// <summary>
    /// The peers' names, from the '# Name =' lines HomeTunnel writes, read with the module's own parser; a
    /// file it cannot read (hand-written, with hooks) just gives no names. Nothing else of it is kept.
    /// </summary>
    private static IReadOnlyDictionary<string, (string? Name, string? Endpoint)> Names(string? config)
    {
        if (string.IsNullOrEmpty(config) || config.StartsWith("(a symbolic link", StringComparison.Ordinal))
        {
            return new Dictionary<string, (string?, string?)>();
        }
        try
        {
            return WireGuard.WireGuardConfigParser.Parse(config, "the interface's config").Peers
                .GroupBy(p => p.PublicKey).ToDictionary(g => g.Key, g => (g.First().Name, g.First().Endpoint), StringComparer.Ordinal);
        }
        catch (HomeTunnelException)
        {
            return new Dictionary<string, (string?, string?)>();
        }
    }

    /// <summary>Reads the agent's public dump of an interface. <paramref name="now"/> is the host's clock.</summary>
    public static IReadOnlyList<TunnelPeerStatus> FromAgent(WireGuardStatus status, string host, string interfaceName, long now)
    {
        string ifKey = status.PublicKey;
        IReadOnlyDictionary<string, (string? Name, string? Endpoint)> names = Names(status.Config);
        int? port = int.TryParse(status.ListenPort, NumberStyles.None, CultureInfo.InvariantCulture, out int p) && p > 0 ? p : null;
        var list = new List<TunnelPeerStatus>();
        foreach (WireGuardPeerDump peer in status.Peers)
        {
            long hs = long.TryParse(peer.LatestHandshake, NumberStyles.None, CultureInfo.InvariantCulture, out long h) ? h : 0;
            string endpoint = peer.Endpoint;
            string allowed = peer.AllowedIPs;
            string keepalive = peer.Keepalive;
            list.Add(new TunnelPeerStatus
            {
                Host = host,
                InterfaceName = interfaceName,
                InterfacePublicKey = ifKey,
                ListenPort = port,
                Name = names.TryGetValue(peer.PublicKey, out var n) ? n.Name : null,
                ConfiguredEndpoint = n.Endpoint,
                EndpointNameAddresses = n.Endpoint is { } configured && configured.LastIndexOf(':') is int c and > 0 && status.Resolved.TryGetValue(configured[..c], out var found)
                    ? found.Where(a => IPAddress.TryParse(a, out _)).ToArray()
                    : Array.Empty<string>(),
                PublicKey = peer.PublicKey,
                Endpoint = endpoint is "(none)" or "" ? null : endpoint,
                AllowedIPs = allowed is "(none)" or "" ? Array.Empty<string>() : allowed.Split(','),
                LatestHandshake = hs > 0 ? DateTimeOffset.FromUnixTimeSeconds(hs) : null,
                HandshakeAge = hs > 0 ? TimeSpan.FromSeconds(Math.Max(0, now - hs)) : null,
                ReceivedBytes = long.TryParse(peer.RxBytes, NumberStyles.None, CultureInfo.InvariantCulture, out long rx) ? rx : 0,
                SentBytes = long.TryParse(peer.TxBytes, NumberStyles.None, CultureInfo.InvariantCulture, out long tx) ? tx : 0,
                PersistentKeepalive = int.TryParse(keepalive, NumberStyles.None, CultureInfo.InvariantCulture, out int k) && k > 0 ? k : null,
            });
        }
        return list;
    }
}
