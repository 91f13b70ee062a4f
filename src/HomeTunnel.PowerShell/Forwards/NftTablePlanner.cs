using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using HomeTunnel.Hosts;
using HomeTunnel.Hosts.Contract;

namespace HomeTunnel.Forwards;

/// <summary>
/// Decides a change to one of HomeTunnel's nftables tables (<see cref="NftTable"/>) from the host's facts: which
/// item files to write or remove, whether the table must be (re)loaded — also when it is missing or lacks an item
/// after a reboot or a flush, or forwarding is off where the table needs it — and whether the boot unit must be
/// enabled. Files HomeTunnel did not write are never replaced without -Force.
/// </summary>
public static class NftTablePlanner
{
    /// <param name="every">Uninstall every item the host has whose key it selects (one interface's fence and openings,
    /// or the openings one published service holds).</param>
    /// <param name="takeTable">With <paramref name="every"/>: the table goes with the last item (a firewall's -All);
    /// false: a firewall stays loaded with no opening.</param>
    public static HostPlan Plan(NftTableFacts facts, NftTable table, IReadOnlyList<INftRuleFile> items, string tableText, bool uninstall, bool force, Func<string, bool>? every = null, bool takeTable = true)
    {
        bool all = every is not null && takeTable;
        if (!facts.Nft)
        {
            return HostPlan.Refused("NftNotInstalled", "The host has no nft (nftables): install it (apt-get install nftables), then run the command again.");
        }
        string? Current(string path) => facts.Files.TryGetValue(path, out string? t) ? t : null;
        var existing = facts.Existing.ToHashSet(StringComparer.Ordinal);
        var selected = every is not null ? existing.Where(every).ToList() : new List<string>();
        var liveKeys = facts.Live.ToHashSet(StringComparer.Ordinal);
        bool tableLoaded = facts.TableLoaded;
        bool systemd = facts.Systemd;
        bool unitEnabled = facts.UnitEnabled;
        bool ipForward = !table.IpForward || facts.IpForward == "1";

        var owned = new List<string> { table.TablePath, table.UnitPath };
        owned.AddRange(items.Select(f => f.Path));
        owned.AddRange(selected.Select(k => $"{table.Folder}/{k}.nft"));
        foreach (string path in owned)
        {
            if (!force && Current(path) is string text && !text.StartsWith(HostPlan.Marker, StringComparison.Ordinal))
            {
                return HostPlan.Refused("NotOwnedByHomeTunnel",
                    $"{path} exists and was not written by HomeTunnel; nothing was changed. To replace it, run the same command with -Force.");
            }
        }

        var writes = new Dictionary<string, string>(StringComparer.Ordinal);
        var removes = new List<string>();
        var after = new HashSet<string>(existing, StringComparer.Ordinal);
        foreach (INftRuleFile f in items)
        {
            if (uninstall)
            {
                if (Current(f.Path) is not null)
                {
                    removes.Add(f.Path);
                }
                after.Remove(f.Key);
            }
            else
            {
                if (!string.Equals(Current(f.Path), f.Text, StringComparison.Ordinal))
                {
                    writes[f.Path] = f.Text;
                }
                after.Add(f.Key);
            }
        }
        removes.AddRange(selected.Select(k => $"{table.Folder}/{k}.nft").Where(p => Current(p) is not null && !removes.Contains(p)));
        after.ExceptWith(selected);
        bool keep = after.Count > 0 || (table.KeepWhenEmpty && !all);
        bool dropTable = !keep && (tableLoaded || Current(table.TablePath) is not null);
        if (keep)
        {
            if (!string.Equals(Current(table.TablePath), tableText, StringComparison.Ordinal))
            {
                writes[table.TablePath] = tableText;
            }
            if (systemd && !string.Equals(Current(table.UnitPath), table.Unit, StringComparison.Ordinal))
            {
                writes[table.UnitPath] = table.Unit;
            }
        }
        else if (dropTable)
        {
            removes.AddRange(new[] { table.TablePath, table.UnitPath }.Where(p => Current(p) is not null));
        }
        // Nothing is Unchanged on a host whose table does not work: the table missing an item (a reboot without
        // the unit, a flush), forwarding off where it is needed, or the unit that loads it at boot not enabled.
        bool reload = keep && (writes.Count > 0 || removes.Count > 0 || !tableLoaded || !after.SetEquals(liveKeys) || !ipForward);
        bool enableUnit = keep && systemd && (!unitEnabled || writes.ContainsKey(table.UnitPath));
        bool changed = writes.Count > 0 || removes.Count > 0 || reload || enableUnit || dropTable;
        var files = writes.Keys.Concat(removes).Distinct()
            .Select(p => new HostFileFact(p, Current(p), LiveOnly: false)).ToList();
        if (changed && files.Count == 0)
        {
            files.Add(new HostFileFact(table.TablePath, Current(table.TablePath), LiveOnly: true));
        }
        // Every file the change may touch, as it is now (null: absent): what a failed apply puts back.
        var backup = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (string path in owned.Distinct())
        {
            backup[path] = Current(path);
        }
        return new HostPlan
        {
            Changed = changed,
            Plan = new NftTablePlan(writes, removes.ToArray(), backup, reload, dropTable, IpForward: keep && !ipForward, enableUnit, DisableUnit: dropTable && systemd && unitEnabled),
            Files = files,
        };
    }
}
