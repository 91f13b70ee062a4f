using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using HomeTunnel.Hosts;

using HomeTunnel.Hosts.Contract;

namespace HomeTunnel.Probes;

/// <summary>
/// How long the NATs between the home machine and the relay keep an idle UDP mapping, measured (Measure-TunnelNat):
/// the longest silence a probe survived, the shortest one that lost its mapping, and what PersistentKeepalive that
/// allows. WireGuard's keepalive must come more often than the shortest timeout on the way, or the relay loses
/// the way home between two keepalives.
/// </summary>
public sealed class TunnelNatTimeout
{
    public string Relay { get; init; } = string.Empty;

    /// <summary>The longest idle time (s) after which the relay's datagram still came through.</summary>
    public int? IdleSurvivedSeconds { get; init; }

    /// <summary>The shortest idle time (s) after which it did not: the mapping's timeout lies between the two.</summary>
    public int? IdleLostSeconds { get; init; }

    /// <summary>The interface's PersistentKeepalive towards the relay, as configured on the home machine (null: off or unknown).</summary>
    public int? Keepalive { get; init; }

    /// <summary>A keepalive that stays under the measured timeout with a margin (WireGuard's default 25 when the timeout allows it).</summary>
    public int? RecommendedKeepalive { get; init; }
    public HopStatus Status { get; init; }
    public string Detail { get; init; } = string.Empty;

    public override string ToString() => $"{Relay}: {Status} ({Detail})";

    /// <summary>
    /// The verdict from both halves' answers. A probe counts only when the relay heard it and sent its late datagrams;
    /// the timeout is between the longest survivor and the shortest loss above it.
    /// </summary>
    public static TunnelNatTimeout Judge(string relay, IReadOnlyList<NatPortSeen>? relayAnswer, IReadOnlyList<NatPortSeen>? homeAnswer, int? keepalive)
    {
        var sent = (relayAnswer ?? Array.Empty<NatPortSeen>()).Where(p => p.Heard == true && p.Sent == true).Select(p => p.Port).ToHashSet();
        var probes = (homeAnswer ?? Array.Empty<NatPortSeen>()).Where(p => p.Acked == true && sent.Contains(p.Port))
            .Select(p => (p.Idle, Late: p.Late == true)).OrderBy(p => p.Idle).ToList();
        if (probes.Count == 0)
        {
            return new TunnelNatTimeout
            {
                Relay = relay, Keepalive = keepalive, Status = HopStatus.Fail,
                Detail = "no probe reached the relay and came back: its probe ports are closed (a firewall on the VPS or on the way), or the relay's address is wrong",
            };
        }
        int? lost = probes.Where(p => !p.Late).Select(p => (int?)p.Idle).FirstOrDefault();
        int? survived = probes.Where(p => p.Late && (lost is null || p.Idle < lost)).Select(p => (int?)p.Idle).LastOrDefault();
        int? recommended = lost is null ? TunnelPeerKeepalive : survived is { } s ? RecommendFor(s) : 1;
        string range = lost is null ? $"every probe up to {survived} s of silence came through: the NATs keep an idle mapping longer than that"
            : survived is null ? $"already {lost} s of silence lost the mapping"
            : $"the NATs forget an idle mapping after {survived}-{lost} s";
        // A keepalive is safe when it comes before the shortest silence known to survive; past a measured loss it is not.
        HopStatus status = lost is null || (keepalive is { } k && survived is { } s2 && k <= s2) ? HopStatus.Pass : HopStatus.Warn;
        string keep = keepalive is { } ka ? $"; PersistentKeepalive is {ka} s" : "; PersistentKeepalive is off";
        string advice = status == HopStatus.Pass ? string.Empty : $": set PersistentKeepalive = {recommended} on the home side";
        return new TunnelNatTimeout
        {
            Relay = relay, IdleSurvivedSeconds = survived, IdleLostSeconds = lost, Keepalive = keepalive, RecommendedKeepalive = recommended,
            Status = status, Detail = range + keep + advice,
        };
    }

    private const int TunnelPeerKeepalive = WireGuard.TunnelPeer.HomeKeepalive;

    /// <summary>The keepalive for a NAT that keeps an idle mapping <paramref name="idleSeconds"/>: 4/5 of it, at most WireGuard's 25 s.</summary>
    public static int RecommendFor(int idleSeconds) => Math.Min(TunnelPeerKeepalive, Math.Max(1, idleSeconds * 4 / 5));

    /// <summary>Whether a keepalive (null: off) comes before a NAT that keeps an idle mapping that long forgets it.</summary>
    public static bool KeepaliveFits(int? keepalive, int idleSeconds) => keepalive is { } k && k <= idleSeconds;
}
