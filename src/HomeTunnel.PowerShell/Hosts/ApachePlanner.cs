using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using HomeTunnel.Apache;
using HomeTunnel.Hosts.Contract;

namespace HomeTunnel.Hosts;

/// <summary>
/// Decides an Apache change from the relay's facts: ownership of each file and sites-enabled entry, a name
/// another enabled site already serves, missing modules, and whether Apache must be started. The agent
/// only applies the result.
/// </summary>
public static class ApachePlanner
{
    /// <param name="planned">What the same command brings to the relay first (Publish-HomeService's relay config).</param>
    public static HostPlan Plan(ApacheFacts facts, IReadOnlyList<ApacheProxySite> sites, bool uninstall, bool force, Forwards.PlannedRelay? relay = null)
    {
        if (!uninstall && BackendsOutsideTunnel(facts, sites, relay) is { } outside)
        {
            return outside;
        }
        var byFile = facts.Sites.ToDictionary(f => f.FileName, StringComparer.Ordinal);
        var modules = facts.Modules.ToHashSet(StringComparer.Ordinal);
        var others = facts.OtherSites.Select(o => (o.File, Names: ApacheServedNames.Of(o.Lines))).ToList();
        bool running = facts.Running;
        // A host without the fact (no systemd) starts Apache its own way at boot.
        bool atBoot = facts.AtBoot ?? true;
        var planned = new List<ApacheSitePlan>();
        var files = new List<HostFileFact>();
        foreach (ApacheProxySite site in sites)
        {
            if (!byFile.TryGetValue(site.FileName, out ApacheSiteFacts? f))
            {
                return HostPlan.Refused("HostOperationFailed", $"The relay sent no facts for {site.FileName}.");
            }
            string path = f.Path;
            string? current = f.Current;
            bool enabled = f.Enabled;
            string target = f.EnabledTarget;
            if (!force && current is not null && !current.StartsWith(HostPlan.Marker, StringComparison.Ordinal))
            {
                return HostPlan.Refused("NotOwnedByHomeTunnel",
                    $"{path} exists and was not written by HomeTunnel; nothing was changed. To adopt it, run the same command with -Force (its old content is shown in the result's Diff).");
            }
            if (!force && enabled && System.IO.Path.GetFileName(target) != site.FileName)
            {
                // a2ensite makes a link to sites-available; a file of its own there is someone else's site.
                return HostPlan.Refused("NotOwnedByHomeTunnel",
                    $"{ApacheLayout.SitesEnabled}/{site.FileName} is not HomeTunnel's link to sites-available/{site.FileName}; nothing was changed. To take it over, run the same command with -Force.");
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
            var (pw, refused) = PasswordPlan(f, site, uninstall, force);
            if (refused is not null)
            {
                return refused;
            }
            var (key, keyRefused) = AcmeKeyPlan(f, site, uninstall, force);
            if (keyRefused is not null)
            {
                return keyRefused;
            }
            string[] missing = uninstall ? Array.Empty<string>() : site.RequiredModules.Where(m => !modules.Contains(m)).ToArray();
            bool changed = uninstall ? current is not null || enabled || pw.Changed || key.Changed : textChanged || !enabled || missing.Length > 0 || pw.Changed || key.Changed;
            planned.Add(new ApacheSitePlan(site.FileName, site.ServerName, path, current, enabled, missing, changed,
                pw.Path, pw.Current, pw.Text, pw.Changed, key.Path, key.Text, key.Changed, AcmeDns01.HookUser));
            if (changed && (textChanged || uninstall || !(pw.Changed || key.Changed)))
            {
                files.Add(new HostFileFact(path, current, LiveOnly: false));
            }
            if (pw.Changed)
            {
                files.Add(new HostFileFact(pw.Path, pw.Current, LiveOnly: false));
            }
            if (key.Changed)
            {
                // The diff shows the key file by its key's name, never its secret, old or new.
                files.Add(new HostFileFact(key.Path, key.Exists ? AcmeDns01.KeyFileDisplay(site.ServerName, null) : null, LiveOnly: false));
            }
        }
        var (hook, hookRefused) = HookPlan(facts, sites, uninstall, force);
        if (hookRefused is not null)
        {
            return hookRefused;
        }
        if (hook.Changed)
        {
            files.Add(new HostFileFact(AcmeDns01.HookPath, hook.Current, LiveOnly: false));
        }
        // Nothing is "Unchanged" on a relay whose Apache does not serve, or would not after a reboot: an install
        // starts it and enables it at boot.
        bool any = files.Count > 0 || (!uninstall && (!running || !atBoot));
        return new HostPlan
        {
            Changed = any,
            Plan = new ApachePlan(planned.ToArray(), running, atBoot, any, AcmeDns01.HookPath, hook.Current, hook.Changed ? AcmeDns01.HookText : null, hook.Changed),
            Files = files,
        };
    }

    private sealed record PasswordChange(string Path, string? Current, string? Text, bool Changed);

    private sealed record KeyChange(string Path, bool Exists, string? Text, bool Changed);

    private sealed record HookChange(string? Current, bool Changed);

    /// <summary>
    /// A DNS-01 site's key file: written when the relay's differs from the given key (the relay sends a digest, never the
    /// text), kept when it is HomeTunnel's and no key was given (a site read back), removed with the site or when the
    /// site no longer uses DNS-01 (only if HomeTunnel's). Refused when it is not HomeTunnel's, or when no key is given
    /// and none is on the relay.
    /// </summary>
    private static (KeyChange Change, HostPlan? Refused) AcmeKeyPlan(ApacheSiteFacts f, ApacheProxySite site, bool uninstall, bool force)
    {
        string path = AcmeDns01.KeyPathFor(site.ServerName);
        SecretFileFact? fact = f.AcmeKey;
        bool exists = fact is not null;
        bool ours = fact is { Ours: true };
        var keep = new KeyChange(path, exists, null, false);
        if (uninstall || site.AcmeDns is null)
        {
            return (ours ? new KeyChange(path, exists, null, true) : keep, null);
        }
        if (exists && !ours && !force)
        {
            return (keep, HostPlan.Refused("NotOwnedByHomeTunnel",
                $"{path} exists and was not written by HomeTunnel; nothing was changed. To replace it, run the same command with -Force."));
        }
        if (site.AcmeDns.Key is not { } tsig)
        {
            return ours ? (keep, null) : (keep, HostPlan.Refused("AcmeDnsKeyMissing",
                $"{site.ServerName} gets its certificate by DNS-01 but no TSIG key was given and {path} holds none; nothing was changed. Give the site -DnsKey or -DnsKeyFile once."));
        }
        string text = AcmeDns01.KeyFileText(site.ServerName, tsig);
        bool same = ours && string.Equals(fact!.Digest, AcmeDns01.Digest(text), StringComparison.OrdinalIgnoreCase);
        return same ? (keep, null) : (new KeyChange(path, exists, text, true), null);
    }

    /// <summary>HomeTunnel's DNS-01 hook, when a site uses it: written when missing or different (if HomeTunnel's); never removed (other sites may use it).</summary>
    private static (HookChange Change, HostPlan? Refused) HookPlan(ApacheFacts facts, IReadOnlyList<ApacheProxySite> sites, bool uninstall, bool force)
    {
        string? current = facts.Hook;
        if (uninstall || !sites.Any(s => s.AcmeDns is not null))
        {
            return (new HookChange(current, false), null);
        }
        if (facts.Nsupdate is false)
        {
            return (new HookChange(current, false), HostPlan.Refused("AcmeDnsToolMissing",
                "The relay has no nsupdate, which HomeTunnel's DNS-01 hook sends its updates with; nothing was changed. Install it on the relay (Debian: apt-get install bind9-dnsutils)."));
        }
        if (string.Equals(current, AcmeDns01.HookText, StringComparison.Ordinal))
        {
            return (new HookChange(current, false), null);
        }
        // The hook's marker stands on its second line, after the #! line.
        bool ours = current is not null && current.Split('\n') is { Length: > 1 } lines && lines[1].StartsWith(HostPlan.Marker, StringComparison.Ordinal);
        if (current is not null && !ours && !force)
        {
            return (new HookChange(current, false), HostPlan.Refused("NotOwnedByHomeTunnel",
                $"{AcmeDns01.HookPath} exists and was not written by HomeTunnel; nothing was changed. To replace it, run the same command with -Force."));
        }
        return (new HookChange(current, true), null);
    }

    /// <summary>
    /// The htpasswd file behind a site's door: kept when it is HomeTunnel's and holds the user (and the given
    /// password's hash), written anew otherwise, removed when the door has no user any more (only if it is
    /// HomeTunnel's). Refused when it is not HomeTunnel's file, or for a user without a password and no hash
    /// on the relay to keep.
    /// </summary>
    private static (PasswordChange Change, HostPlan? Refused) PasswordPlan(ApacheSiteFacts f, ApacheProxySite site, bool uninstall, bool force)
    {
        string path = BasicAuthFile.PathFor(site.ServerName);
        string? current = f.PasswordCurrent;
        bool ours = current is not null && current.StartsWith(HostPlan.Marker, StringComparison.Ordinal);
        var keep = new PasswordChange(path, current, current, false);
        if (uninstall || site.BasicAuthUser is null)
        {
            // Someone else's file at our path is left alone: HomeTunnel removes only what it wrote.
            return (ours ? new PasswordChange(path, current, null, true) : keep, null);
        }
        if (current is not null && !ours && !force)
        {
            return (keep, HostPlan.Refused("NotOwnedByHomeTunnel",
                $"{path} exists and was not written by HomeTunnel; nothing was changed. To replace it, run the same command with -Force."));
        }
        if (BasicAuthFile.Holds(current, site.ServerName, site.BasicAuthUser, site.BasicAuthPassword))
        {
            return (keep, null);
        }
        if (site.BasicAuthPassword is null)
        {
            return (keep, HostPlan.Refused("BasicAuthPasswordMissing",
                $"{site.ServerName} lets in user '{site.BasicAuthUser}' but no password was given and {path} holds none for that user; nothing was changed. Give the site -Credential once."));
        }
        return (new PasswordChange(path, current, BasicAuthFile.Text(site.ServerName, site.BasicAuthUser, site.BasicAuthPassword), true), null);
    }

    /// <summary>
    /// A site proxies into the tunnel and nowhere else: its backend must be an address a WireGuard peer of the relay
    /// carries (live, in a wg-quick file, or in the config the same command installs first), whatever -Force says.
    /// Only a user who named ProxyPass in -AllowDirective (an imported site) has said otherwise.
    /// </summary>
    private static HostPlan? BackendsOutsideTunnel(ApacheFacts facts, IReadOnlyList<ApacheProxySite> sites, Forwards.PlannedRelay? planned)
    {
        Forwards.RelayNeeds needs = Forwards.RelayNeeds.FromTunnel(facts.Tunnel);
        if (planned is not null)
        {
            needs = needs.With(planned.Ports, planned.InterfaceName, planned.Routes);
        }
        foreach (ApacheProxySite site in sites)
        {
            if (site.AllowedDirectives.Contains("ProxyPass", StringComparer.OrdinalIgnoreCase)
                || !IPText.TryParse(site.BackendValue.Host.Trim('[', ']'), out System.Net.IPAddress ip))
            {
                continue;
            }
            if (!needs.Carries(ip))
            {
                return HostPlan.Refused("BackendNotATunnelPeer",
                    $"The site {site.ServerName} proxies to {site.BackendValue}, which no WireGuard peer of the relay carries: a site proxies into the tunnel, to a home peer, and nowhere else. Nothing was changed; install the relay's WireGuard config with that peer first.",
                    site.BackendValue.ToString());
            }
        }
        return null;
    }
}
