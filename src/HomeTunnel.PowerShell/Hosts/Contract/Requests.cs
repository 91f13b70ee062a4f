using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace HomeTunnel.Hosts.Contract;

/// <summary>
/// Marks a request member whose value is a secret (a private or preshared key, a TSIG secret): it is redacted from
/// everything a host sends back and never shown. A member that is also [JsonIgnore] holds the secrets a request
/// carries only inside another member's text (the keys in a wg-quick file), and never crosses the wire itself.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class SecretAttribute : Attribute
{
}

/// <summary>
/// One request to the agent, as it crosses the wire (one JSON string, source-generated): the format's version, the
/// kind the agent dispatches on, the name shown, and for a change the plan it applies and the fingerprint of the
/// facts it was made from. Each kind is a record of its own below; the agent reads them as hashtables of the same
/// members. The secrets are the values of the members marked <see cref="SecretAttribute"/>: declared with the shape,
/// kept by the module for redaction, never sent as a list of their own.
/// </summary>
public abstract record HostRequest(string Kind, string Name)
{
    public int Version { get; init; } = AgentRequest.ProtocolVersion;
    public bool Uninstall { get; init; }
    public int TimeoutSeconds { get; init; } = AgentRequest.DefaultTimeoutSeconds;
    public int WorkerIdleSeconds { get; init; } = AgentRequest.WorkerIdleSeconds;
    public bool Force { get; init; }

    /// <summary>The module's plan, for the apply call (null in the facts call: the agent then only reads).</summary>
    public JsonElement? Plan { get; init; }
    public string? Fingerprint { get; init; }

    /// <summary>The values of the members marked secret, by the record's own declaration.</summary>
    [JsonIgnore]
    public IReadOnlyList<string> Secrets => SecretMembers.GetOrAdd(GetType(), Find).SelectMany(p => Values(p.GetValue(this))).ToArray();

    /// <summary>The same request, to apply a plan (the kind's plan record) made from facts with that fingerprint.</summary>
    public HostRequest Applying(object plan, string fingerprint, bool force) =>
        this with { Plan = AgentContract.PlanJson(plan), Fingerprint = fingerprint, Force = force };

    /// <summary>The request as the agent reads it.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, GetType(), AgentContractContext.Default);

    private static readonly ConcurrentDictionary<Type, PropertyInfo[]> SecretMembers = new();

    private static PropertyInfo[] Find(Type t) => t.GetProperties().Where(p => p.IsDefined(typeof(SecretAttribute))).ToArray();

    private static IEnumerable<string> Values(object? value) => value switch
    {
        string s when s.Length > 0 => new[] { s },
        IEnumerable<string?> list => list.OfType<string>().Where(s => s.Length > 0),
        _ => Array.Empty<string>(),
    };
}

/// <summary>Install or uninstall a wg-quick interface: its file, the file without wg-quick's keys for syncconf, what syncconf leaves alone.</summary>
public sealed record WireGuardRequest(string Name, string InterfaceName, string Text, string StrippedText, IReadOnlyList<string> Addresses, int? ListenPort,
    IReadOnlyList<string> Routes, IReadOnlyList<string> BootUnits) : HostRequest("WireGuard", Name)
{
    /// <summary>The private key and preshared keys inside <see cref="Text"/>: redacted, never sent on their own.</summary>
    [JsonIgnore, Secret]
    public IReadOnlyList<string> Keys { get; init; } = Array.Empty<string>();
}

/// <summary>A change to one of HomeTunnel's nftables tables (Kind: Forward or HomeFirewall): the files it names and, for a forward install, the relay's own needs.</summary>
public sealed record NftTableRequest(string Kind, string Name, NftTableShape Table, bool All, bool RelayFacts, IReadOnlyList<string> Paths) : HostRequest(Kind, Name);

/// <summary>What the agent needs to know of a table.</summary>
public sealed record NftTableShape(string Family, string Name, string TablePath, string Folder, string UnitName, string UnitPath, bool IpForward);

/// <summary>Install or uninstall sites on a relay; the DNS-01 hook only when a site uses it.</summary>
public sealed record ApacheRequest(string Name, IReadOnlyList<ApacheSiteShape> Sites, string? HookPath, string Marker) : HostRequest("Apache", Name)
{
    /// <summary>The sites' TSIG secrets, which the plan's key files hold: redacted, never sent on their own.</summary>
    [JsonIgnore, Secret]
    public IReadOnlyList<string> DnsSecrets { get; init; } = Array.Empty<string>();
}

public sealed record ApacheSiteShape(string Name, string FileName, string Text, IReadOnlyList<string> Modules, string PasswordPath, string AcmeKeyPath);

/// <summary>The Status read: one interface's public state.</summary>
public sealed record StatusRequest(string InterfaceName) : HostRequest("Status", InterfaceName);

/// <summary>The relay's half of Test-TunnelPath (Apache, its listing, the tunnel), and the relay's half of each forward's check.</summary>
public sealed record RelayProbeRequest(string InterfaceName, int ConnectTimeoutMilliseconds, IReadOnlyList<ForwardProbeShape> Forwards)
    : HostRequest("RelayProbe", InterfaceName);

/// <summary>The texts of the site files the relay's own listing named for the checked names (the module's parser reads their ProxyPass).</summary>
public sealed record SiteFilesRequest(IReadOnlyList<string> Files) : HostRequest("SiteFiles", string.Join(", ", Files));

/// <summary>Whether each backend the sites name answers a TCP connection from the host, each bounded by the timeout, all at once.</summary>
public sealed record ConnectProbeRequest(IReadOnlyList<ConnectTargetShape> Targets, int ConnectTimeoutMilliseconds)
    : HostRequest("ConnectProbe", string.Join(", ", Targets.Select(t => $"{t.Host}:{t.Port}")));

public sealed record ConnectTargetShape(string Host, int Port);

public sealed record ForwardProbeShape(string Key, bool Tcp, string Address, int Port);

/// <summary>The home side's half of Test-TunnelPath.</summary>
public sealed record HomeProbeRequest(string InterfaceName) : HostRequest("HomeProbe", InterfaceName);

/// <summary>The files HomeTunnel wrote in one folder ("Sites", "Configs", "Forwards").</summary>
public sealed record ManagedRequest(string What, string Marker) : HostRequest("Managed", What);

/// <summary>The relay's half of a key rotation ("Add", then "Await").</summary>
public sealed record RotateRelayRequest(string Step, string InterfaceName, string OldKey, string NewKey, [property: Secret] string? PresharedKey, int WaitSeconds)
    : HostRequest("RotateRelay", InterfaceName);

/// <summary>The home's half of a key rotation: its new private key, kept only when a handshake follows.</summary>
public sealed record RotateHomeRequest(string InterfaceName, string RelayKey, [property: Secret] string PrivateKey, [property: Secret] string? PresharedKey, int WaitSeconds)
    : HostRequest("RotateHome", InterfaceName);

/// <summary>One half of a NAT idle-timeout probe (Kind: NatProbeRelay or NatProbeHome).</summary>
public sealed record NatProbeRequest(string Kind, string Name, IReadOnlyList<int> Ports, IReadOnlyList<int> Idle, int ListenSeconds, string? RelayAddress)
    : HostRequest(Kind, Name);

/// <summary>The largest whole packet from a host to each target.</summary>
public sealed record MtuProbeRequest(string InterfaceName, IReadOnlyList<MtuTargetShape> Targets) : HostRequest("MtuProbe", InterfaceName);

public sealed record MtuTargetShape(string Name, string Address, int Low, int High);
