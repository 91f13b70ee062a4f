using System.Collections.Generic;

namespace HomeTunnel.Hosts.Contract;

/// <summary>
/// An interface's public state as the host's tools print it ('wg show &lt;if&gt; dump' less its private key; the
/// module parses the numbers): its key and port, each peer, its wg-quick file (the module names the peers from it
/// with its own parser; null when absent), how long it has been up (null when the host cannot say), and what the
/// host's resolver says now for each endpoint name in the file.
/// </summary>
public sealed record WireGuardStatus(string PublicKey, string ListenPort, IReadOnlyList<WireGuardPeerDump> Peers, string? Config, long? UpSeconds,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Resolved);

/// <summary>One peer line of the dump, as wg printed it ("(none)", "off" and 0 included).</summary>
public sealed record WireGuardPeerDump(string PublicKey, string Endpoint, string AllowedIPs, string LatestHandshake, string RxBytes, string TxBytes, string Keepalive);

/// <summary>The Status read's answer: the interface and the host's clock (Unix seconds; handshake ages are taken against it).</summary>
public sealed record StatusAnswer(int Version, string State, WireGuardStatus Status, long Now);

/// <summary>
/// The RelayProbe read's answer (Test-TunnelPath's look inside the relay), one call for all names: Apache running and
/// its own listing (apache2ctl -S, raw: the module reads which VirtualHost serves each name with its own parser), the
/// tunnel (null with WireGuardError when it is not up), the forwards' half (null when none was asked).
/// </summary>
public sealed record RelayProbeAnswer(int Version, string State, RelayProbe Probe);

public sealed record RelayProbe(RelayForwardsSeen? Forwards, bool ApacheRunning, bool ApacheListingOk,
    string ApacheListing, WireGuardStatus? WireGuard, string? WireGuardError, long Now);

/// <summary>The SiteFiles read's answer: per file the listing named, its text, or why the relay did not hand it back.</summary>
public sealed record SiteFilesAnswer(int Version, string State, IReadOnlyList<SiteFileSeen> Files);

/// <param name="Text">The file as it stands (links followed, as Apache follows them); null when refused.</param>
/// <param name="Refused">Why the relay kept it (missing, not a regular file, too large, no &lt;VirtualHost&gt; section); null when read.</param>
public sealed record SiteFileSeen(string Path, string? Text, string? Refused);

/// <summary>The ConnectProbe read's answer: per target, why a TCP connection from the host failed (empty: it connected).</summary>
public sealed record ConnectProbeAnswer(int Version, string State, IReadOnlyList<ConnectSeen> Answers);

public sealed record ConnectSeen(string Host, int Port, string Error);

/// <summary>The forwards HomeTunnel's table holds (their keys), and per forward why its home port did not answer from the relay (empty: it did; null: UDP, not tried).</summary>
public sealed record RelayForwardsSeen(IReadOnlyList<string> Live, IReadOnlyDictionary<string, string?> Answers);

/// <summary>The HomeProbe read's answer: the home side's tunnel and HomeTunnel's firewall on it.</summary>
public sealed record HomeProbeAnswer(int Version, string State, HomeProbe Probe);

public sealed record HomeProbe(WireGuardStatus? WireGuard, string? WireGuardError, FirewallSeen Firewall, long Now);

/// <summary>Whether HomeTunnel's home firewall table is loaded, and the keys of the openings it holds.</summary>
public sealed record FirewallSeen(bool Loaded, IReadOnlyList<string> Openings);
