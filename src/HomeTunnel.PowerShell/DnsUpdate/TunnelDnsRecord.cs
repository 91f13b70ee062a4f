using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Sockets;

namespace HomeTunnel.DnsUpdate;

/// <summary>What a DNS cmdlet did to a name.</summary>
[Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
public enum TunnelDnsState
{
    Unchanged,
    Created,
    Changed,
    Removed,
}

/// <summary>The records of one name after Set- or Remove-TunnelDnsRecord (or as Get-TunnelDnsRecord read them), and those before.</summary>
public sealed class TunnelDnsRecord
{
    public string Name { get; init; } = string.Empty;
    public string Zone { get; init; } = string.Empty;
    public string Server { get; init; } = string.Empty;
    public TunnelDnsState State { get; init; }

    /// <summary>The A/AAAA addresses or the CNAME target the name has now.</summary>
    public string[] Values { get; init; } = Array.Empty<string>();
    public int Ttl { get; init; }

    /// <summary>Whether HomeTunnel's mark (_hometunnel.&lt;name&gt; TXT) is there: the records are HomeTunnel's to change.</summary>
    public bool Owned { get; init; }

    /// <summary>The records as zone-file lines, now and before.</summary>
    public string[] Records { get; init; } = Array.Empty<string>();
    public string[] Before { get; init; } = Array.Empty<string>();

    public override string ToString() => $"{Name} {State}: {string.Join(", ", Values)}";

    internal static TunnelDnsRecord From(DnsNameState now, DnsNameState before, string zone, string server, TunnelDnsState state) => new()
    {
        Name = now.Name,
        Zone = zone,
        Server = server,
        State = state,
        Values = now.CName is { } c ? new[] { c } : now.Addresses.Select(a => a.ToString()).ToArray(),
        Ttl = now.Ttl,
        Owned = now.Owned,
        Records = now.Lines(),
        Before = before.Lines(),
    };

    /// <summary>The lines that go and come, for -WhatIf and the confirm prompt ("- line", "+ line").</summary>
    internal static string Diff(DnsNameState have, DnsNameState want)
    {
        string[] a = have.Lines(), b = want.Lines();
        var lines = a.Except(b).Select(l => "- " + l).Concat(b.Except(a).Select(l => "+ " + l)).ToList();
        if (have.Owned != !want.IsEmpty)
        {
            lines.Add((want.IsEmpty ? "- " : "+ ") + $"{DnsZoneEditor.OwnerName(have.Name)}. {(want.IsEmpty ? have.Ttl : want.Ttl)} IN TXT \"{DnsZoneEditor.OwnerText}\"");
        }
        return string.Join(Environment.NewLine, lines);
    }

    /// <summary>Addresses a relay's record may carry: unicast addresses another machine can reach.</summary>
    internal static IPAddress[] Addresses(IEnumerable<string> texts)
    {
        var list = new List<IPAddress>();
        foreach (string text in texts)
        {
            if (!IPText.TryParse(text, out IPAddress ip) || ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any) || ip.Equals(IPAddress.Broadcast)
                || IPAddress.IsLoopback(ip) || ip.IsIPv6Multicast || ip.IsIPv6LinkLocal
                || (ip.AddressFamily == AddressFamily.InterNetwork && ip.GetAddressBytes()[0] is >= 224 or 0))
            {
                throw HomeTunnelException.Invalid("DnsAddressInvalid", $"'{text}' is not an address a DNS record of a relay may carry (a unicast IPv4 or IPv6 address, not loopback, link-local or multicast).", text);
            }
            if (!list.Contains(ip))
            {
                list.Add(ip);
            }
        }
        return list.OrderBy(a => a.ToString(), StringComparer.Ordinal).ToArray();
    }
}
