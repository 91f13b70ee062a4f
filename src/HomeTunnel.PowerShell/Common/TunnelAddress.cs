using System;
using System.Linq;
using System.Net;
using System.Net.Sockets;

namespace HomeTunnel;

/// <summary>An IP address with a prefix length, as wg-quick's Address and wg's AllowedIPs write it.</summary>
public sealed class TunnelAddress : IEquatable<TunnelAddress>
{
    internal TunnelAddress(IPAddress ip, int prefixLength)
    {
        IP = ip;
        PrefixLength = prefixLength;
    }

    public IPAddress IP { get; }
    public int PrefixLength { get; }
    public bool IsIPv6 => IP.AddressFamily == AddressFamily.InterNetworkV6;
    public int MaxPrefix => IsIPv6 ? 128 : 32;

    /// <summary>The same address as a single-host route (/32 or /128).</summary>
    public TunnelAddress HostRoute => new(IP, MaxPrefix);

    /// <summary>The network this address sits in (host bits cleared).</summary>
    public TunnelAddress Network => new(Mask(IP, PrefixLength), PrefixLength);

    /// <summary>Parses "ip/prefix"; without a prefix the address is a single host.</summary>
    public static TunnelAddress Parse(string? text, string what = "Address")
    {
        string value = text ?? string.Empty;
        // Not even a trailing NUL: .NET's number parser forgives one ("32\0"), no host reads the same bytes so.
        if (value.Any(c => char.IsControl(c) || HostText.IsControl(c)))
        {
            throw HomeTunnelException.Invalid("AddressInvalid", $"{what} '{DnsName.Printable(value)}' holds a control character; an address is exactly its text.", value);
        }
        int slash = value.IndexOf('/');
        string ipText = slash < 0 ? value : value[..slash];
        if (!IPText.TryParse(ipText, out IPAddress ip))
        {
            throw HomeTunnelException.Invalid("AddressInvalid",
                $"{what} '{value}' is not an IPv4 or IPv6 address (with an optional /prefix).", value);
        }
        int max = ip.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32;
        int prefix = max;
        if (slash >= 0)
        {
            string p = value[(slash + 1)..];
            if (p.Length is 0 or > 3 || !Checks.TryDigits(p, out prefix) || prefix > max
                || (p.Length > 1 && p[0] == '0'))
            {
                throw HomeTunnelException.Invalid("AddressPrefixInvalid",
                    $"{what} '{value}' has prefix '/{p}'; it must be 0 to {max}.", value);
            }
        }
        return new TunnelAddress(ip, prefix);
    }

    /// <summary>
    /// Refuses an interface address that is its network's own address or (IPv4) its broadcast address: wg-quick would
    /// take it, and nothing would ever answer there (AddressIsNetwork, AddressIsBroadcast).
    /// </summary>
    public static void EnsureHost(TunnelAddress a, string peer)
    {
        if (a.IsIPv6 ? a.PrefixLength >= 127 : a.PrefixLength >= 31)
        {
            return;
        }
        if (a.IP.Equals(a.Network.IP))
        {
            throw HomeTunnelException.Invalid("AddressIsNetwork", $"Peer '{peer}': {a} is the network's own address, not a host in it; give a host address such as {Offset(a.Network.IP, 1)}/{a.PrefixLength}.", a.ToString());
        }
        if (!a.IsIPv6)
        {
            byte[] b = a.Network.IP.GetAddressBytes();
            uint n = (uint)(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]) | (uint.MaxValue >> a.PrefixLength);
            if (a.IP.Equals(new IPAddress(new[] { (byte)(n >> 24), (byte)(n >> 16), (byte)(n >> 8), (byte)n })))
            {
                throw HomeTunnelException.Invalid("AddressIsBroadcast", $"Peer '{peer}': {a} is the network's broadcast address, not a host in it.", a.ToString());
            }
        }
    }

    private static IPAddress Offset(IPAddress ip, byte add)
    {
        byte[] b = ip.GetAddressBytes();
        b[^1] += add;
        return new IPAddress(b);
    }

    public bool Contains(IPAddress other) =>
        other.AddressFamily == IP.AddressFamily && Mask(other, PrefixLength).Equals(Mask(IP, PrefixLength));

    public bool Overlaps(TunnelAddress other) =>
        other.IP.AddressFamily == IP.AddressFamily &&
        (PrefixLength <= other.PrefixLength ? Network.Contains(other.IP) : other.Network.Contains(IP));

    private static IPAddress Mask(IPAddress ip, int prefix)
    {
        byte[] bytes = ip.GetAddressBytes();
        for (int i = 0; i < bytes.Length; i++)
        {
            int bits = Math.Clamp(prefix - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - bits));
        }
        return new IPAddress(bytes);
    }

    public override string ToString() => $"{IP}/{PrefixLength}";
    public bool Equals(TunnelAddress? other) => other is not null && other.IP.Equals(IP) && other.PrefixLength == PrefixLength;
    public override bool Equals(object? obj) => Equals(obj as TunnelAddress);
    public override int GetHashCode() => HashCode.Combine(IP, PrefixLength);
}
