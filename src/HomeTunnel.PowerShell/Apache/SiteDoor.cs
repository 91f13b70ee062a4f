using System;
using System.Collections.Generic;
using System.Linq;

namespace HomeTunnel.Apache;

/// <summary>
/// The door in front of a site: the client addresses let in (mod_authz_host) and the one user who may
/// pass with a password (mod_auth_basic against HomeTunnel's htpasswd file). Both given: a visitor needs
/// both. Written as one &lt;Location "/"&gt; inside each proxying VirtualHost, and, with the ACME
/// exception, a &lt;Location&gt; that keeps /.well-known/acme-challenge/ open so certificates renew.
/// </summary>
public static class SiteDoor
{
    public const string AcmeOpening = "<Location \"/.well-known/acme-challenge/\">";

    /// <summary>The door's section lines, as <see cref="ApacheDirective.Render"/> renders a parsed section.</summary>
    public static IEnumerable<string> Lines(string serverName, IReadOnlyList<string> allowFrom, string? user)
    {
        yield return "<Location \"/\">";
        if (user is not null)
        {
            yield return "    AuthType Basic";
            yield return $"    AuthName \"{serverName}\"";
            yield return "    AuthBasicProvider file";
            yield return "    AuthUserFile " + BasicAuthFile.PathFor(serverName);
        }
        if (user is not null && allowFrom.Count > 0)
        {
            yield return "    <RequireAll>";
            yield return "        Require ip " + string.Join(' ', allowFrom);
            yield return "        Require user " + user;
            yield return "    </RequireAll>";
        }
        else if (allowFrom.Count > 0)
        {
            yield return "    Require ip " + string.Join(' ', allowFrom);
        }
        else
        {
            yield return "    Require user " + user;
        }
        yield return "</Location>";
    }

    /// <summary>The section that keeps the ACME challenge path open behind a door.</summary>
    public static IEnumerable<string> AcmeLines()
    {
        yield return AcmeOpening;
        yield return "    Require all granted";
        yield return "</Location>";
    }

    /// <summary>Reads a parsed &lt;Location&gt; as the model's door for this site, when it is exactly that.</summary>
    public static bool TryRead(ApacheDirective section, string serverName, out IReadOnlyList<string> allowFrom, out string? user)
    {
        allowFrom = Array.Empty<string>();
        user = null;
        if (!section.IsSection || !section.Is("Location") || section.Text != "<Location \"/\">")
        {
            return false;
        }
        var requires = new List<ApacheDirective>();
        Collect(section, requires);
        string[]? ips = requires.FirstOrDefault(r => r.Args.Count > 1 && r.Args[0] == "ip")?.Args.Skip(1).ToArray();
        string? who = requires.FirstOrDefault(r => r.Args.Count == 2 && r.Args[0] == "user")?.Args[1];
        try
        {
            // Read back as written: a door the relay already has is taken as it is.
            IReadOnlyList<string> cidrs = ips is null ? Array.Empty<string>() : AllowList(ips, allowEveryone: true);
            string? name = who is null ? null : UserName(who);
            if (cidrs.Count == 0 && name is null)
            {
                return false;
            }
            if (string.Join('\n', Lines(serverName, cidrs, name)) != section.Render())
            {
                return false;
            }
            allowFrom = cidrs;
            user = name;
            return true;
        }
        catch (HomeTunnelException)
        {
            return false;
        }
    }

    public static bool IsAcmeOpening(ApacheDirective section) =>
        section.IsSection && section.Is("Location") && section.Render() == string.Join('\n', AcmeLines());

    private static void Collect(ApacheDirective section, List<ApacheDirective> requires)
    {
        foreach (ApacheDirective d in section.Children!)
        {
            if (d.IsSection)
            {
                Collect(d, requires);
            }
            else if (d.Is("Require"))
            {
                requires.Add(d);
            }
        }
    }

    /// <summary>
    /// Client networks as Apache's "Require ip" takes them: canonical CIDRs, no duplicates, in the order
    /// given. A network written with host bits set is refused with the network it probably means; an IPv4-mapped
    /// IPv6 network (::ffff:192.0.2.0/120) is the IPv4 network it maps (Apache would otherwise refuse it only at
    /// configtest, or match nothing). A list that lets every address of a family in is no door: refused
    /// (<c>AllowFromEveryone</c>) unless <paramref name="allowEveryone"/> says that is meant.
    /// </summary>
    public static IReadOnlyList<string> AllowList(IEnumerable<string>? values, bool allowEveryone = false)
    {
        var list = new List<string>();
        var networks = new List<TunnelAddress>();
        foreach (string raw in values ?? Array.Empty<string>())
        {
            TunnelAddress a = TunnelAddress.Parse(raw?.Trim(), "AllowFrom");
            if (a.IP.IsIPv4MappedToIPv6)
            {
                if (a.PrefixLength < 96)
                {
                    throw HomeTunnelException.Invalid("AllowFromMappedInvalid",
                        $"AllowFrom '{raw}' is an IPv4-mapped IPv6 network wider than the mapped range (/96); write the IPv4 network instead.", raw);
                }
                a = TunnelAddress.Parse($"{a.IP.MapToIPv4()}/{a.PrefixLength - 96}", "AllowFrom");
            }
            if (!a.Equals(a.Network))
            {
                throw HomeTunnelException.Invalid("AllowFromHostBits",
                    $"AllowFrom '{raw}' has bits set after its /{a.PrefixLength} prefix; write the network ({a.Network}) or the one address ({a.HostRoute}).", raw);
            }
            string text = a.ToString();
            if (!list.Contains(text))
            {
                list.Add(text);
                networks.Add(a);
            }
        }
        if (!allowEveryone && CoversAll(networks) is { } family)
        {
            throw HomeTunnelException.Invalid("AllowFromEveryone",
                $"AllowFrom '{string.Join(", ", list)}' lets every {family} address in: that is no door. Leave -AllowFrom out for an open site, or pass -AllowEveryone if this is meant.",
                string.Join(", ", list));
        }
        return list.AsReadOnly();
    }

    /// <summary>"IPv4" or "IPv6" when the networks together cover that whole family (0.0.0.0/0, or 0.0.0.0/1 with 128.0.0.0/1, ...).</summary>
    private static string? CoversAll(IReadOnlyList<TunnelAddress> networks)
    {
        foreach (bool v6 in new[] { false, true })
        {
            var mine = networks.Where(n => n.IsIPv6 == v6).ToList();
            // Only the networks no other one contains: they are disjoint, so their sizes add up.
            var outer = mine.Where(n => !mine.Any(o => !ReferenceEquals(o, n) && o.PrefixLength < n.PrefixLength && o.Contains(n.IP))).ToList();
            int bits = v6 ? 128 : 32;
            System.Numerics.BigInteger covered = outer.Aggregate(System.Numerics.BigInteger.Zero, (sum, n) => sum + System.Numerics.BigInteger.Pow(2, bits - n.PrefixLength));
            if (mine.Count > 0 && covered >= System.Numerics.BigInteger.Pow(2, bits))
            {
                return v6 ? "IPv6" : "IPv4";
            }
        }
        return null;
    }

    /// <summary>A basic-auth user name: it stands in the site file and the htpasswd file, so plain characters only.</summary>
    public static string UserName(string? value)
    {
        string v = value ?? string.Empty;
        bool plain = v.Length is > 0 and <= 64 && char.IsAsciiLetterOrDigit(v[0])
            && v.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '@');
        if (!plain)
        {
            throw HomeTunnelException.Invalid("BasicAuthUserInvalid",
                $"Basic-auth user '{DnsName.Printable(v)}' must be 1 to 64 letters, digits and . _ - @, starting with a letter or digit.", value);
        }
        return v;
    }
}
