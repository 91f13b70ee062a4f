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
    public const int ProtocolVersion = 2;

    private static readonly Lazy<string> Script = new(() =>
    {
        using Stream stream = typeof(AgentRequest).Assembly.GetManifestResourceStream("HomeTunnel.Agent.ps1")
            ?? throw new InvalidOperationException("The agent script is not embedded in the assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    public static string AgentText => Script.Value;

    public static Hashtable WireGuard(WireGuardConfig config, string interfaceName, bool uninstall) =>
        Base("WireGuard", interfaceName, new[] { config.PrivateKey?.RevealBase64() }
                .Concat(config.Peers.Select(p => p.PresharedKey?.RevealBase64())).Where(s => s is not null).ToArray()!,
            uninstall,
            ("InterfaceName", interfaceName),
            ("Text", config.RevealText()),
            ("StrippedText", config.RevealStrippedText()),
            ("Addresses", config.Address.Select(a => a.ToString()).ToArray()),
            ("Routes", config.Peers.SelectMany(p => p.AllowedIPs).Select(a => a.Network.ToString()).Distinct().ToArray()),
            ("BootUnits", TunnelBootUnits.Files.Keys.ToArray()));

    public static Hashtable Forward(HomeTunnel.Forwards.TunnelPortForward[] forwards, bool uninstall) =>
        Base("Forward", string.Join(", ", forwards.Select(f => f.Key)), Array.Empty<string>(), uninstall,
            ("Paths", new[] { HomeTunnel.Forwards.TunnelPortForward.TablePath, HomeTunnel.Forwards.TunnelPortForward.UnitPath }
                .Concat(forwards.Select(f => f.Path)).ToArray()));

    /// <summary>The forward files a change writes (or, for an uninstall, removes), and the table file.</summary>
    public static IReadOnlyDictionary<string, string?> ForwardFiles(HomeTunnel.Forwards.TunnelPortForward[] forwards, bool uninstall)
    {
        var d = forwards.ToDictionary(f => f.Path, f => uninstall ? null : (string?)f.Text);
        if (!uninstall && forwards.Length > 0)
        {
            d[HomeTunnel.Forwards.TunnelPortForward.TablePath] = HomeTunnel.Forwards.TunnelPortForward.TableText(forwards[0].InterfaceName);
            d[HomeTunnel.Forwards.TunnelPortForward.UnitPath] = HomeTunnel.Forwards.TunnelPortForward.Unit;
        }
        return d;
    }

    public static Hashtable Apache(ApacheProxySite[] sites, bool uninstall) =>
        Base("Apache", string.Join(", ", sites.Select(s => s.ServerName)), Array.Empty<string>(), uninstall,
            ("Sites", sites.Select(s => new Hashtable
            {
                ["Name"] = s.ServerName,
                ["FileName"] = s.FileName,
                ["Text"] = s.Text,
                ["Modules"] = s.RequiredModules.ToArray(),
                ["PasswordPath"] = BasicAuthFile.PathFor(s.ServerName),
            }).ToArray()));

    /// <summary>The file a WireGuard change writes (or removes), by its path on the host.</summary>
    public static IReadOnlyDictionary<string, string?> WireGuardFiles(WireGuardConfig? config, string interfaceName) =>
        new Dictionary<string, string?> { [$"/etc/wireguard/{interfaceName}.conf"] = config?.RevealText() };

    /// <summary>The files an Apache change writes (or, for an uninstall, removes), by their paths on the host.</summary>
    /// The htpasswd file behind a door is shown as its user with "(bcrypt hash)": never a hash, old or new.</summary>
    public static IReadOnlyDictionary<string, string?> ApacheFiles(ApacheProxySite[] sites, bool uninstall)
    {
        var files = new Dictionary<string, string?>();
        foreach (ApacheProxySite s in sites)
        {
            files[$"/etc/apache2/sites-available/{s.FileName}"] = uninstall ? null : s.Text;
            files[BasicAuthFile.PathFor(s.ServerName)] = uninstall || s.BasicAuthUser is null ? null : BasicAuthFile.Display(s.ServerName, s.BasicAuthUser);
        }
        return files;
    }

    public static Hashtable Status(string interfaceName) =>
        Base("Status", interfaceName, Array.Empty<string>(), false, ("InterfaceName", interfaceName));

    public static Hashtable RelayProbe(string serverName, string interfaceName, int connectTimeoutMilliseconds) =>
        Base("RelayProbe", serverName, Array.Empty<string>(), false, ("ServerName", serverName), ("InterfaceName", interfaceName),
            ("ConnectTimeoutMilliseconds", connectTimeoutMilliseconds));

    public static Hashtable Profile() => Base("Profile", "profile", Array.Empty<string>(), false);

    public static Hashtable HomeProbe(string interfaceName) =>
        Base("HomeProbe", interfaceName, Array.Empty<string>(), false, ("InterfaceName", interfaceName));

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
        };
        foreach (var (key, value) in values)
        {
            h[key] = value;
        }
        return h;
    }
}
