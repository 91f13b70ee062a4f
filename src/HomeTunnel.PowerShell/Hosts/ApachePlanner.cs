using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using HomeTunnel.Apache;

namespace HomeTunnel.Hosts;

/// <summary>
/// Decides an Apache change from the relay's facts: ownership of each file and sites-enabled entry, a name
/// another enabled site already serves, missing modules, and whether Apache must be started. The agent
/// only applies the result.
/// </summary>
public static class ApachePlanner
{
    public static HostPlan Plan(Hashtable facts, IReadOnlyList<ApacheProxySite> sites, bool uninstall, bool force)
    {
        var byFile = AgentValue.Items(facts["Sites"]).Select(AgentValue.Unwrap).OfType<Hashtable>()
            .ToDictionary(f => AgentValue.Text(f["FileName"]), StringComparer.Ordinal);
        var modules = AgentValue.Items(facts["Modules"]).Select(AgentValue.Text).ToHashSet(StringComparer.Ordinal);
        var others = AgentValue.Items(facts["OtherSites"]).Select(AgentValue.Unwrap).OfType<Hashtable>()
            .Select(o => (File: AgentValue.Text(o["File"]), Names: AgentValue.Items(o["Names"]).Select(AgentValue.Text).ToList())).ToList();
        bool running = AgentValue.Truth(facts["Running"]);
        // A host without the fact (no systemd, or an older answer) starts Apache its own way at boot.
        bool atBoot = facts["AtBoot"] is null || AgentValue.Truth(facts["AtBoot"]);
        var planned = new List<Hashtable>();
        var files = new List<HostFileFact>();
        foreach (ApacheProxySite site in sites)
        {
            if (!byFile.TryGetValue(site.FileName, out Hashtable? f))
            {
                return HostPlan.Refused("HostOperationFailed", $"The relay sent no facts for {site.FileName}.");
            }
            string path = AgentValue.Text(f["Path"]);
            string? current = AgentValue.Unwrap(f["Current"]) as string;
            bool enabled = AgentValue.Truth(f["Enabled"]);
            string target = AgentValue.Text(f["EnabledTarget"]);
            if (!force && current is not null && !current.StartsWith(HostPlan.Marker, StringComparison.Ordinal))
            {
                return HostPlan.Refused("NotOwnedByHomeTunnel",
                    $"{path} exists and was not written by HomeTunnel; nothing was changed. To adopt it, run the same command with -Force (its old content is shown in the result's Diff).");
            }
            if (!force && enabled && System.IO.Path.GetFileName(target) != site.FileName)
            {
                // a2ensite makes a link to sites-available; a file of its own there is someone else's site.
                return HostPlan.Refused("NotOwnedByHomeTunnel",
                    $"/etc/apache2/sites-enabled/{site.FileName} is not HomeTunnel's link to sites-available/{site.FileName}; nothing was changed. To take it over, run the same command with -Force.");
            }
            bool textChanged = !string.Equals(current, site.Text, StringComparison.Ordinal);
            if (!force && !uninstall && textChanged)
            {
                var names = site.ServerAliases.Prepend(site.ServerName).ToHashSet(StringComparer.OrdinalIgnoreCase);
                foreach (var (file, served) in others)
                {
                    string? taken = served.FirstOrDefault(names.Contains);
                    if (taken is not null)
                    {
                        // Apache would answer the name from whichever file it reads first: one site would go dark.
                        return HostPlan.Refused("ServerNameTaken",
                            $"{taken} is already served by {file}, which is not this site; nothing was changed. Remove it from that site first, or run the same command with -Force.");
                    }
                }
            }
            string[] missing = uninstall ? Array.Empty<string>() : site.RequiredModules.Where(m => !modules.Contains(m)).ToArray();
            bool changed = uninstall ? current is not null || enabled : textChanged || !enabled || missing.Length > 0;
            planned.Add(new Hashtable
            {
                ["FileName"] = site.FileName,
                ["Name"] = site.ServerName,
                ["Path"] = path,
                ["Current"] = current,
                ["Enabled"] = enabled,
                ["MissingModules"] = missing,
                ["Changed"] = changed,
            });
            if (changed)
            {
                files.Add(new HostFileFact(path, current, LiveOnly: false));
            }
        }
        // Nothing is "Unchanged" on a relay whose Apache does not serve, or would not after a reboot: an install
        // starts it and enables it at boot.
        bool any = files.Count > 0 || (!uninstall && (!running || !atBoot));
        return new HostPlan
        {
            Changed = any,
            Plan = new Hashtable { ["Sites"] = planned.ToArray(), ["Running"] = running, ["AtBoot"] = atBoot, ["Changed"] = any },
            Files = files,
        };
    }
}
