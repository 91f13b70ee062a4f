using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using HomeTunnel.Apache;
using HomeTunnel.Hosts.Contract;
using HomeTunnel.WireGuard;

namespace HomeTunnel.Hosts;

/// <summary>
/// The requests the agent understands, made here as their typed records (<see cref="Contract.HostRequest"/>), the
/// agent's text, and the format's version.
/// </summary>
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
            if (part == parts[0])
            {
                // Right after the core (its param block must come first): the requests' shapes, from the records.
                text.Append(RequestShapes.AgentText());
            }
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

    public static WireGuardRequest WireGuard(WireGuardConfig config, string interfaceName, bool uninstall) =>
        new(interfaceName, interfaceName, config.RevealText(), config.RevealStrippedText(), config.Address.Select(a => a.ToString()).ToArray(),
            // What the interface must listen on once up: wireguard-go can come up on another port when it is taken.
            config.ListenPort,
            // A config that keeps visitors' addresses routes no any-source entry (Table = off; its hooks route the replies).
            config.Peers.SelectMany(p => p.AllowedIPValues).Where(a => !config.PreserveClientAddress || a.PrefixLength > 0)
                .Select(a => a.Network.ToString()).Distinct().ToArray(),
            TunnelBootUnits.Files.Keys.ToArray())
        {
            Uninstall = uninstall,
            Keys = new[] { config.PrivateKey?.RevealBase64() }.Concat(config.Peers.Select(p => p.PresharedKey?.RevealBase64())).OfType<string>().ToArray(),
        };

    /// <summary>A change to one of HomeTunnel's nftables tables: its items' files, the table file and the boot unit.</summary>
    /// <param name="relayFacts">Also read what the relay itself needs (its listeners, sshd's and WireGuard's ports, the tunnel peers).</param>
    public static NftTableRequest NftRules(HomeTunnel.Forwards.NftTable table, HomeTunnel.Forwards.INftRuleFile[] items, bool uninstall, bool all = false, bool relayFacts = false) =>
        new(table.Kind, all ? "all" : string.Join(", ", items.Select(f => f.Key)), table.ToRequest(), all, relayFacts,
            new[] { table.TablePath, table.UnitPath }.Concat(items.Select(f => f.Path)).ToArray())
        { Uninstall = uninstall };

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
    public static ApacheRequest Apache(ApacheProxySite[] sites, bool uninstall) =>
        new(string.Join(", ", sites.Select(s => s.ServerName)),
            sites.Select(s => new ApacheSiteShape(s.ServerName, s.FileName, s.Text, s.RequiredModules.ToArray(), BasicAuthFile.PathFor(s.ServerName), AcmeDns01.KeyPathFor(s.ServerName))).ToArray(),
            !uninstall && sites.Any(s => s.AcmeDns is not null) ? AcmeDns01.HookPath : null,
            HostPlan.Marker)
        {
            Uninstall = uninstall,
            DnsSecrets = sites.Select(s => s.AcmeDns?.SecretText()).OfType<string>().ToArray(),
        };

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
            files[$"{ApacheLayout.SitesAvailable}/{s.FileName}"] = uninstall ? null : s.Text;
            files[BasicAuthFile.PathFor(s.ServerName)] = uninstall || s.BasicAuthUser is null ? null : BasicAuthFile.Display(s.ServerName, s.BasicAuthUser);
            files[AcmeDns01.KeyPathFor(s.ServerName)] = uninstall || s.AcmeDns is null ? null : AcmeDns01.KeyFileDisplay(s.ServerName, s.AcmeDns.KeyName);
            if (!uninstall && s.AcmeDns is not null)
            {
                files[AcmeDns01.HookPath] = AcmeDns01.HookText;
            }
        }
        return files;
    }

    public static StatusRequest Status(string interfaceName) => new(interfaceName);

    /// <summary>What the relay says of itself for a check: Apache and its listing, the tunnel, and the forwards' half.</summary>
    public static RelayProbeRequest RelayProbe(string interfaceName, int connectTimeoutMilliseconds, IEnumerable<HomeTunnel.Forwards.TunnelPortForward>? forwards = null) =>
        new(interfaceName, connectTimeoutMilliseconds,
            // The relay's half of a forward check: is the rule loaded, does the home port answer from the relay (TCP).
            (forwards ?? Array.Empty<HomeTunnel.Forwards.TunnelPortForward>())
                .Select(f => new ForwardProbeShape(f.Key, f.Protocol == HomeTunnel.Forwards.ForwardProtocol.Tcp, f.Address.ToString(), f.Port)).ToArray());

    /// <summary>The texts of the site files the relay's listing named (each path once).</summary>
    public static SiteFilesRequest SiteFiles(IEnumerable<string> files) => new(files.Distinct(StringComparer.Ordinal).ToArray());

    /// <summary>Whether each (host, port) answers a TCP connection from the host (each pair once).</summary>
    public static ConnectProbeRequest ConnectProbe(IEnumerable<(string Host, int Port)> targets, int connectTimeoutMilliseconds) =>
        new(targets.Distinct().Select(t => new ConnectTargetShape(t.Host, t.Port)).ToArray(), connectTimeoutMilliseconds);

    /// <summary>The files HomeTunnel wrote on a host: "Sites" (sites-available) or "Configs" (wg-quick files, their keys left on the host).</summary>
    public static ManagedRequest Managed(string what) => new(what, Ownership.Marker);

    public static HomeProbeRequest HomeProbe(string interfaceName) => new(interfaceName);

    /// <summary>The relay's half of a key rotation: "Add" the new key as a peer with no AllowedIPs, then "Await" its handshake and move them.</summary>
    public static RotateRelayRequest RotateRelay(string step, string interfaceName, string oldKey, string newKey, WireGuardPresharedKey? presharedKey, int waitSeconds) =>
        new(step, interfaceName, oldKey, newKey, presharedKey?.RevealBase64(), waitSeconds);

    /// <summary>The home's half of a key rotation: its new private key (and the relay peer's new preshared key), kept only when a handshake follows.</summary>
    public static RotateHomeRequest RotateHome(string interfaceName, string relayKey, WireGuardPrivateKey privateKey, WireGuardPresharedKey? presharedKey, int waitSeconds) =>
        new(interfaceName, relayKey, privateKey.RevealBase64(), presharedKey?.RevealBase64(), waitSeconds);

    /// <summary>One half of a NAT idle-timeout probe: "NatProbeRelay" answers on its ports, "NatProbeHome" sends to them and listens.</summary>
    public static NatProbeRequest NatProbe(string kind, IReadOnlyList<int> ports, IReadOnlyList<int> idleSeconds, int listenSeconds, string? relayAddress = null) =>
        new(kind, string.Join(",", ports), ports.ToArray(), idleSeconds.ToArray(), listenSeconds, relayAddress)
        { TimeoutSeconds = listenSeconds + idleSeconds.Max() + 60 };

    /// <summary>The largest packet that crosses whole (DF) from a host to each target, between Low and High bytes, and the interface's MTU.</summary>
    public static MtuProbeRequest MtuProbe(string interfaceName, IEnumerable<(string Name, string Address, int Low, int High)> targets) =>
        new(interfaceName, targets.Select(t => new MtuTargetShape(t.Name, t.Address, t.Low, t.High)).ToArray());
}
