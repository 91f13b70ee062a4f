using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using HomeTunnel.WireGuard;

namespace HomeTunnel.Hosts;

/// <summary>
/// Decides a WireGuard change from the host's facts: ownership, whether the file or the live interface
/// differs from the config, and so whether to write, bring up, or sync. The agent only applies the result.
/// </summary>
public static class WireGuardPlanner
{
    public static HostPlan Plan(Hashtable facts, WireGuardConfig? config, string interfaceName, bool uninstall, bool force)
    {
        string path = AgentValue.Text(facts["Path"]);
        string? current = AgentValue.Unwrap(facts["Current"]) as string;
        bool up = AgentValue.Truth(facts["Up"]);
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
        bool changed = fileChanged || liveChanged;
        return new HostPlan
        {
            Changed = changed,
            Plan = new Hashtable
            {
                ["Path"] = path,
                ["Current"] = current,
                ["Up"] = up,
                ["FileChanged"] = fileChanged,
                ["LiveChanged"] = liveChanged,
            },
            Files = changed ? new[] { new HostFileFact(path, current, LiveOnly: !fileChanged && liveChanged) } : Array.Empty<HostFileFact>(),
        };
    }

    /// <summary>The live peers and port are what the config says (wg prints AllowedIPs as the config's networks).</summary>
    private static bool SameLive(Hashtable facts, WireGuardConfig config)
    {
        if (config.ListenPort is int port && AgentValue.Text(facts["ListenPort"]) != port.ToString(CultureInfo.InvariantCulture))
        {
            return false;
        }
        var live = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Hashtable p in AgentValue.Items(facts["Peers"]).Select(AgentValue.Unwrap).OfType<Hashtable>())
        {
            live[AgentValue.Text(p["PublicKey"])] = AgentValue.Text(p["AllowedIPs"]);
        }
        if (live.Count != config.Peers.Count)
        {
            return false;
        }
        foreach (WireGuardPeerSection p in config.Peers)
        {
            var want = p.AllowedIPs.Select(a => a.Network.ToString()).ToList();
            want.Sort(StringComparer.Ordinal);
            if (!live.TryGetValue(p.PublicKey, out string? have) || have != string.Join(',', want))
            {
                return false;
            }
        }
        return true;
    }
}
