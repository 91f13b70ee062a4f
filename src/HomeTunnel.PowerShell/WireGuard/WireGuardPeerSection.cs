using System.Management.Automation;
using System;
using System.Collections.Generic;
using System.Linq;

namespace HomeTunnel.WireGuard;

/// <summary>
/// One [Peer] section of a wg-quick file. Its public properties are text and numbers only (AllowedIPs as wg
/// writes the list), so a config's JSON shows every peer whole at ConvertTo-Json's default depth.
/// </summary>
public sealed class WireGuardPeerSection
{
    public string? Name { get; init; }
    public string PublicKey { get; init; } = string.Empty;

    /// <summary>Never in JSON; HasPresharedKey says whether there is one.</summary>
    [Newtonsoft.Json.JsonIgnore, Hidden]
    public WireGuardPresharedKey? PresharedKey { get; init; }
    public bool HasPresharedKey => PresharedKey is not null || PresharedKeyRedacted;

    /// <summary>The routes to this peer, as wg-quick's AllowedIPs line lists them ("10.1.0.2/32, fd01::2/128").</summary>
    public string AllowedIPs => string.Join(", ", AllowedIPValues);
    public string? Endpoint => EndpointValue?.ToString();
    public int? PersistentKeepalive { get; init; }

    /// <summary>Settings HomeTunnel does not model; in Text, not in JSON.</summary>
    [Newtonsoft.Json.JsonIgnore, Hidden]
    public IReadOnlyList<WireGuardSetting> ExtraSettings { get; init; } = Array.Empty<WireGuardSetting>();

    internal IReadOnlyList<TunnelAddress> AllowedIPValues { get; init; } = Array.Empty<TunnelAddress>();
    internal WireGuardEndpoint? EndpointValue { get; init; }

    /// <summary>Read from a text whose preshared key was "(redacted)": shown so, never written to a host.</summary>
    internal bool PresharedKeyRedacted { get; init; }

    public override string ToString() => Name ?? PublicKey;
}
