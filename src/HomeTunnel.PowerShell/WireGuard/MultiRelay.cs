using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Text.RegularExpressions;

namespace HomeTunnel.WireGuard;

/// <summary>
/// Where the i-th relay of one service lives on the home machine (Publish-HomeService -RelaySession $a, $b): an
/// interface, a tunnel subnet and a peer file of its own, derived from the first relay's, so each relay's tunnel is
/// a tunnel like the single one and adding or removing a relay touches only its own.
/// </summary>
public static class MultiRelay
{
    /// <summary>wg0 → wg1, wg2 …; a name without a number gets one (home → home1).</summary>
    public static string Interface(string first, int index)
    {
        Match m = Regex.Match(first, @"\A(?<stem>.*?)(?<n>[0-9]+)\z", RegexOptions.CultureInvariant);
        string name = m.Success
            ? m.Groups["stem"].Value + (int.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture) + index).ToString(CultureInfo.InvariantCulture)
            : first + index.ToString(CultureInfo.InvariantCulture);
        return Checks.InterfaceName(name);
    }

    /// <summary>The i-th next subnet of the same size: 192.168.4.1/24 → 192.168.5.1/24 (the relay keeps its host number).</summary>
    public static string Subnet(string first, int index)
    {
        TunnelAddress a = TunnelAddress.Parse(first, "RelayTunnelAddress");
        if (a.IsIPv6 || a.PrefixLength is < 8 or > 30)
        {
            throw HomeTunnelException.Invalid("RelayTunnelAddressNotShiftable",
                $"With several relays, each relay's subnet follows -RelayTunnelAddress's; '{first}' is not an IPv4 subnet of /8 to /30.", first);
        }
        byte[] b = a.IP.GetAddressBytes();
        ulong value = ((ulong)b[0] << 24) | ((ulong)b[1] << 16) | ((ulong)b[2] << 8) | b[3];
        ulong next = value + ((ulong)index << (32 - a.PrefixLength));
        // The subnets stay inside the first one's /8 (192.168.4.0/24 → … 192.168.255.0/24 at most).
        if (next > uint.MaxValue || (next >> 24) != (value >> 24))
        {
            throw HomeTunnelException.Invalid("RelayTunnelAddressNotShiftable", $"'{first}' leaves no room for {index + 1} relays' subnets after it.", first);
        }
        var ip = new IPAddress(new[] { (byte)(next >> 24), (byte)(next >> 16), (byte)(next >> 8), (byte)next });
        return $"{ip}/{a.PrefixLength}";
    }

    /// <summary>The peer file of another relay beside the given one: peers.json → peers.&lt;relay&gt;.json.</summary>
    public static string PeerFile(string first, string relay)
    {
        string safe = Regex.Replace(relay, "[^A-Za-z0-9._-]", "_", RegexOptions.CultureInvariant);
        string ext = Path.GetExtension(first);
        return Path.Combine(Path.GetDirectoryName(first) ?? string.Empty, Path.GetFileNameWithoutExtension(first) + "." + safe + (ext.Length > 0 ? ext : ".json"));
    }
}
