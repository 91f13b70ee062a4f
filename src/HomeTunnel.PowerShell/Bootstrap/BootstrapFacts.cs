using System;
using System.Collections.Generic;
using System.Linq;

namespace HomeTunnel.Bootstrap;

/// <summary>What the bootstrap probe found on a host, read from the probe script's output.</summary>
public sealed class BootstrapFacts
{
    public OsRelease Os { get; init; } = OsRelease.Parse(string.Empty);
    public string Init { get; init; } = "none";
    public string Architecture { get; init; } = string.Empty;
    public bool KernelWireGuard { get; init; }
    public IReadOnlyDictionary<string, string> Commands { get; init; } = new Dictionary<string, string>();
    public IReadOnlySet<string> Packages { get; init; } = new HashSet<string>();
    /// <summary>The effective 'subsystem powershell' line of sshd (from sshd -T), or null.</summary>
    public string? PowerShellSubsystem { get; init; }
    public string Firewall { get; init; } = "none";
    /// <summary>nftables base input chains that drop by default, as "family table chain".</summary>
    public IReadOnlyList<string> NftDropChains { get; init; } = Array.Empty<string>();
    /// <summary>Rules HomeTunnel already added to a firewall (ufw/firewalld/nft), as "port/proto".</summary>
    public IReadOnlySet<string> OpenPorts { get; init; } = new HashSet<string>();
    /// <summary>The openings HomeTunnel keeps across boots in nftables (its items in NftHostOpenings.Folder), as "port/proto".</summary>
    public IReadOnlySet<string> NftKept { get; init; } = new HashSet<string>();
    public IReadOnlyDictionary<string, string> EnabledAtBoot { get; init; } = new Dictionary<string, string>();

    public string? Command(string name) => Commands.TryGetValue(name, out string? p) ? p : null;

    /// <summary>Parses the probe's output: '@section' lines, then the section's lines.</summary>
    public static BootstrapFacts Parse(string output)
    {
        var sections = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        List<string> current = new();
        foreach (string raw in output.Replace("\r", string.Empty, StringComparison.Ordinal).Split('\n'))
        {
            if (raw.StartsWith("@", StringComparison.Ordinal) && raw.Length > 1 && !raw.Contains(' ', StringComparison.Ordinal))
            {
                current = sections[raw[1..]] = new List<string>();
                continue;
            }
            current.Add(raw);
        }
        List<string> Section(string name) => sections.TryGetValue(name, out var l) ? l : new List<string>();
        var kv = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in Section("facts"))
        {
            int eq = line.IndexOf('=');
            if (eq > 0)
            {
                kv[line[..eq]] = line[(eq + 1)..].Trim();
            }
        }
        string Get(string key) => kv.TryGetValue(key, out string? v) ? v : string.Empty;
        string? subsystem = Section("sshd").Select(l => l.Trim())
            .FirstOrDefault(l => l.StartsWith("subsystem powershell ", StringComparison.OrdinalIgnoreCase));
        var open = new HashSet<string>(StringComparer.Ordinal);
        foreach (string line in Section("firewall-open"))
        {
            string t = line.Trim();
            if (t.Length > 0)
            {
                open.Add(t);
            }
        }
        return new BootstrapFacts
        {
            Os = OsRelease.Parse(string.Join('\n', Section("os-release"))),
            Init = Get("init") is { Length: > 0 } i ? i : "none",
            Architecture = Get("arch"),
            KernelWireGuard = Get("kernel_wireguard") == "yes",
            Commands = kv.Where(p => p.Key.StartsWith("cmd.", StringComparison.Ordinal) && p.Value.StartsWith('/'))
                .ToDictionary(p => p.Key[4..], p => p.Value, StringComparer.Ordinal),
            Packages = Section("packages").Select(l => l.Trim()).Where(l => l.Length > 0).ToHashSet(StringComparer.Ordinal),
            PowerShellSubsystem = subsystem?[("subsystem powershell ".Length)..].Trim(),
            Firewall = Get("firewall") is { Length: > 0 } f ? f : "none",
            NftDropChains = Section("nft-drop").Select(l => l.Trim()).Where(l => l.Split(' ').Length == 3).ToList(),
            OpenPorts = open,
            NftKept = Section("nft-kept").Select(l => HomeTunnel.Forwards.NftHostOpenings.OpeningFor(l.Trim())).OfType<string>().ToHashSet(StringComparer.Ordinal),
            EnabledAtBoot = kv.Where(p => p.Key.StartsWith("enabled.", StringComparison.Ordinal))
                .ToDictionary(p => p.Key[8..], p => p.Value, StringComparer.Ordinal),
        };
    }
}
