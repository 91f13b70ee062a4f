using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net.Sockets;

namespace HomeTunnel.WireGuard;

/// <summary>
/// What a home config needs when the relay forwards with the visitor's address kept (-PreserveClientAddress):
/// the relay peer's AllowedIPs take any IPv4 source (0.0.0.0/0, else WireGuard drops the visitor's packets),
/// wg-quick adds no routes (Table = off, else the home machine's whole internet would go to the relay), and
/// these hooks route only what leaves from the tunnel address (the home service's replies) back into the
/// tunnel through a table of its own. The home machine's own default route is never touched. HomeTunnel's
/// parser takes these hooks, exactly these, as this model; any other hook is still refused.
/// </summary>
public static class ReturnRoute
{
    /// <summary>The routing table of the return route.</summary>
    public const int Table = 51821;

    /// <summary>Its rule's priority: before the main table's (32766), or the main default route would take the replies.</summary>
    public const int RulePriority = 32100;

    public static readonly TunnelAddress AnySource = TunnelAddress.Parse("0.0.0.0/0", "AllowedIPs");

    /// <summary>The hooks, in order, as (key, value) lines of the [Interface] section.</summary>
    public static IReadOnlyList<(string Key, string Value)> Hooks(IReadOnlyList<TunnelAddress> address, IEnumerable<WireGuardPeerSection> peers)
    {
        string t = Table.ToString(CultureInfo.InvariantCulture);
        string prio = RulePriority.ToString(CultureInfo.InvariantCulture);
        string? own = address.FirstOrDefault(a => a.IP.AddressFamily == AddressFamily.InterNetwork)?.IP.ToString();
        var lines = new List<(string, string)>();
        // The routes wg-quick would have added for the peers' own networks (never the any-source entry).
        foreach (TunnelAddress net in peers.SelectMany(p => p.AllowedIPValues).Where(a => a.PrefixLength > 0).Select(a => a.Network).Distinct())
        {
            lines.Add(("PostUp", $"ip {(net.IsIPv6 ? "-6" : "-4")} route replace {net} dev %i"));
        }
        if (own is not null)
        {
            lines.Add(("PostUp", $"ip -4 rule del priority {prio} 2>/dev/null || true; ip -4 rule add from {own} lookup {t} priority {prio}"));
            lines.Add(("PostUp", $"ip -4 route replace default dev %i table {t}"));
            lines.Add(("PostDown", $"ip -4 rule del priority {prio} 2>/dev/null || true"));
        }
        return lines;
    }
}
