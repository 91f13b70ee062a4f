using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using HomeTunnel.Hosts;

namespace HomeTunnel.Forwards;

/// <summary>
/// Decides a forward change from the relay's facts: which forward files to write or remove, whether HomeTunnel's
/// table must be (re)loaded — also when it is missing or lacks a forward after a reboot, or forwarding is off —
/// and whether the boot unit must be enabled. Files HomeTunnel did not write are never replaced without -Force.
/// </summary>
public static class ForwardPlanner
{
    public static HostPlan Plan(Hashtable facts, IReadOnlyList<TunnelPortForward> forwards, bool uninstall, bool force)
    {
        if (!AgentValue.Truth(facts["Nft"]))
        {
            return HostPlan.Refused("NftNotInstalled", "The relay has no nft (nftables): install it (apt-get install nftables), then run the command again.");
        }
        var current = (AgentValue.Unwrap(facts["Files"]) as Hashtable ?? new Hashtable()).Cast<DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => AgentValue.Unwrap(e.Value) as string, StringComparer.Ordinal);
        string? Current(string path) => current.TryGetValue(path, out string? t) ? t : null;
        var existing = AgentValue.Items(facts["Existing"]).Select(AgentValue.Text).ToHashSet(StringComparer.Ordinal);
        var liveKeys = AgentValue.Items(facts["Live"]).Select(AgentValue.Text).ToHashSet(StringComparer.Ordinal);
        bool tableLoaded = AgentValue.Truth(facts["TableLoaded"]);
        bool systemd = AgentValue.Truth(facts["Systemd"]);
        bool unitEnabled = AgentValue.Truth(facts["UnitEnabled"]);
        bool ipForward = AgentValue.Text(facts["IpForward"]) == "1";
        string ifName = forwards.Count > 0 ? forwards[0].InterfaceName : "wg0";

        var owned = new List<string> { TunnelPortForward.TablePath, TunnelPortForward.UnitPath };
        owned.AddRange(forwards.Select(f => f.Path));
        foreach (string path in owned)
        {
            if (!force && Current(path) is string text && !text.StartsWith(HostPlan.Marker, StringComparison.Ordinal))
            {
                return HostPlan.Refused("NotOwnedByHomeTunnel",
                    $"{path} exists and was not written by HomeTunnel; nothing was changed. To replace it, run the same command with -Force.");
            }
        }

        var writes = new Hashtable();
        var removes = new List<string>();
        var after = new HashSet<string>(existing, StringComparer.Ordinal);
        foreach (TunnelPortForward f in forwards)
        {
            string path = f.Path;
            if (uninstall)
            {
                if (Current(path) is not null)
                {
                    removes.Add(path);
                }
                after.Remove(f.Key);
            }
            else
            {
                if (!string.Equals(Current(path), f.Text, StringComparison.Ordinal))
                {
                    writes[path] = f.Text;
                }
                after.Add(f.Key);
            }
        }
        bool dropTable = after.Count == 0 && (tableLoaded || Current(TunnelPortForward.TablePath) is not null);
        if (after.Count > 0)
        {
            string table = TunnelPortForward.TableText(ifName);
            if (!string.Equals(Current(TunnelPortForward.TablePath), table, StringComparison.Ordinal))
            {
                writes[TunnelPortForward.TablePath] = table;
            }
            if (systemd && !string.Equals(Current(TunnelPortForward.UnitPath), TunnelPortForward.Unit, StringComparison.Ordinal))
            {
                writes[TunnelPortForward.UnitPath] = TunnelPortForward.Unit;
            }
        }
        else if (dropTable)
        {
            if (Current(TunnelPortForward.TablePath) is not null)
            {
                removes.Add(TunnelPortForward.TablePath);
            }
            if (Current(TunnelPortForward.UnitPath) is not null)
            {
                removes.Add(TunnelPortForward.UnitPath);
            }
        }
        // Nothing is Unchanged on a relay whose forwards do not work: the table missing a forward (a reboot
        // without the unit, a flush), forwarding off, or the unit that loads them at boot not enabled.
        bool reload = after.Count > 0 && (writes.Count > 0 || removes.Count > 0 || !tableLoaded || !after.SetEquals(liveKeys) || !ipForward);
        bool enableUnit = after.Count > 0 && systemd && (!unitEnabled || writes.ContainsKey(TunnelPortForward.UnitPath));
        bool changed = writes.Count > 0 || removes.Count > 0 || reload || enableUnit || dropTable;
        var files = writes.Keys.Cast<string>().Concat(removes).Distinct()
            .Select(p => new HostFileFact(p, Current(p), LiveOnly: false)).ToList();
        if (changed && files.Count == 0)
        {
            files.Add(new HostFileFact(TunnelPortForward.TablePath, Current(TunnelPortForward.TablePath), LiveOnly: true));
        }
        // Every file the change may touch, as it is now (null: absent): what a failed apply puts back.
        var backup = new Hashtable();
        foreach (string path in owned)
        {
            backup[path] = Current(path);
        }
        return new HostPlan
        {
            Changed = changed,
            Plan = new Hashtable
            {
                ["Writes"] = writes,
                ["Removes"] = removes.ToArray(),
                ["Backup"] = backup,
                ["Reload"] = reload,
                ["DropTable"] = dropTable,
                ["IpForward"] = after.Count > 0 && !ipForward,
                ["EnableUnit"] = enableUnit,
                ["DisableUnit"] = dropTable && systemd && unitEnabled,
            },
            Files = files,
        };
    }
}
