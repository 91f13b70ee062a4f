using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace HomeTunnel.WireGuard;

/// <summary>
/// Reads wg-quick files the way wg-quick does (a '#' starts a comment anywhere; wg-quick's own keys are
/// case-sensitive, wg's are not), and refuses what wg-quick would misread or run: hooks (PreUp, PostUp, …
/// run as root), SaveConfig, a second [Interface], a peer given twice, a key given twice.
/// Keys the model does not know are kept as <see cref="WireGuardSetting"/>s.
/// </summary>
public static partial class WireGuardConfigParser
{
    private static readonly string[] WgQuickKeys = { "Address", "DNS", "MTU", "Table", "PreUp", "PreDown", "PostUp", "PostDown", "SaveConfig" };
    private static readonly string[] Hooks = { "PreUp", "PreDown", "PostUp", "PostDown" };

    [System.Text.RegularExpressions.GeneratedRegex(@"\A[A-Za-z][A-Za-z0-9]{0,63}\z")]
    private static partial System.Text.RegularExpressions.Regex PlainKey();

    public static bool IsWgQuickOnly(string key) => WgQuickKeys.Contains(key, StringComparer.OrdinalIgnoreCase);

    private sealed class Section
    {
        public bool IsInterface;
        public int Line;
        public string? Name;
        public readonly Dictionary<string, (string Value, int Line)> Single = new(StringComparer.OrdinalIgnoreCase);
        public readonly List<string> Multi = new();
        public readonly List<string> Dns = new();
        public readonly List<WireGuardSetting> Extra = new();

        /// <summary>Hook lines, kept until the whole file is read: only the return route's own are taken.</summary>
        public readonly List<(string Key, string Value, int Line)> Hooks = new();
    }

    public static WireGuardConfig Parse(string text, string? source = null)
    {
        try
        {
            return ParseCore(text, source);
        }
        catch (Exception e) when (e is not HomeTunnelException)
        {
            // A defect of ours, never a crash for the caller: the fuzz suite fails on this id.
            throw new HomeTunnelException("ConfigUnreadable", ErrorKind.InvalidData, $"{source ?? "config text"} cannot be read ({e.GetType().Name}).", source ?? "config text", e);
        }
    }

    private static WireGuardConfig ParseCore(string text, string? source)
    {
        string where = source ?? "config text";
        var sections = new List<Section>();
        Section? current = null;
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            int lineNo = i + 1;
            string raw = lines[i].EndsWith('\r') ? lines[i][..^1] : lines[i];
            foreach (char c in raw)
            {
                if (char.IsControl(c) && c != '\t')
                {
                    throw Error("ConfigControlCharacter", ErrorKind.InvalidData, where, lineNo, $"has control character \\u{(int)c:x4} (the line is not shown: it may hold a key)", $"line {lineNo}");
                }
            }
            string trimmedRaw = raw.Trim();
            if (current is not null && trimmedRaw.StartsWith("# Name = ", StringComparison.Ordinal))
            {
                current.Name = Checks.PeerName(trimmedRaw["# Name = ".Length..].Trim());
                continue;
            }
            int hash = raw.IndexOf('#');
            string stripped = (hash < 0 ? raw : raw[..hash]).Trim();
            if (stripped.Length == 0)
            {
                continue;
            }
            if (stripped.StartsWith('['))
            {
                current = StartSection(stripped, sections, where, lineNo);
                continue;
            }
            int eq = stripped.IndexOf('=');
            if (eq <= 0)
            {
                // Only the first word is shown: a malformed line may still carry a private key.
                throw Error("ConfigLineInvalid", ErrorKind.ParserError, where, lineNo, "is not 'Key = Value' (the line is not shown: it may hold a key or another file's secret)",
                    IsKnownKey(stripped) ? stripped : $"line {lineNo}");
            }
            string key = stripped[..eq].Trim();
            string value = stripped[(eq + 1)..].Trim();
            if (!PlainKey().IsMatch(key))
            {
                // "PrivateKey: <key> =": a key name that is no name may hold the secret itself, so it is neither kept nor shown.
                throw Error("ConfigLineInvalid", ErrorKind.ParserError, where, lineNo, "has a key name wg does not read as one (the line is not shown: it may hold a key)", $"line {lineNo}");
            }
            if (current is null)
            {
                throw Error("ConfigOutsideSection", ErrorKind.ParserError, where, lineNo, "comes before any [Interface] or [Peer]", IsKnownKey(key) ? key : $"line {lineNo}");
            }
            AddSetting(current, key, value, where, lineNo);
        }

        Section[] interfaces = sections.Where(s => s.IsInterface).ToArray();
        if (interfaces.Length == 0)
        {
            throw Error("ConfigNoInterface", ErrorKind.InvalidData, where, 0, "has no [Interface] section", where);
        }
        Section iface = interfaces[0];
        var peers = new List<WireGuardPeerSection>();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (Section s in sections.Where(s => !s.IsInterface))
        {
            WireGuardPeerSection peer = BuildPeer(s, where);
            if (!keys.Add(peer.PublicKey))
            {
                throw Error("ConfigDuplicatePeer", ErrorKind.InvalidData, where, s.Line, $"repeats the peer {peer.PublicKey}; wg would merge both sections into one", peer.PublicKey);
            }
            peers.Add(peer);
        }
        WireGuardConfig config = BuildInterface(iface, peers, where, source);
        if (iface.Hooks.Count > 0)
        {
            // The return route (ReturnRoute) exactly as HomeTunnel writes it for this file's own addresses, with
            // Table = off; any other hook is a shell command wg-quick would run as root, and is refused.
            var want = ReturnRoute.Hooks(config.AddressValues, config.Peers);
            bool ours = config.Table == "off" && want.Count == iface.Hooks.Count && want.Select((w, i) => w.Key == iface.Hooks[i].Key && w.Value == iface.Hooks[i].Value).All(x => x);
            if (!ours)
            {
                var (key, _, line) = iface.Hooks[0];
                throw Error("ConfigHookNotAllowed", ErrorKind.SecurityError, where, line, $"has {key}, a shell command wg-quick runs as root; HomeTunnel does not take hooks from a config", key);
            }
            config = config.WithPreserveClientAddress();
        }
        if (config.PublicKey is string own && keys.Contains(own))
        {
            throw Error("ConfigPeerIsSelf", ErrorKind.InvalidData, where, iface.Line, "lists its own public key as a peer", own);
        }
        return config;
    }

    private static Section StartSection(string header, List<Section> sections, string where, int lineNo)
    {
        bool isInterface = header == "[Interface]";
        if (!isInterface && header != "[Peer]")
        {
            bool caseOnly = header.Equals("[Interface]", StringComparison.OrdinalIgnoreCase) || header.Equals("[Peer]", StringComparison.OrdinalIgnoreCase);
            throw Error(caseOnly ? "ConfigSectionCase" : "ConfigUnknownSection", ErrorKind.ParserError, where, lineNo,
                caseOnly ? "must be written [Interface] or [Peer] exactly: wg-quick reads only that spelling" : "is not [Interface] or [Peer]",
                header.Length is >= 3 and <= 24 && header[^1] == ']' && header[1..^1].All(char.IsAsciiLetter) ? header : $"line {lineNo}");
        }
        if (isInterface && sections.Any(s => s.IsInterface))
        {
            throw Error("ConfigDuplicateInterface", ErrorKind.InvalidData, where, lineNo, "is a second [Interface]; wg would merge it into the first", header);
        }
        var section = new Section { IsInterface = isInterface, Line = lineNo };
        sections.Add(section);
        return section;
    }

    private static void AddSetting(Section s, string key, string value, string where, int lineNo)
    {
        string? wgQuick = WgQuickKeys.FirstOrDefault(k => k.Equals(key, StringComparison.OrdinalIgnoreCase));
        if (!s.IsInterface && (Hooks.Contains(key, StringComparer.OrdinalIgnoreCase) || key.Equals("SaveConfig", StringComparison.OrdinalIgnoreCase)))
        {
            // wg-quick never runs a hook from a [Peer] section, but the line would still travel with the file: refused as a hook anywhere.
            throw Error("ConfigHookNotAllowed", ErrorKind.SecurityError, where, lineNo, $"has {key} in a [Peer] section; HomeTunnel does not take hooks from a config", key);
        }
        if (wgQuick is not null && s.IsInterface)
        {
            if (wgQuick != key)
            {
                throw Error("ConfigKeyCase", ErrorKind.ParserError, where, lineNo, $"writes '{key}'; wg-quick reads only '{wgQuick}' and would hand this line to wg, which refuses it", key);
            }
            if (Hooks.Contains(key))
            {
                s.Hooks.Add((key, value, lineNo));
                return;
            }
            if (key == "SaveConfig")
            {
                throw Error("ConfigSaveConfigNotAllowed", ErrorKind.SecurityError, where, lineNo, "has SaveConfig, which makes wg-quick overwrite the file on the host behind HomeTunnel's back", key);
            }
        }
        if (key is "Address" && s.IsInterface || key.Equals("AllowedIPs", StringComparison.OrdinalIgnoreCase) && !s.IsInterface)
        {
            s.Multi.AddRange(value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
            return;
        }
        if (key is "DNS" && s.IsInterface)
        {
            foreach (string dns in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                // wg-quick hands each value to resolvconf through an unquoted shell word (split and globbed as root):
                // only an address or a search domain is a DNS value.
                if (!IPText.TryParse(dns, out _) && !DnsName.TryNormalize(dns, out _))
                {
                    throw Error("ConfigDnsInvalid", ErrorKind.SecurityError, where, lineNo, $"has DNS '{DnsName.Printable(dns)}', which is neither an address nor a search domain (wg-quick would split and glob it in a shell as root)", dns);
                }
                s.Dns.Add(dns);
            }
            return;
        }
        if (IsModelled(key, s.IsInterface))
        {
            if (s.Single.ContainsKey(key))
            {
                throw Error("ConfigDuplicateSetting", ErrorKind.InvalidData, where, lineNo, $"sets {key} a second time in the same section; wg would keep only the last", key);
            }
            s.Single[key] = (value, lineNo);
            return;
        }
        s.Extra.Add(new WireGuardSetting(key, value));
    }

    private static bool IsKnownKey(string key) =>
        WgQuickKeys.Concat(new[] { "PrivateKey", "ListenPort", "FwMark", "PublicKey", "PresharedKey", "Endpoint", "PersistentKeepalive", "AllowedIPs" })
            .Contains(key, StringComparer.OrdinalIgnoreCase);

    private static bool IsModelled(string key, bool isInterface)
    {
        string[] known = isInterface
            ? new[] { "PrivateKey", "ListenPort", "FwMark", "MTU", "Table" }
            : new[] { "PublicKey", "PresharedKey", "Endpoint", "PersistentKeepalive" };
        return known.Contains(key, StringComparer.OrdinalIgnoreCase);
    }

    private static WireGuardConfig BuildInterface(Section s, List<WireGuardPeerSection> peers, string where, string? source)
    {
        // "(redacted)" is how Text and JSON show a key: it is taken as "a key not given here" (such a config
        // shows it so and can never be written to a host), never as a key.
        var pk = Get(s, "PrivateKey");
        bool redacted = pk?.Value == SecretKey.Redacted;
        WireGuardPrivateKey? privateKey = pk is { } key && !redacted ? Wrap(where, key.Line, () => WireGuardPrivateKey.Parse(key.Value)) : null;
        return new WireGuardConfig
        {
            Name = s.Name,
            PrivateKey = privateKey,
            PrivateKeyRedacted = redacted,
            AddressValues = s.Multi.Select(a => Wrap(where, s.Line, () => TunnelAddress.Parse(a))).ToArray(),
            ListenPort = Get(s, "ListenPort") is { } lp ? Wrap(where, lp.Line, () => Checks.Port(Int(lp.Value, "ListenPort"), "ListenPort", "ListenPortOutOfRange")) : null,
            Mtu = Get(s, "MTU") is { } mtu ? Wrap(where, mtu.Line, () => Checks.Mtu(Int(mtu.Value, "MTU"))) : null,
            Table = Get(s, "Table")?.Value,
            FwMark = Get(s, "FwMark")?.Value,
            Dns = s.Dns.ToArray(),
            ExtraSettings = s.Extra.ToArray(),
            Peers = peers,
            Source = source,
        };
    }

    private static WireGuardPeerSection BuildPeer(Section s, string where)
    {
        if (Get(s, "PublicKey") is not { } pub)
        {
            throw Error("ConfigPeerWithoutKey", ErrorKind.InvalidData, where, s.Line, "is a [Peer] without a PublicKey", "[Peer]");
        }
        return new WireGuardPeerSection
        {
            Name = s.Name,
            PublicKey = Wrap(where, pub.Line, () => KeyText.Public(pub.Value)),
            PresharedKey = Get(s, "PresharedKey") is { } psk && psk.Value != SecretKey.Redacted ? Wrap(where, psk.Line, () => WireGuardPresharedKey.Parse(psk.Value)) : null,
            PresharedKeyRedacted = Get(s, "PresharedKey")?.Value == SecretKey.Redacted,
            AllowedIPValues = s.Multi.Select(a => Wrap(where, s.Line, () => TunnelAddress.Parse(a, "AllowedIPs"))).ToArray(),
            EndpointValue = Get(s, "Endpoint") is { } ep ? Wrap(where, ep.Line, () => WireGuardEndpoint.Parse(ep.Value)) : null,
            PersistentKeepalive = Get(s, "PersistentKeepalive") is { } ka
                ? ka.Value == "off" ? 0 : Wrap(where, ka.Line, () => Checks.Keepalive(Int(ka.Value, "PersistentKeepalive")))
                : null,
            ExtraSettings = s.Extra.ToArray(),
        };
    }

    private static (string Value, int Line)? Get(Section s, string key) =>
        s.Single.TryGetValue(key, out var v) ? v : null;

    private static int Int(string text, string what) =>
        Checks.TryDigits(text, out int n) && text.Length <= 6
            ? n
            : throw HomeTunnelException.Invalid("ConfigNumberInvalid", $"{what} '{text}' is not a whole number.", text);

    /// <summary>Adds the file and line to a value error from the model, keeping its id and target.</summary>
    private static T Wrap<T>(string where, int line, Func<T> parse)
    {
        try
        {
            return parse();
        }
        catch (HomeTunnelException e)
        {
            throw new HomeTunnelException(e.ErrorId, e.Kind, $"{where}, line {line}: {e.Message}", e.Target, e);
        }
    }

    private static HomeTunnelException Error(string id, ErrorKind kind, string where, int line, string what, object target)
    {
        string at = line > 0 ? $"{where}, line {line}" : where;
        string shown = target is string s ? DnsName.Printable(s) : target.ToString() ?? string.Empty;
        return new HomeTunnelException(id, kind, $"{at}: '{shown}' {what}.", target);
    }
}
