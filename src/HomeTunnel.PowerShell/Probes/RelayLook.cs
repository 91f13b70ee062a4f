using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation.Runspaces;
using System.Threading;
using System.Threading.Tasks;
using HomeTunnel.Apache;
using HomeTunnel.Hosts;
using HomeTunnel.Hosts.Contract;

namespace HomeTunnel.Probes;

/// <param name="SiteFile">The file of the VirtualHost whose backend was found (else of the first that serves the name).</param>
/// <param name="SiteWhy">Why the site's backend could not be read (the relay kept its file, or it does not read as Apache config); null otherwise.</param>
/// <param name="BackendError">Empty when the backend answered from the relay, why not otherwise; null when there is no backend.</param>
public sealed record RelayNameSeen(IReadOnlyList<VirtualHostSeen> VirtualHosts, string? SiteFile, string? SiteWhy, string? Backend, string? BackendError)
{
    public static readonly RelayNameSeen None = new(Array.Empty<VirtualHostSeen>(), null, null, null, null);
}

/// <summary>What the relay said for a check: its own facts, and per name what serves it and where that proxies.</summary>
public sealed record RelayLookResult(RelayProbe Probe, IReadOnlyDictionary<string, RelayNameSeen> Names);

/// <summary>
/// Test-TunnelPath's look inside the relay, for every name at once: the relay reports its raw facts (Apache's own
/// listing, the tunnel), the module reads which VirtualHost serves each name with its own parser
/// (<see cref="ApacheHostListing"/>), asks for those site files' texts only and reads their ProxyPass with its own
/// Apache reader (<see cref="ApacheSiteBackend"/>), then asks the relay whether each backend answers. At most three
/// agent calls however many names (the second and third only when there is something to ask); no Apache text is
/// parsed on the relay.
/// </summary>
public static class RelayLook
{
    public static async Task<RelayLookResult> ReadAsync(Runspace runspace, string hostName, IReadOnlyList<string> names, string interfaceName,
        int connectTimeoutMilliseconds, IEnumerable<HomeTunnel.Forwards.TunnelPortForward> forwards, CancellationToken cancel)
    {
        RelayProbe probe = (await AgentCall.ReadAsync(runspace, AgentRequest.RelayProbe(interfaceName, connectTimeoutMilliseconds, forwards), hostName,
            AgentContract.RelayProbe, cancel).ConfigureAwait(false)).Probe;
        ApacheHostListing listing = probe.ApacheListingOk ? ApacheHostListing.Parse(probe.ApacheListing) : ApacheHostListing.Empty;
        var served = names.Distinct(StringComparer.Ordinal).ToDictionary(n => n, listing.ServedBy, StringComparer.Ordinal);

        string[] files = served.Values.SelectMany(v => v).Select(v => v.File).ToArray();
        var texts = files.Length == 0 ? new Dictionary<string, SiteFileSeen>()
            : (await AgentCall.ReadAsync(runspace, AgentRequest.SiteFiles(files), hostName, AgentContract.SiteFiles, cancel).ConfigureAwait(false))
                .Files.ToDictionary(f => f.Path, StringComparer.Ordinal);

        var sites = served.ToDictionary(s => s.Key, s => Site(s.Value, texts), StringComparer.Ordinal);
        var targets = sites.Values.Select(s => s.Backend).OfType<ProxyBackend>().Select(Target).ToArray();
        var answers = targets.Length == 0 ? new Dictionary<(string, int), string>()
            : (await AgentCall.ReadAsync(runspace, AgentRequest.ConnectProbe(targets, connectTimeoutMilliseconds), hostName, AgentContract.ConnectProbe, cancel).ConfigureAwait(false))
                .Answers.ToDictionary(a => (a.Host, a.Port), a => a.Error);

        var seen = sites.ToDictionary(s => s.Key, s => new RelayNameSeen(served[s.Key], s.Value.File, s.Value.Why, s.Value.Backend?.ToString(),
            s.Value.Backend is { } b ? answers.GetValueOrDefault(Target(b), "the relay did not say") : null), StringComparer.Ordinal);
        return new RelayLookResult(probe, seen);
    }

    /// <summary>Where the relay connects for a backend: its host (an IPv6 address without brackets) and port.</summary>
    private static (string Host, int Port) Target(ProxyBackend backend) => (backend.Host.Trim('[', ']'), backend.Port);

    /// <summary>The first VirtualHost serving the name that proxies somewhere, and where; else the first one's file and why none does.</summary>
    private static (string? File, string? Why, ProxyBackend? Backend) Site(IReadOnlyList<VirtualHostSeen> hosts, IReadOnlyDictionary<string, SiteFileSeen> texts)
    {
        string? why = null;
        foreach (VirtualHostSeen host in hosts)
        {
            if (!texts.TryGetValue(host.File, out SiteFileSeen? file) || file.Text is null)
            {
                why ??= $"the relay did not hand back {host.File}: {file?.Refused ?? "no answer for it"}";
                continue;
            }
            ApacheSiteBackend.Found found = ApacheSiteBackend.Find(file.Text, host.File, host.Line);
            if (found.Backend is not null)
            {
                return (host.File, null, found.Backend);
            }
            why ??= found.Why;
        }
        return (hosts.Count > 0 ? hosts[0].File : null, why, null);
    }
}
