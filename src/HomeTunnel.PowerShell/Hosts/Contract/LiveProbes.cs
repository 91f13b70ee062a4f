using System.Collections.Generic;

namespace HomeTunnel.Hosts.Contract;

/// <summary>A key rotation's half (RotateRelay, RotateHome): Added, Rotated (the AllowedIPs moved, on the relay), or TimedOut.</summary>
public sealed record RotationAnswer(int Version, string State, RotationStep Rotation);

public sealed record RotationStep(string Step, string? AllowedIPs);

/// <summary>One half of a NAT idle-timeout probe: per port, what the relay heard and sent, or what the home side got back.</summary>
public sealed record NatProbeAnswer(int Version, string State, IReadOnlyList<NatPortSeen> Nat);

/// <param name="Heard">Relay: a hello came in.</param> <param name="Sent">Relay: the late answer went out.</param>
/// <param name="Acked">Home: the relay's first answer came back.</param> <param name="Late">Home: the late answer came through the NAT.</param>
public sealed record NatPortSeen(int Port, int Idle, bool? Heard, bool? Sent, bool? Acked, bool? Late);

/// <summary>The MTU probe: the largest whole packet per target (0 when none crossed), and the interface's MTU.</summary>
public sealed record MtuProbeAnswer(int Version, string State, MtuSeen Mtu);

public sealed record MtuSeen(IReadOnlyDictionary<string, int> Found, int InterfaceMtu);
