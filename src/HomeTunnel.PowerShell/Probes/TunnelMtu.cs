using System;
using System.Collections;
using HomeTunnel.Hosts;

using HomeTunnel.Hosts.Contract;

namespace HomeTunnel.Probes;

/// <summary>
/// The MTU measured, not assumed (Measure-TunnelMtu): the largest packet that crosses the path from the home machine to
/// the relay whole (DF), the largest that crosses the tunnel each way, and the tunnel MTU the path allows — the path's
/// less WireGuard's 60 bytes over IPv4 (IP 20, UDP 8, WireGuard 32). A tunnel MTU above that has every full-size
/// packet fragmented on the way, or lost where fragments are.
/// </summary>
public sealed class TunnelMtu
{
    /// <summary>WireGuard's bytes around an inner packet over IPv4: IP 20, UDP 8, its own header and tag 32.</summary>
    public const int Overhead = 60;

    public string Relay { get; init; } = string.Empty;

    /// <summary>The largest packet (bytes on the wire) from the home machine to the relay's public address that crossed whole.</summary>
    public int PathMtu { get; init; }

    /// <summary>The largest packet that crossed the tunnel from home to relay, and from relay to home (whole, or fragmented outside).</summary>
    public int TunnelHomeToRelay { get; init; }
    public int TunnelRelayToHome { get; init; }

    /// <summary>The home interface's MTU now.</summary>
    public int InterfaceMtu { get; init; }

    /// <summary>The tunnel MTU the path allows: PathMtu less <see cref="Overhead"/>.</summary>
    public int RecommendedMtu { get; init; }
    public HopStatus Status { get; init; }
    public string Detail { get; init; } = string.Empty;

    public override string ToString() => $"{Relay}: {Status} ({Detail})";

    public static TunnelMtu Judge(string relay, MtuSeen? home, MtuSeen? relayAnswer)
    {
        int Found(MtuSeen? answer, string name) => answer is not null && answer.Found.TryGetValue(name, out int v) ? v : 0;
        int ifMtu = home?.InterfaceMtu ?? 0;
        int path = Found(home, "Path");
        int up = Found(home, "Tunnel");
        int down = Found(relayAnswer, "Tunnel");
        int recommended = Math.Max(0, path - Overhead);
        HopStatus status;
        string detail;
        if (path == 0 || up == 0 || down == 0)
        {
            status = HopStatus.Fail;
            detail = path == 0 ? "no 576-byte ping reached the relay's public address whole: ICMP echo is blocked on the way, or the relay is down"
                : "no 576-byte ping crossed the tunnel (check it with Test-TunnelPath)";
        }
        else if (ifMtu > recommended)
        {
            status = HopStatus.Warn;
            detail = $"the path takes packets of {path} bytes, so the tunnel takes {recommended}; the interface's MTU is {ifMtu}: full-size packets are fragmented outside the tunnel (or lost where fragments are). Set MTU = {recommended} (New-TunnelPeer -Mtu {recommended}) on both ends";
        }
        else
        {
            status = HopStatus.Pass;
            detail = $"the path takes packets of {path} bytes; the interface's MTU {ifMtu} fits under the {recommended} it allows";
        }
        detail += $"; through the tunnel {up} bytes home to relay, {down} relay to home";
        return new TunnelMtu
        {
            Relay = relay, PathMtu = path, TunnelHomeToRelay = up, TunnelRelayToHome = down, InterfaceMtu = ifMtu, RecommendedMtu = recommended,
            Status = status, Detail = detail,
        };
    }
}
