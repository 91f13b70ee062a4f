using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;

namespace HomeTunnel.Forwards;

/// <summary>
/// The relay's own ports (its WireGuard port, 80, 443) opened in the host's nftables input chains that drop by
/// default, for Initialize-TunnelHost. An accept in a table of HomeTunnel's own cannot pass another table's drop (each
/// base chain on the input hook decides for itself), so these rules stand at the head of the host's own chains, marked
/// <c>comment "HomeTunnel"</c>; nothing else in those chains changes. Kept as <see cref="NftTable"/> keeps a table's
/// items: one file per opening in <see cref="Folder"/> ("udp-51820"), a loader of fixed text that adds each missing
/// rule to each dropping input chain it finds when it runs, and a boot unit that runs it after the host's own
/// nftables.service, so an opening made by an earlier run is never lost by a later one.
/// </summary>
public static partial class NftHostOpenings
{
    public const string Folder = "/etc/hometunnel/openings.d";
    public const string LoaderPath = "/etc/hometunnel/firewall.sh";
    public const string UnitName = "hometunnel-firewall.service";
    public static string UnitPath => $"/etc/systemd/system/{UnitName}";

    /// <summary>The rule's comment, by which the probe, the loader and the Lab know HomeTunnel's openings.</summary>
    public const string Comment = "HomeTunnel";

    /// <summary>An opening's name, as the probe reports it ("51820/udp") and as its file is named ("udp-51820").</summary>
    [GeneratedRegex(@"\A(?<port>[0-9]{1,5})/(?<proto>tcp|udp)\z", RegexOptions.CultureInvariant)]
    private static partial Regex Opening();

    [GeneratedRegex(@"\A(?<proto>tcp|udp)-(?<port>[0-9]{1,5})\z", RegexOptions.CultureInvariant)]
    private static partial Regex ItemName();

    /// <summary>"udp-51820" for "51820/udp"; null for anything else (a port out of range included).</summary>
    public static string? ItemFor(string opening) =>
        Opening().Match(opening) is { Success: true } m && int.Parse(m.Groups["port"].Value, CultureInfo.InvariantCulture) is >= 1 and <= 65535
            ? $"{m.Groups["proto"].Value}-{m.Groups["port"].Value}" : null;

    /// <summary>"51820/udp" for an item file's name "udp-51820"; null for a name of any other shape.</summary>
    public static string? OpeningFor(string itemName) =>
        ItemName().Match(itemName) is { Success: true } m && int.Parse(m.Groups["port"].Value, CultureInfo.InvariantCulture) is >= 1 and <= 65535
            ? $"{m.Groups["port"].Value}/{m.Groups["proto"].Value}" : null;

    /// <summary>
    /// The loader: fixed text. It finds the dropping input chains each time it runs (the host's owner may have changed
    /// them since), takes only item names of the opening's shape and chain names of nft's plain characters, and inserts
    /// a rule only where the chain does not already hold it.
    /// </summary>
    public static readonly string Loader =
        "#!/bin/sh\n" +
        Ownership.Marker + ": opens the relay's ports (one file each in " + Folder + ") in the host's nftables input chains that drop.\n" +
        "PATH=/usr/sbin:/usr/bin:/sbin:/bin\n" +
        "nft list chains 2>/dev/null | awk '/^table /{f=$2; t=$3} /^[[:space:]]*chain /{c=$2} /hook input.*policy drop/{print f, t, c}' |\n" +
        "while read -r family table chain; do\n" +
        "  case \"$family$table$chain\" in *[!A-Za-z0-9_.-]*) continue ;; esac\n" +
        "  for item in " + Folder + "/*; do\n" +
        "    name=${item##*/}\n" +
        "    case \"$name\" in tcp-[0-9]*|udp-[0-9]*) ;; *) continue ;; esac\n" +
        "    proto=${name%%-*}; port=${name#*-}\n" +
        "    case \"$port\" in ''|*[!0-9]*) continue ;; esac\n" +
        "    nft list chain \"$family\" \"$table\" \"$chain\" | grep -q \"$proto dport $port accept comment \\\"" + Comment + "\\\"\" ||\n" +
        "      nft insert rule \"$family\" \"$table\" \"$chain\" \"$proto\" dport \"$port\" accept comment '\"" + Comment + "\"'\n" +
        "  done\n" +
        "done\n" +
        "exit 0\n";

    public static string Unit => NftTable.BootUnit("HomeTunnel: open the relay's ports in the host's nftables input chains", LoaderPath, null, null);

    /// <summary>
    /// Initialize-TunnelHost's step: an item for each opening (the wanted ones and those HomeTunnel already made),
    /// the loader and, with systemd, its unit, then the loader run once. A loader or unit HomeTunnel did not write,
    /// or a link in their place, stops the step before anything is written (exit 4, BootstrapFileNotOwned).
    /// </summary>
    public static string Script(IEnumerable<string> openings, bool systemd)
    {
        string[] items = openings.Select(ItemFor).OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (items.Length == 0)
        {
            throw new ArgumentException("No opening of the form port/proto.", nameof(openings));
        }
        var files = new List<(string Path, string Text, string Mode)> { (LoaderPath, Loader, "0755") };
        if (systemd)
        {
            files.Add((UnitPath, Unit, "0644"));
        }
        var s = new System.Text.StringBuilder("set -e\numask 022\n");
        foreach (var (path, _, _) in files)
        {
            s.Append($"if [ -L {path} ] || {{ [ -e {path} ] && ! head -n 2 {path} | grep -q '^{Ownership.Marker}'; }}; then\n")
             .Append($"  echo '{path} exists and was not written by HomeTunnel; nothing was changed. Move it away, then run Initialize-TunnelHost again.' >&2\n  exit 4\nfi\n");
        }
        s.Append($"mkdir -p {Folder}\n");
        foreach (string item in items)
        {
            s.Append($"[ -f {Folder}/{item} ] || echo '{Ownership.Marker}' > {Folder}/{item}\n");
        }
        foreach (var (path, text, mode) in files)
        {
            s.Append($"cat > {path}.hometunnel-new <<'EOF'\n{text}EOF\nchmod {mode} {path}.hometunnel-new\nmv -f {path}.hometunnel-new {path}\n");
        }
        if (systemd)
        {
            s.Append($"systemctl daemon-reload\nsystemctl enable {UnitName}\n");
        }
        return s.Append(LoaderPath).Append('\n').ToString();
    }
}
