using System;
using System.Net;
using System.Net.Sockets;

namespace HomeTunnel.Apache;

/// <summary>
/// Where a site may proxy: a tunnel peer's address, nothing else. One rule for a site the user types and one read
/// from text. A name is refused (Apache resolves it at run time, to whatever it then says: the relay's loopback,
/// the cloud's metadata service); so are the relay itself, link-local services, multicast, broadcast and the
/// reserved ranges. Whether a peer of the relay carries the address is the relay's fact (Test-TunnelConfig, the path check).
/// </summary>
public static class BackendPolicy
{
    /// <summary>Why a backend host is not a tunnel peer's address, or null when it may be one.</summary>
    public static string? NotInTunnel(string host)
    {
        string h = host.Trim('[', ']');
        if (h.Equals("localhost", StringComparison.OrdinalIgnoreCase) || h.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
        {
            return "the relay itself";
        }
        if (!IPText.TryParse(h, out IPAddress ip))
        {
            return $"the name '{h}', which Apache resolves at run time to whatever it then says, not a tunnel peer's address";
        }
        if (ip.IsIPv4MappedToIPv6)
        {
            ip = ip.MapToIPv4();
        }
        if (IPAddress.IsLoopback(ip) || ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any))
        {
            return "the relay itself";
        }
        byte[] b = ip.GetAddressBytes();
        if (ip.AddressFamily == AddressFamily.InterNetwork)
        {
            if (b[0] == 169 && b[1] == 254)
            {
                return "a link-local service of the relay's network (such as the cloud's metadata service)";
            }
            if (b[0] == 0 || b[0] >= 224)
            {
                return "an address that is no single host (this network, multicast, reserved or broadcast)";
            }
            return null;
        }
        if (ip.IsIPv6LinkLocal)
        {
            return "a link-local service of the relay's network (such as the cloud's metadata service)";
        }
        return ip.IsIPv6Multicast || b[0] == 0 ? "an address that is no single host (multicast or reserved)" : null;
    }

    /// <summary>Refuses a typed site's backend that is not a tunnel peer's address (<c>BackendNotInTunnel</c>).</summary>
    public static void Ensure(ProxyBackend backend, string serverName)
    {
        if (NotInTunnel(backend.Host) is { } what)
        {
            throw new HomeTunnelException("BackendNotInTunnel", ErrorKind.SecurityError,
                $"The site {serverName} would proxy the internet to {what} ({backend}); a site proxies into the tunnel, to a home peer's address, and nowhere else.",
                backend.ToString());
        }
    }
}
