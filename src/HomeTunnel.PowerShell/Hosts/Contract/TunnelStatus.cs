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
/// The RelayProbe read's answer (Test-TunnelPath's look inside the relay), one call for all names: per name the
/// VirtualHosts apache2ctl -S says serve it, that site's file and text, its backend and whether it answers from the
/// relay; Apache running and its listing; the tunnel (null with WireGuardError when it is not up); the forwards'
/// half (null when none was asked).
/// </summary>
public sealed record RelayProbeAnswer(int Version, string State, RelayProbe Probe);

public sealed record RelayProbe(RelayForwardsSeen? Forwards, IReadOnlyDictionary<string, RelayNameSeen> Names, bool ApacheRunning, bool ApacheListingOk,
    string ApacheListing, WireGuardStatus? WireGuard, string? WireGuardError, long Now);

/// <param name="BackendError">Empty when the backend answered from the relay, why not otherwise; null when there is no backend.</param>
public sealed record RelayNameSeen(IReadOnlyList<VirtualHostSeen> VirtualHosts, string? SiteFile, string? SiteText, string? Backend, string? BackendError)
{
    public static readonly RelayNameSeen None = new(new List<VirtualHostSeen>(), null, null, null, null);
}

public sealed record VirtualHostSeen(string Port, string File);

/// <summary>The forwards HomeTunnel's table holds (their keys), and per forward why its home port did not answer from the relay (empty: it did; null: UDP, not tried).</summary>
public sealed record RelayForwardsSeen(IReadOnlyList<string> Live, IReadOnlyDictionary<string, string?> Answers);

/// <summary>The HomeProbe read's answer: the home side's tunnel and HomeTunnel's firewall on it.</summary>
public sealed record HomeProbeAnswer(int Version, string State, HomeProbe Probe);

public sealed record HomeProbe(WireGuardStatus? WireGuard, string? WireGuardError, FirewallSeen Firewall, long Now);

/// <summary>Whether HomeTunnel's home firewall table is loaded, and the keys of the openings it holds.</summary>
public sealed record FirewallSeen(bool Loaded, IReadOnlyList<string> Openings);
