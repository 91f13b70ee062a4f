using System;
using System.Collections.Generic;
using System.Linq;
using HomeTunnel.Apache;

namespace HomeTunnel.WireGuard;

/// <summary>Offline checks across peers, configs and sites, before anything touches a host.</summary>
public static class TunnelConfigChecker
{
    public static IReadOnlyList<TunnelConfigFinding> Check(IReadOnlyList<TunnelPeer> peers, IReadOnlyList<WireGuardConfig> configs, IReadOnlyList<ApacheProxySite>? sites = null)
    {
        var findings = new List<TunnelConfigFinding>();
        CheckPeers(peers, findings);
        CheckConfigs(configs, findings);
        CheckSites(sites ?? Array.Empty<ApacheProxySite>(), peers, findings);
        return findings;
    }

    /// <summary>
    /// The checks one config must pass before it is made or reaches a host: the single-config checks of
    /// <see cref="Check"/>, a peer that takes over the home machine's default route, and a peer given the
    /// interface's own address. Throws the first error as a HomeTunnelException with the finding's id.
    /// </summary>
    public static void EnsureInstallable(WireGuardConfig config)
    {
        var f = new List<TunnelConfigFinding>();
        CheckConfigs(new[] { config }, f);
        TunnelConfigFinding? error = f.FirstOrDefault(x => x.Severity == FindingSeverity.Error);
        if (error is not null)
        {
            throw new HomeTunnelException(error.Check, ErrorKind.InvalidData, error.Message + " Nothing was changed.", error.Target);
        }
    }

    private static void CheckSites(IReadOnlyList<ApacheProxySite> sites, IReadOnlyList<TunnelPeer> peers, List<TunnelConfigFinding> f)
    {
        var names = sites.SelectMany(s => s.ServerAliases.Prepend(s.ServerName).Select(n => (Name: n, Site: s)));
        foreach (var g in names.GroupBy(x => x.Name).Where(g => g.Count() > 1))
        {
            Add(f, FindingSeverity.Error, "DuplicateServerName", g.Key, $"'{g.Key}' is served by {g.Count()} sites; Apache would answer with the first one only.", g.Key);
        }
        var homeHosts = peers.Where(p => p.Role == TunnelRole.Home)
            .Select(p => p.AddressValue.IsIPv6 ? $"[{p.AddressValue.IP}]" : p.AddressValue.IP.ToString()).ToHashSet(StringComparer.OrdinalIgnoreCase);
        if (homeHosts.Count == 0)
        {
            return;
        }
        foreach (ApacheProxySite s in sites.Where(s => !homeHosts.Contains(s.BackendValue.Host)))
        {
            Add(f, FindingSeverity.Warning, "BackendNotInTunnel", s.ServerName,
                $"Site '{s.ServerName}' proxies to {s.BackendValue.Host}, which is no home peer's tunnel address ({string.Join(", ", homeHosts.Take(5))}{(homeHosts.Count > 5 ? ", …" : string.Empty)}).", s.Backend.ToString());
        }
    }

    private static void Add(List<TunnelConfigFinding> f, FindingSeverity s, string check, string subject, string message, object? target) =>
        f.Add(new TunnelConfigFinding(s, check, subject, message, target));

    private static void CheckPeers(IReadOnlyList<TunnelPeer> peers, List<TunnelConfigFinding> f)
    {
        foreach (var g in peers.GroupBy(p => p.PublicKey).Where(g => g.Count() > 1))
        {
            Add(f, FindingSeverity.Error, "DuplicatePublicKey", string.Join(", ", g.Select(p => p.Name)), $"Peers {string.Join(", ", g.Select(p => p.Name))} share one public key.", g.Key);
        }
        foreach (var g in peers.GroupBy(p => p.Name).Where(g => g.Count() > 1))
        {
            Add(f, FindingSeverity.Warning, "DuplicateName", g.Key, $"{g.Count()} peers are named '{g.Key}'.", g.Key);
        }
        foreach (var g in peers.GroupBy(p => p.AddressValue.IP).Where(g => g.Count() > 1))
        {
            Add(f, FindingSeverity.Error, "DuplicateAddress", string.Join(", ", g.Select(p => p.Name)), $"Peers {string.Join(", ", g.Select(p => p.Name))} share the tunnel address {g.Key}.", g.Key.ToString());
        }
        TunnelPeer[] relays = peers.Where(p => p.Role == TunnelRole.Relay).ToArray();
        foreach (TunnelPeer r in relays)
        {
            if (r.ListenPort is null)
            {
                Add(f, FindingSeverity.Error, "RelayWithoutListenPort", r.Name, $"Relay '{r.Name}' has no ListenPort, so the home side has nothing to dial.", r.Name);
            }
            if (r.Endpoint is null)
            {
                Add(f, FindingSeverity.Error, "RelayWithoutEndpoint", r.Name, $"Relay '{r.Name}' has no Endpoint: behind NAT the home side must dial it. Give -Endpoint <public name or address>.", r.Name);
            }
        }
        foreach (TunnelPeer h in peers.Where(p => p.Role == TunnelRole.Home))
        {
            if (h.PersistentKeepalive is null or 0)
            {
                Add(f, FindingSeverity.Warning, "HomeWithoutKeepalive", h.Name, $"Home peer '{h.Name}' sends no keepalive: its NAT mappings will expire and the relay cannot reach it. Use -PersistentKeepalive 25.", h.Name);
            }
            if (relays.Length > 0 && !relays.Any(r => r.AddressValue.Contains(h.AddressValue.IP)))
            {
                Add(f, FindingSeverity.Error, "AddressOutsideSubnet", h.Name, $"Home peer '{h.Name}' has {h.AddressValue.IP}, outside the relay's tunnel subnet {string.Join(", ", relays.Select(r => r.AddressValue.Network))}.", h.Address.ToString());
            }
        }
        // Every home peer becomes a [Peer] of the relay, so their AllowedIPs must not overlap.
        CheckOverlap(peers.Where(p => p.Role == TunnelRole.Home).Select(p => (p.Name, p.AllowedIPValues)).ToArray(), "relay", f);
    }

    private static void CheckOverlap(IReadOnlyList<(string Name, IReadOnlyList<TunnelAddress> Allowed)> entries, string subject, List<TunnelConfigFinding> f)
    {
        // CIDR blocks either nest or are disjoint: sorted by start (wider first), each block overlaps
        // exactly the blocks still open on a stack of enclosing ones. O(n log n), not pairwise.
        var blocks = entries.SelectMany((e, owner) => e.Allowed.Select(a => (Owner: owner, Net: a.Network, Start: Start(a), End: End(a))))
            .OrderBy(b => b.Net.IsIPv6).ThenBy(b => b.Start).ThenBy(b => b.Net.PrefixLength).ToList();
        var open = new List<(int Owner, TunnelAddress Net, UInt128 Start, UInt128 End)>();
        bool? family = null;
        foreach (var b in blocks)
        {
            if (family != b.Net.IsIPv6)
            {
                open.Clear();
                family = b.Net.IsIPv6;
            }
            open.RemoveAll(o => o.End < b.Start);
            foreach (var o in open.Where(o => o.Owner != b.Owner))
            {
                var (first, second) = o.Owner < b.Owner ? (o, b) : (b, o);
                Add(f, FindingSeverity.Error, "AllowedIPsOverlap", subject,
                    $"In {subject}, AllowedIPs {first.Net} of '{entries[first.Owner].Name}' overlaps {second.Net} of '{entries[second.Owner].Name}': wg routes the overlap to one of them only.", second.Net.ToString());
            }
            open.Add(b);
        }
    }

    private static UInt128 Start(TunnelAddress a)
    {
        byte[] bytes = a.Network.IP.GetAddressBytes();
        UInt128 v = 0;
        foreach (byte x in bytes)
        {
            v = (v << 8) | x;
        }
        return v;
    }

    private static UInt128 End(TunnelAddress a)
    {
        int hostBits = a.MaxPrefix - a.PrefixLength;
        return Start(a) | (hostBits == 0 ? UInt128.Zero : (hostBits >= 128 ? UInt128.MaxValue : (UInt128.One << hostBits) - 1));
    }

    private static Dictionary<string, WireGuardPeerSection> PeersByKey(WireGuardConfig c) =>
        PeerIndex.GetValue(c, x => x.Peers.GroupBy(p => p.PublicKey).ToDictionary(g => g.Key, g => g.First()));

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<WireGuardConfig, Dictionary<string, WireGuardPeerSection>> PeerIndex = new();

    private static void CheckConfigs(IReadOnlyList<WireGuardConfig> configs, List<TunnelConfigFinding> f)
    {
        var byKey = configs.Where(c => c.PublicKey is not null).GroupBy(c => c.PublicKey!).ToDictionary(g => g.Key, g => g.First());
        foreach (WireGuardConfig c in configs)
        {
            string name = c.Name ?? c.PublicKey ?? c.Source ?? "config";
            if (c.PrivateKey is null)
            {
                Add(f, FindingSeverity.Error, "InterfaceWithoutPrivateKey", name, $"Config '{name}' has no PrivateKey; wg-quick cannot bring it up.", name);
            }
            foreach (WireGuardPeerSection p in c.Peers)
            {
                if (p.PublicKey == c.PublicKey)
                {
                    Add(f, FindingSeverity.Error, "PeerIsSelf", name, $"Config '{name}' lists its own public key as a peer.", p.PublicKey);
                }
                if (c.ListenPort is null && p.Endpoint is null)
                {
                    Add(f, FindingSeverity.Error, "PeerWithoutEndpoint", name, $"Config '{name}' neither listens nor knows where peer '{p}' is: nothing can start the tunnel.", p.PublicKey);
                }
                if (c.ListenPort is null && p.PersistentKeepalive is null or 0)
                {
                    Add(f, FindingSeverity.Warning, "HomeWithoutKeepalive", name, $"Config '{name}' dials '{p}' without PersistentKeepalive: behind NAT the relay loses the way back.", p.PublicKey);
                }
                if (byKey.TryGetValue(p.PublicKey, out WireGuardConfig? other) && c.PublicKey is not null)
                {
                    WireGuardPeerSection? back = PeersByKey(other).GetValueOrDefault(c.PublicKey);
                    if (back is null)
                    {
                        Add(f, FindingSeverity.Error, "KeysDoNotPairUp", name, $"Config '{name}' lists '{p}', but that config does not list '{name}' back.", p.PublicKey);
                    }
                    else if (!Equals(back.PresharedKey, p.PresharedKey))
                    {
                        Add(f, FindingSeverity.Error, "PresharedKeyMismatch", name, $"Configs '{name}' and '{p}' use different preshared keys for each other.", p.PublicKey);
                    }
                }
                foreach (TunnelAddress a in p.AllowedIPValues)
                {
                    // With -PreserveClientAddress the any-source entry makes no route (Table = off): the return route is its own table.
                    if (c.ListenPort is null && a.PrefixLength == 0 && !c.PreserveClientAddress)
                    {
                        Add(f, FindingSeverity.Error, "DefaultRouteThroughTunnel", name,
                            $"Config '{name}' routes {a} through peer '{p}': the home machine's whole internet traffic would go to the relay, and its own default route would be lost. Give the relay peer the tunnel subnet only.", a.ToString());
                    }
                    if (c.ListenPort is not null && a.PrefixLength == 0)
                    {
                        // On the relay (the side that listens) a default route through a peer takes the relay's own
                        // internet, its SSH replies included, into the home machine: the owner is locked out.
                        Add(f, FindingSeverity.Error, "RelayRoutesEverythingHome", name,
                            $"Config '{name}' routes {a} through peer '{p}': the relay's whole internet traffic, its SSH replies included, would go into the tunnel. Give the home peer its tunnel address (and the networks behind it) only.", a.ToString());
                    }
                                        if (a.PrefixLength == a.MaxPrefix && c.AddressValues.Any(own => own.IP.Equals(a.IP)))
                    {
                        Add(f, FindingSeverity.Error, "DuplicateAddress", name, $"Config '{name}' gives peer '{p}' its own address {a.IP}.", a.ToString());
                    }
                }
                foreach (WireGuardSetting s in p.ExtraSettings)
                {
                    Add(f, FindingSeverity.Warning, "UnknownSetting", name, $"Peer '{p}' in '{name}' has '{s.Key}', which wg does not know.", s.Key);
                }
            }
            foreach (WireGuardSetting s in c.ExtraSettings)
            {
                Add(f, FindingSeverity.Warning, "UnknownSetting", name, $"Config '{name}' has '{s.Key}', which wg-quick does not know.", s.Key);
            }
            CheckOverlap(c.Peers.Select(p => (p.ToString(), p.AllowedIPValues)).ToArray(), $"config '{name}'", f);
        }
    }
}
