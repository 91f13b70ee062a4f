using System.Collections.Generic;

namespace HomeTunnel.Hosts.Contract;

/// <summary>
/// The facts of one of HomeTunnel's nftables tables (Forward, HomeFirewall): nft present, the files the change names
/// (null text when absent), the items in the table's folder and in the loaded table, the table loaded, IPv4
/// forwarding ("1", or empty when the table does not need it), the boot unit, and, for a forward install, the
/// relay's own needs (else null).
/// </summary>
public sealed record NftTableFacts(bool Nft, IReadOnlyDictionary<string, string?> Files, IReadOnlyList<string> Existing, IReadOnlyList<string> Live,
    bool TableLoaded, string IpForward, bool Systemd, bool UnitEnabled, RelayNeedsText? Relay);

/// <summary>
/// The host's tunnels as its own text, parsed by the module (Forwards/RelayNeeds): each live interface and port
/// ("if\tport" lines), each live peer's AllowedIPs ("if\tkey\taddr addr" lines), and of each wg-quick file only its
/// ListenPort and AllowedIPs lines, by interface (never a key).
/// </summary>
public sealed record TunnelPeerText(string WgListen, string WgAllowed, IReadOnlyDictionary<string, string> WgFiles);

/// <summary>
/// What the relay itself needs, as its own text: its tunnels, its listening sockets (ss; SsOk false when ss could
/// not say), sshd's port and listen lines (sshd -T), Apache's Listen lines (ports.conf).
/// </summary>
public sealed record RelayNeedsText(TunnelPeerText Tunnel, bool SsOk, string Ss, string Sshd, string ApacheListen);
