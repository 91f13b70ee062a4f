using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using HomeTunnel.Hosts;

namespace HomeTunnel.Forwards;

/// <summary>
/// The relay's invariants for port forwards, checked against the host's own facts before anything is written,
/// whatever the input and with or without -Force: a forward never takes a port the relay itself uses (its SSH,
/// its WireGuard ports, Apache, anything else that listens), never overlaps another of HomeTunnel's forwards
/// (same protocol, any part of a range), and goes only to an address a peer of its tunnel interface carries.
/// </summary>
public static class ForwardGuard
{
    /// <returns>The refusal, or null when every forward keeps the relay's invariants.</returns>
    public static HostPlan? Check(IReadOnlyList<TunnelPortForward> forwards, RelayNeeds needs, IEnumerable<string> existingKeys)
    {
        if (forwards.Count == 0)
        {
            return null;
        }
        if (!needs.Complete)
        {
            return HostPlan.Refused("RelayFactsUnavailable",
                $"Nothing was forwarded: {needs.Missing}, so HomeTunnel cannot tell which ports the relay itself needs.", forwards[0].Key);
        }
        var installed = existingKeys.Select(Range.FromKey).OfType<Range>().ToList();
        var planned = new List<Range>();
        foreach (TunnelPortForward f in forwards)
        {
            var mine = new Range(f.Protocol, f.PublicPort, f.PublicPortEnd, f.Key);
            RelayPortUse? use = needs.Ports.Where(u => u.Protocol == f.Protocol && u.Port >= f.PublicPort && u.Port <= f.PublicPortEnd)
                .OrderBy(u => u.Port).FirstOrDefault();
            if (use is not null)
            {
                string port = $"{Proto(use.Protocol)} {use.Port.ToString(CultureInfo.InvariantCulture)}";
                string who = string.Join(", ", needs.Ports.Where(u => u.Protocol == use.Protocol && u.Port == use.Port).Select(u => u.Who).Distinct());
                return HostPlan.Refused($"ForwardPortInUse:{Proto(use.Protocol)}-{use.Port.ToString(CultureInfo.InvariantCulture)}",
                    $"The forward {f} would take {port}, which the relay itself uses ({who}): every new connection there would go home instead. Nothing was changed; forward another public port.",
                    f.Key);
            }
            Range? clash = installed.Where(r => r.Key != f.Key).Concat(planned).FirstOrDefault(r => r.Overlaps(mine));
            if (clash is not null)
            {
                return HostPlan.Refused("ForwardOverlaps",
                    $"The forward {f.Key} overlaps the forward {clash.Key} already on the relay (or in the same command): one of them would be silently dead. Nothing was changed; uninstall {clash.Key} first or choose ports that do not overlap.",
                    f.Key);
            }
            planned.Add(mine);
            bool peer = needs.PeerRoutes.TryGetValue(f.InterfaceName, out List<TunnelAddress>? routes)
                && routes.Any(r => r.PrefixLength > 0 && r.Contains(f.AddressValue));
            if (!peer)
            {
                return HostPlan.Refused("ForwardTargetNotAPeer",
                    $"The forward {f} goes to {f.Address}, which no peer of {f.InterfaceName} on the relay carries: a forward goes into the tunnel, to a home peer, and nowhere else. Nothing was changed; install the relay's WireGuard config with that peer first.",
                    f.Address);
            }
        }
        return null;
    }

    private static string Proto(ForwardProtocol p) => p == ForwardProtocol.Tcp ? "tcp" : "udp";

    /// <summary>A forward's public ports, as its key on the relay says ("tcp-2222", "udp-27015-27030").</summary>
    private sealed record Range(ForwardProtocol Protocol, int From, int To, string Key)
    {
        public bool Overlaps(Range other) => other.Protocol == Protocol && other.From <= To && From <= other.To;

        public static Range? FromKey(string key)
        {
            string[] p = key.Split('-');
            if (p.Length is < 2 or > 3 || p[0] is not ("tcp" or "udp")
                || !Checks.TryDigits(p[1], out int from)
                || !Checks.TryDigits(p[^1], out int to))
            {
                return null;
            }
            return new Range(p[0] == "tcp" ? ForwardProtocol.Tcp : ForwardProtocol.Udp, from, to, key);
        }
    }
}

/// <summary>What a command brings to the relay together with its forwards (Publish-HomeService's relay config): its WireGuard port and its peers' routes.</summary>
public sealed record PlannedRelay(string InterfaceName, IReadOnlyList<RelayPortUse> Ports, IReadOnlyList<TunnelAddress> Routes);
