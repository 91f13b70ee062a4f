using System;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace HomeTunnel.Apache;

/// <summary>Where Apache proxies to: http(s)://host:port/path/ with nothing else (no credentials, query or fragment).</summary>
public sealed class ProxyBackend : IEquatable<ProxyBackend>
{
    private ProxyBackend(string scheme, string host, int port, string path)
    {
        Scheme = scheme;
        Host = host;
        Port = port;
        Path = path;
    }

    public string Scheme { get; }
    public string Host { get; }
    public int Port { get; }
    public string Path { get; }

    /// <summary>A home peer's tunnel address ("192.168.4.2/32" or a bare IP) and the service's port.</summary>
    public static ProxyBackend FromAddress(string? address, int port, string? path = null)
    {
        TunnelAddress a = TunnelAddress.Parse(address, "Address");
        string host = a.IsIPv6 ? $"[{a.IP}]" : a.IP.ToString();
        return new ProxyBackend("http", host, Checks.Port(port, "Port"), UrlPath.Normalize(path ?? "/", "Backend path", "BackendPath"));
    }

    public static ProxyBackend Parse(string? text)
    {
        string value = text ?? string.Empty;
        foreach (char c in value)
        {
            if (char.IsControl(c) || char.IsWhiteSpace(c) || c is '"' or '\'' or '<' or '>' or '\\' or '`')
            {
                throw HomeTunnelException.Invalid("BackendHasForbiddenCharacter",
                    $"Backend '{DnsName.Printable(value)}' contains '{DnsName.Printable(c.ToString())}'.", value);
            }
        }
        int schemeEnd = value.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd <= 0)
        {
            throw HomeTunnelException.Invalid("BackendInvalid", $"Backend '{value}' is not an absolute URL such as http://192.168.4.2:3000/.", value);
        }
        string scheme = value[..schemeEnd].ToLowerInvariant();
        if (scheme is not ("http" or "https"))
        {
            throw HomeTunnelException.Invalid("BackendSchemeNotSupported", $"Backend '{value}' uses '{scheme}'; only http and https are proxied.", value);
        }
        string rest = value[(schemeEnd + 3)..];
        int slash = rest.IndexOf('/');
        string authority = slash < 0 ? rest : rest[..slash];
        string path = slash < 0 ? "/" : rest[slash..];
        if (authority.Contains('@'))
        {
            throw HomeTunnelException.Invalid("BackendHasCredentials", $"Backend '{value}' carries credentials; Apache would send them with every visitor's request.", value);
        }
        if (path.Contains('?') || path.Contains('#') || authority.Contains('?') || authority.Contains('#'))
        {
            throw HomeTunnelException.Invalid("BackendHasQuery", $"Backend '{value}' has a query or fragment; ProxyPass maps paths only.", value);
        }
        string host;
        string? portText = null;
        if (authority.StartsWith('['))
        {
            int close = authority.IndexOf(']');
            string inner = close < 0 ? string.Empty : authority[1..close];
            if (close < 0 || !IPText.TryParse(inner, out IPAddress v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
            {
                throw HomeTunnelException.Invalid("BackendInvalid", $"Backend '{value}' has a bracketed host that is not an IPv6 address.", value);
            }
            host = $"[{v6}]";
            string after = authority[(close + 1)..];
            if (after.Length > 0)
            {
                portText = after[0] == ':' ? after[1..] : throw HomeTunnelException.Invalid("BackendInvalid", $"Backend '{value}' has '{after}' after the address.", value);
            }
        }
        else
        {
            int colon = authority.LastIndexOf(':');
            string rawHost = colon < 0 ? authority : authority[..colon];
            portText = colon < 0 ? null : authority[(colon + 1)..];
            host = IPText.TryParse(rawHost, out IPAddress ip) ? ip.ToString() : DnsName.Normalize(rawHost, "Backend host", "BackendHost");
        }
        int port = scheme == "https" ? 443 : 80;
        if (portText is not null && (!Checks.TryDigits(portText, out port) || portText.Length > 5))
        {
            throw HomeTunnelException.Invalid("BackendPortInvalid", $"Backend '{value}' has port '{portText}'; a port is 1 to 65535.", value);
        }
        return new ProxyBackend(scheme, host, Checks.Port(port, "Backend port", "BackendPortInvalid"), UrlPath.Normalize(path, "Backend path", "BackendPath"));
    }

    public override string ToString() => $"{Scheme}://{Host}:{Port.ToString(CultureInfo.InvariantCulture)}{Path}";
    public bool Equals(ProxyBackend? other) => other is not null && other.ToString() == ToString();
    public override bool Equals(object? obj) => Equals(obj as ProxyBackend);
    public override int GetHashCode() => ToString().GetHashCode(StringComparison.Ordinal);
}
