using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using HomeTunnel.Hosts.Contract;
using HomeTunnel.WireGuard;

namespace HomeTunnel.Hosts;

/// <summary>
/// Decides a WireGuard change from the host's facts: ownership, whether the file or the live interface
/// differs from the config, and so whether to write, bring up, or sync. The agent only applies the result.
/// </summary>
public static class WireGuardPlanner
{
    public static HostPlan Plan(WireGuardFacts facts, WireGuardConfig? config, string interfaceName, bool uninstall, bool force)
    {
        string path = facts.Path;
        string? current = facts.Current;
        bool up = facts.Up;
        if (!force && current is not null && !current.StartsWith(HostPlan.Marker, StringComparison.Ordinal))
        {
            return HostPlan.Refused("NotOwnedByHomeTunnel",
                $"{path} exists and was not written by HomeTunnel; nothing was changed. To adopt it, run the same command with -Force (its old content is shown in the result's Diff).");
        }
        if (!force && up && current is null)
        {
            // An interface someone else brought up (wg set, another tool): syncconf would replace its peers.
            return HostPlan.Refused("NotOwnedByHomeTunnel",
                $"Interface {interfaceName} is up but has no config HomeTunnel wrote ({path}); nothing was changed. To take it over, run the same command with -Force.");
        }
        bool fileChanged, liveChanged;
        if (uninstall || config is null)
        {
            fileChanged = current is not null;
            liveChanged = up;
        }
        else
        {
            fileChanged = !string.Equals(current, config.RevealText(), StringComparison.Ordinal);
            liveChanged = !up || !SameLive(facts, config);
        }
        // On systemd: wg-quick@ enabled at boot, and on the side that dials, the watch (TunnelBootUnits).
        WireGuardBootFacts boot = facts.Boot;
        bool systemd = boot.Systemd;
        bool wantWatch = systemd && !uninstall && config is not null && config.Peers.Any(p => p.Endpoint is not null);
        var unitsToWrite = new Dictionary<string, string>(StringComparer.Ordinal);
        if (wantWatch)
        {
            foreach (var (unitPath, text) in TunnelBootUnits.Files)
            {
                string? have = boot.Units.TryGetValue(unitPath, out string? text0) ? text0 : null;
                if (have is not null && !have.StartsWith(HostPlan.Marker, StringComparison.Ordinal) && !force)
                {
                    return HostPlan.Refused("NotOwnedByHomeTunnel",
                        $"{unitPath} exists and was not written by HomeTunnel; nothing was changed. To replace it, run the same command with -Force.");
                }
                if (!string.Equals(have, text, StringComparison.Ordinal))
                {
                    unitsToWrite[unitPath] = text;
                }
            }
        }
        bool enabled = boot.Enabled;
        bool watching = boot.Watching;
        bool bootChanged = systemd && (uninstall ? watching : (!enabled || wantWatch != watching || unitsToWrite.Count > 0));
        bool changed = fileChanged || liveChanged || bootChanged;
        // wg syncconf changes peers only: a change of the interface's routing (Table, hooks: -PreserveClientAddress
        // turned on or off) takes the interface down and up again.
        // An MTU line dropped has wg-quick choose the MTU again (down and up); a new MTU value is set on the live
        // interface (ip link), with no restart and no lost handshake.
        bool mtuDropped = config?.Mtu is null && MtuLine(current) is not null;
        bool restart = up && fileChanged && !uninstall && config is not null && (mtuDropped || RoutingLines(current) != RoutingLines(config.RevealText()));
        int? liveMtu = up && !restart && !uninstall && config?.Mtu is int mtu && MtuLine(current) != MtuLine(config.RevealText()) ? mtu : null;
        return new HostPlan
        {
            Changed = changed,
            Plan = new WireGuardPlan(path, current, up, fileChanged, liveChanged, restart, liveMtu,
                new WireGuardBootPlan(bootChanged, Enable: systemd && !uninstall && !enabled, wantWatch, watching, unitsToWrite)),
            Files = changed ? new[] { new HostFileFact(path, current, LiveOnly: !fileChanged && liveChanged) } : Array.Empty<HostFileFact>(),
        };
    }

    private static string? MtuLine(string? text) =>
        (text ?? string.Empty).Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("MTU", StringComparison.Ordinal));

    private static string RoutingLines(string? text) =>
        string.Join('\n', (text ?? string.Empty).Split('\n').Select(l => l.Trim())
            .Where(l => l.StartsWith("Table", StringComparison.Ordinal) || l.StartsWith("PostUp", StringComparison.Ordinal) || l.StartsWith("PostDown", StringComparison.Ordinal)));

    /// <summary>The live peers and port are what the config says (wg prints AllowedIPs as the config's networks).</summary>
    private static bool SameLive(WireGuardFacts facts, WireGuardConfig config)
    {
        if (config.ListenPort is int port && facts.ListenPort != port.ToString(CultureInfo.InvariantCulture))
        {
            return false;
        }
        var live = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (WireGuardLivePeer p in facts.Peers)
        {
            live[p.PublicKey] = p.AllowedIPs;
        }
        if (live.Count != config.Peers.Count)
        {
            return false;
        }
        foreach (WireGuardPeerSection p in config.Peers)
        {
            var want = p.AllowedIPValues.Select(a => a.Network.ToString()).ToList();
            want.Sort(StringComparer.Ordinal);
            if (!live.TryGetValue(p.PublicKey, out string? have) || have != string.Join(',', want))
            {
                return false;
            }
        }
        return true;
    }
}
