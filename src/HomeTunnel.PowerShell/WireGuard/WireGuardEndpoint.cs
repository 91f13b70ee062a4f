using System;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace HomeTunnel.WireGuard;

/// <summary>Where the home side dials the relay: "host:port", "[v6]:port", or a host to which a port is added.</summary>
public sealed class WireGuardEndpoint : IEquatable<WireGuardEndpoint>
{
    public const int DefaultPort = 51820;

    private WireGuardEndpoint(string host, int port)
    {
        Host = host;
        Port = port;
    }

    public string Host { get; }
    public int Port { get; }

    public static WireGuardEndpoint Parse(string? text, int? defaultPort = null, string what = "Endpoint")
    {
        string value = text ?? string.Empty;
        string host;
        string? portText = null;
        if (value.StartsWith('['))
        {
            int close = value.IndexOf(']');
            if (close < 0)
            {
                throw HomeTunnelException.Invalid("EndpointInvalid", $"{what} '{value}' opens '[' for an IPv6 address but never closes it.", value);
            }
            host = value[1..close];
            string rest = value[(close + 1)..];
            if (rest.Length > 0)
            {
                if (rest[0] != ':')
                {
                    throw HomeTunnelException.Invalid("EndpointInvalid", $"{what} '{value}' has '{rest}' after the address; expected ':port'.", value);
                }
                portText = rest[1..];
            }
            if (!IPText.TryParse(host, out IPAddress v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
            {
                throw HomeTunnelException.Invalid("EndpointInvalid", $"{what} '{value}' has '[{host}]', which is not an IPv6 address.", value);
            }
            host = v6.ToString();
        }
        else
        {
            int colon = value.LastIndexOf(':');
            if (colon >= 0 && value.IndexOf(':') != colon)
            {
                throw HomeTunnelException.Invalid("EndpointIPv6NeedsBrackets", $"{what} '{value}' looks like an IPv6 address; write it as [address]:port.", value);
            }
            host = colon < 0 ? value : value[..colon];
            portText = colon < 0 ? null : value[(colon + 1)..];
            host = IPText.TryParse(host, out IPAddress v4) ? v4.ToString() : DnsName.Normalize(host, $"{what} host", "EndpointHost");
        }
        int port = portText is null ? defaultPort ?? DefaultPort : ParsePort(portText, what, value);
        return new WireGuardEndpoint(host, port);
    }

    private static int ParsePort(string text, string what, string value)
    {
        if (!Checks.TryDigits(text, out int port) || port is < 1 or > 65535 || text.Length > 5)
        {
            throw HomeTunnelException.Invalid("EndpointPortInvalid", $"{what} '{value}' has port '{text}'; a port is 1 to 65535.", value);
        }
        return port;
    }

    public override string ToString() => Host.Contains(':') ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
    public bool Equals(WireGuardEndpoint? other) => other is not null && other.Host == Host && other.Port == Port;
    public override bool Equals(object? obj) => Equals(obj as WireGuardEndpoint);
    public override int GetHashCode() => HashCode.Combine(Host, Port);
}
