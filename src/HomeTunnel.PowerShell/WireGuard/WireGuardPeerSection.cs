using System;
using System.Collections.Generic;

namespace HomeTunnel.WireGuard;

/// <summary>One [Peer] section of a wg-quick file.</summary>
public sealed class WireGuardPeerSection
{
    public string? Name { get; init; }
    public string PublicKey { get; init; } = string.Empty;
    public WireGuardPresharedKey? PresharedKey { get; init; }
    public bool HasPresharedKey => PresharedKey is not null;
    public IReadOnlyList<TunnelAddress> AllowedIPs { get; init; } = Array.Empty<TunnelAddress>();
    public WireGuardEndpoint? Endpoint { get; init; }
    public int? PersistentKeepalive { get; init; }
    public IReadOnlyList<WireGuardSetting> ExtraSettings { get; init; } = Array.Empty<WireGuardSetting>();

    public override string ToString() => Name ?? PublicKey;
}
