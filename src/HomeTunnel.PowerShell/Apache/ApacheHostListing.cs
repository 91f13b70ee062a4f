using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;

namespace HomeTunnel.Apache;

/// <summary>A VirtualHost as the relay's own listing names it: its port, and the file and line of its section.</summary>
public sealed record VirtualHostSeen(string Port, string File, int Line);

/// <summary>
/// Reads Apache's own listing of its VirtualHosts (<c>apache2ctl -S</c>) into which VirtualHosts serve a name: a
/// "port N namevhost NAME (FILE:LINE)" line or an "ADDRESS:N NAME (FILE:LINE)" line opens a VirtualHost, the "alias" and
/// "wild alias" lines under it add names to it. Everything else in the listing (the default server lines, ServerRoot,
/// Mutex, Define...) is not a VirtualHost and is passed over. The listing is the host's text: nothing in it is run,
/// and a line that does not keep to Apache's form is passed over too.
/// </summary>
public sealed partial class ApacheHostListing
{
    private readonly Dictionary<string, List<VirtualHostSeen>> _byName = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<(Regex Pattern, VirtualHostSeen Host)> _wild = new();

    public static readonly ApacheHostListing Empty = new();

    private ApacheHostListing()
    {
    }

    public static ApacheHostListing Parse(string? listing)
    {
        var result = new ApacheHostListing();
        VirtualHostSeen? last = null;
        foreach (string line in (listing ?? string.Empty).Split('\n'))
        {
            Match m = NameVirtualHost().Match(line) is { Success: true } named ? named : AddressVirtualHost().Match(line);
            if (m.Success)
            {
                last = new VirtualHostSeen(m.Groups["port"].Value, m.Groups["file"].Value, int.Parse(m.Groups["line"].Value, System.Globalization.CultureInfo.InvariantCulture));
                result.Add(m.Groups["name"].Value, last);
            }
            else if (last is not null && WildAlias().Match(line) is { Success: true } wild)
            {
                result._wild.Add((Glob(wild.Groups["name"].Value), last));
            }
            else if (last is not null && Alias().Match(line) is { Success: true } alias)
            {
                result.Add(alias.Groups["name"].Value, last);
            }
            else if (!line.StartsWith(' ') && !line.StartsWith('\t'))
            {
                // A new address block ("*:80 is a NameVirtualHost") or the run-time part: an alias line after it is no one's.
                last = null;
            }
        }
        return result;
    }

    /// <summary>The VirtualHosts that serve a name, in the listing's order: those that name it, then those a wild alias matches.</summary>
    public IReadOnlyList<VirtualHostSeen> ServedBy(string name)
    {
        var hosts = new List<VirtualHostSeen>(_byName.TryGetValue(name, out List<VirtualHostSeen>? named) ? named : Enumerable.Empty<VirtualHostSeen>());
        hosts.AddRange(_wild.Where(w => w.Pattern.IsMatch(name) && !hosts.Contains(w.Host)).Select(w => w.Host));
        return hosts;
    }

    private void Add(string name, VirtualHostSeen host)
    {
        if (!_byName.TryGetValue(name, out List<VirtualHostSeen>? hosts))
        {
            _byName[name] = hosts = new List<VirtualHostSeen>();
        }
        if (!hosts.Contains(host))
        {
            hosts.Add(host);
        }
    }

    /// <summary>Apache's wildcards in a ServerAlias: '*' any run of characters, '?' one.</summary>
    private static Regex Glob(string pattern) =>
        new(@"\A" + Regex.Escape(pattern).Replace(@"\*", ".*", StringComparison.Ordinal).Replace(@"\?", ".", StringComparison.Ordinal) + @"\z",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));

    [GeneratedRegex(@"\A\s+port\s+(?<port>\d{1,5})\s+namevhost\s+(?<name>\S+)\s+\((?<file>/[^\r\n]*):(?<line>\d{1,9})\)\s*\z", RegexOptions.CultureInvariant)]
    private static partial Regex NameVirtualHost();

    [GeneratedRegex(@"\A\s*\S+:(?<port>\d{1,5})\s+(?<name>\S+)\s+\((?<file>/[^\r\n]*):(?<line>\d{1,9})\)\s*\z", RegexOptions.CultureInvariant)]
    private static partial Regex AddressVirtualHost();

    [GeneratedRegex(@"\A\s+alias\s+(?<name>\S+)\s*\z", RegexOptions.CultureInvariant)]
    private static partial Regex Alias();

    [GeneratedRegex(@"\A\s+wild alias\s+(?<name>\S+)\s*\z", RegexOptions.CultureInvariant)]
    private static partial Regex WildAlias();
}
