using System.Collections.Generic;

namespace HomeTunnel.Hosts.Contract;

// The WireGuard kind's facts: the state of one interface as the host has it (file, live peers, boot units).
// State, not change: the change is the plan the module sends back (WireGuardPlanner), as wgctrl-go keeps a
// Device apart from a Config. Every member is sent every time; a missing or unknown one refuses the answer.

/// <summary>One interface on a host: its wg-quick file (null when there is none), whether it is up, and what is live.</summary>
/// <param name="ListenPort">The live interface's port as wg prints it; empty when it is down.</param>
public sealed record WireGuardFacts(string Path, string? Current, bool Up, string ListenPort, IReadOnlyList<WireGuardLivePeer> Peers, WireGuardBootFacts Boot);

/// <summary>A live peer: its public key and its AllowedIPs as one canonical text (sorted, comma-separated, no "(none)").</summary>
public sealed record WireGuardLivePeer(string PublicKey, string AllowedIPs);

/// <summary>
/// How the interface comes back after a reboot, on systemd (all false and no units elsewhere): wg-quick@ enabled,
/// HomeTunnel's watch timer on, and the text of each of the watch's unit files (null when absent).
/// </summary>
public sealed record WireGuardBootFacts(bool Systemd, bool Enabled, bool Watching, IReadOnlyDictionary<string, string?> Units);
