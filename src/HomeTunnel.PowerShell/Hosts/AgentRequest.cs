using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using HomeTunnel.Apache;
using HomeTunnel.WireGuard;

namespace HomeTunnel.Hosts;

/// <summary>The requests the agent understands, as plain hashtables (they cross the session serialized).</summary>
public static class AgentRequest
{
    public const int DefaultTimeoutSeconds = 300;

    /// <summary>The request format's version; the agent refuses any other (UnsupportedAgentVersion).</summary>
    public const int ProtocolVersion = 3;

    /// <summary>The agent's parts (Hosts/Agent/NN-Kind.ps1: the core, one per kind, the worker, the session), joined in name order.</summary>
    private static readonly Lazy<string> Script = new(() =>
    {
        var assembly = typeof(AgentRequest).Assembly;
        string[] parts = assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("HomeTunnel.Agent.", StringComparison.Ordinal) && n.EndsWith(".ps1", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToArray();
        if (parts.Length == 0 || !parts[0].StartsWith("HomeTunnel.Agent.00-", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("The agent script is not embedded in the assembly.");
        }
        var text = new System.Text.StringBuilder();
        foreach (string part in parts)
        {
            using Stream stream = assembly.GetManifestResourceStream(part)!;
            using var reader = new StreamReader(stream);
            text.Append(reader.ReadToEnd());
        }
        return text.ToString();
    });

    public static string AgentText => Script.Value;

    /// <summary>
    /// How long a host's worker stays warm for the next change after its last one (seconds). HOMETUNNEL_WORKER_IDLE
    /// (0 to 600) sets it in the module's own process; 0 is a cold worker per change, started only when applying,
    /// as before the warm worker: the benchmarks run both side by side.
    /// </summary>
    public static int WorkerIdleSeconds =>
        int.TryParse(Environment.GetEnvironmentVariable("HOMETUNNEL_WORKER_IDLE"), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int idle)
            ? Math.Min(idle, 600) : 30;

    public static Hashtable WireGuard(WireGuardConfig config, string interfaceName, bool uninstall) =>
        Base("WireGuard", interfaceName, new[] { config.PrivateKey?.RevealBase64() }
                .Concat(config.Peers.Select(p => p.PresharedKey?.RevealBase64())).Where(s => s is not null).ToArray()!,
            uninstall,
            ("InterfaceName", interfaceName),
            ("Text", config.RevealText()),
            ("StrippedText", config.RevealStrippedText()),
            ("Addresses", config.Address),
            // What the interface must listen on once up: wireguard-go can come up on another port when it is taken.
            ("ListenPort", config.ListenPort),
            // A config that keeps visitors' addresses routes no any-source entry (Table = off; its hooks route the replies).
            ("Routes", config.Peers.SelectMany(p => p.AllowedIPValues).Where(a => !config.PreserveClientAddress || a.PrefixLength > 0)
                .Select(a => a.Network.ToString()).Distinct().ToArray()),
            ("BootUnits", TunnelBootUnits.Files.Keys.ToArray()));

    /// <summary>A change to one of HomeTunnel's nftables tables: its items' files, the table file and the boot unit.</summary>
    /// <param name="relayFacts">Also read what the relay itself needs (its listeners, sshd's and WireGuard's ports, the tunnel peers).</param>
    public static Hashtable NftRules(HomeTunnel.Forwards.NftTable table, HomeTunnel.Forwards.INftRuleFile[] items, bool uninstall, bool all = false, bool relayFacts = false) =>
        Base(table.Kind, all ? "all" : string.Join(", ", items.Select(f => f.Key)), Array.Empty<string>(), uninstall,
            ("Table", table.ToRequest()),
            ("All", all),
            ("RelayFacts", relayFacts),
            ("Paths", new[] { table.TablePath, table.UnitPath }.Concat(items.Select(f => f.Path)).ToArray()));

    /// <summary>The item files a change writes (or, for an uninstall, removes), and the table file and unit.</summary>
    public static IReadOnlyDictionary<string, string?> NftRuleFiles(HomeTunnel.Forwards.NftTable table, HomeTunnel.Forwards.INftRuleFile[] items, string tableText, bool uninstall)
    {
        var d = items.ToDictionary(f => f.Path, f => uninstall ? null : (string?)f.Text);
        if (!uninstall && (items.Length > 0 || table.KeepWhenEmpty))
        {
            d[table.TablePath] = tableText;
            d[table.UnitPath] = table.Unit;
        }
        return d;
    }

    /// <summary>
    /// Install or uninstall sites. The DNS-01 key files are always asked about (an uninstall removes HomeTunnel's), the
    /// hook only when a site uses it; the keys' secrets are the change's secrets (redacted wherever text is shown).
    /// </summary>
    public static Hashtable Apache(ApacheProxySite[] sites, bool uninstall) =>
        Base("Apache", string.Join(", ", sites.Select(s => s.ServerName)),
            sites.Select(s => s.AcmeDns?.SecretText()).Where(x => x is not null).ToArray()!,
            uninstall,
            ("Sites", sites.Select(s => new Hashtable
            {
                ["Name"] = s.ServerName,
                ["FileName"] = s.FileName,
                ["Text"] = s.Text,
                ["Modules"] = s.RequiredModules.ToArray(),
                ["PasswordPath"] = BasicAuthFile.PathFor(s.ServerName),
                ["AcmeKeyPath"] = AcmeDns01.KeyPathFor(s.ServerName),
            }).ToArray()),
            ("HookPath", !uninstall && sites.Any(s => s.AcmeDns is not null) ? AcmeDns01.HookPath : null),
            ("Marker", HostPlan.Marker));

    /// <summary>The file a WireGuard change writes (or removes), by its path on the host.</summary>
    public static IReadOnlyDictionary<string, string?> WireGuardFiles(WireGuardConfig? config, string interfaceName) =>
        new Dictionary<string, string?> { [$"/etc/wireguard/{interfaceName}.conf"] = config?.RevealText() };

    /// <summary>
    /// The files an Apache change writes (or, for an uninstall, removes), by their paths on the host. The htpasswd
    /// file behind a door is shown as its user and "(a new bcrypt hash)": never a hash, old or new.
    /// </summary>
    public static IReadOnlyDictionary<string, string?> ApacheFiles(ApacheProxySite[] sites, bool uninstall)
    {
        var files = new Dictionary<string, string?>();
        foreach (ApacheProxySite s in sites)
        {
            files[$"/etc/apache2/sites-available/{s.FileName}"] = uninstall ? null : s.Text;
            files[BasicAuthFile.PathFor(s.ServerName)] = uninstall || s.BasicAuthUser is null ? null : BasicAuthFile.Display(s.ServerName, s.BasicAuthUser);
            files[AcmeDns01.KeyPathFor(s.ServerName)] = uninstall || s.AcmeDns is null ? null : AcmeDns01.KeyFileDisplay(s.ServerName, s.AcmeDns.KeyName);
            if (!uninstall && s.AcmeDns is not null)
            {
                files[AcmeDns01.HookPath] = AcmeDns01.HookText;
            }
        }
        return files;
    }

    public static Hashtable Status(string interfaceName) =>
        Base("Status", interfaceName, Array.Empty<string>(), false, ("InterfaceName", interfaceName));

    /// <summary>What the relay knows about the names a check covers, in one call however many names.</summary>
    public static Hashtable RelayProbe(IReadOnlyList<string> serverNames, string interfaceName, int connectTimeoutMilliseconds, IEnumerable<HomeTunnel.Forwards.TunnelPortForward>? forwards = null) =>
        Base("RelayProbe", string.Join(", ", serverNames), Array.Empty<string>(), false, ("ServerName", serverNames[0]), ("ServerNames", serverNames.ToArray()), ("InterfaceName", interfaceName),
            ("ConnectTimeoutMilliseconds", connectTimeoutMilliseconds),
            // The relay's half of a forward check: is the rule loaded, does the home port answer from the relay (TCP).
            ("Forwards", (forwards ?? Array.Empty<HomeTunnel.Forwards.TunnelPortForward>()).Select(f => new Hashtable
            {
                ["Key"] = f.Key, ["Tcp"] = f.Protocol == HomeTunnel.Forwards.ForwardProtocol.Tcp, ["Address"] = f.Address.ToString(), ["Port"] = f.Port,
            }).ToArray()));

    /// <summary>The files HomeTunnel wrote on a host: "Sites" (sites-available) or "Configs" (wg-quick files, their keys left on the host).</summary>
    public static Hashtable Managed(string what) => Base("Managed", what, Array.Empty<string>(), false, ("What", what), ("Marker", Ownership.Marker));

    public static Hashtable HomeProbe(string interfaceName) =>
        Base("HomeProbe", interfaceName, Array.Empty<string>(), false, ("InterfaceName", interfaceName));

    /// <summary>The relay's half of a key rotation: "Add" the new key as a peer with no AllowedIPs, then "Await" its handshake and move them.</summary>
    public static Hashtable RotateRelay(string step, string interfaceName, string oldKey, string newKey, WireGuardPresharedKey? presharedKey, int waitSeconds)
    {
        string? psk = presharedKey?.RevealBase64();
        return Base("RotateRelay", interfaceName, psk is null ? Array.Empty<string>() : new[] { psk }, false, ("Step", step), ("InterfaceName", interfaceName),
            ("OldKey", oldKey), ("NewKey", newKey), ("PresharedKey", psk), ("WaitSeconds", waitSeconds));
    }

    /// <summary>The home's half of a key rotation: its new private key (and the relay peer's new preshared key), kept only when a handshake follows.</summary>
    public static Hashtable RotateHome(string interfaceName, string relayKey, WireGuardPrivateKey privateKey, WireGuardPresharedKey? presharedKey, int waitSeconds)
    {
        string key = privateKey.RevealBase64();
        string? psk = presharedKey?.RevealBase64();
        return Base("RotateHome", interfaceName, psk is null ? new[] { key } : new[] { key, psk }, false, ("InterfaceName", interfaceName),
            ("RelayKey", relayKey), ("PrivateKey", key), ("PresharedKey", psk), ("WaitSeconds", waitSeconds));
    }

    /// <summary>One half of a NAT idle-timeout probe: "NatProbeRelay" answers on its ports, "NatProbeHome" sends to them and listens.</summary>
    public static Hashtable NatProbe(string kind, IReadOnlyList<int> ports, IReadOnlyList<int> idleSeconds, int listenSeconds, string? relayAddress = null) =>
        Base(kind, string.Join(",", ports), Array.Empty<string>(), false, ("Ports", ports.ToArray()), ("Idle", idleSeconds.ToArray()),
            ("ListenSeconds", listenSeconds), ("RelayAddress", relayAddress), ("TimeoutSeconds", listenSeconds + idleSeconds.Max() + 60));

    /// <summary>The largest packet that crosses whole (DF) from a host to each target, between Low and High bytes, and the interface's MTU.</summary>
    public static Hashtable MtuProbe(string interfaceName, IEnumerable<(string Name, string Address, int Low, int High)> targets) =>
        Base("MtuProbe", interfaceName, Array.Empty<string>(), false, ("InterfaceName", interfaceName),
            ("Targets", targets.Select(t => new Hashtable { ["Name"] = t.Name, ["Address"] = t.Address, ["Low"] = t.Low, ["High"] = t.High }).ToArray()));

    private static Hashtable Base(string kind, string name, string[] secrets, bool uninstall, params (string Key, object? Value)[] values)
    {
        var h = new Hashtable
        {
            ["Version"] = ProtocolVersion,
            ["Kind"] = kind,
            ["Name"] = name,
            ["Secrets"] = secrets,
            ["Uninstall"] = uninstall,
            ["TimeoutSeconds"] = DefaultTimeoutSeconds,
            ["WorkerIdleSeconds"] = WorkerIdleSeconds,
        };
        foreach (var (key, value) in values)
        {
            h[key] = value;
        }
        return h;
    }
}
