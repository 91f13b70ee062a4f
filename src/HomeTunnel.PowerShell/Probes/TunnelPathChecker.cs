using System;
using System.Collections;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Management.Automation.Runspaces;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using HomeTunnel.Apache;
using HomeTunnel.Hosts;

using HomeTunnel.Hosts.Contract;

namespace HomeTunnel.Probes;

/// <summary>
/// Judges a name's whole path. Every probe starts at once (DNS, TCP to the relay, HTTP through it, one
/// agent call on the relay and one on the home machine); the hops are then read off their answers, so a
/// verdict takes about as long as the slowest probe. A probe still running at the deadline is abandoned
/// and reported, never waited for.
/// </summary>
public static class TunnelPathChecker
{
    private const string ProbeHostName = "hometunnel-probe.invalid";

    private sealed record Timed<T>(T? Value, TimeSpan Elapsed, string? Error, string? ErrorId = null);

    private const string DeadlineId = "DeadlinePassed";

    /// <param name="stop">Ctrl+C: ends every probe at once, as the deadline does.</param>
    public static TunnelPathResult Check(TunnelPathOptions o, CancellationToken stop = default) => CheckMany(o, new[] { o.ServerName }, stop)[0];

    /// <summary>
    /// Judges several names on the same relay at once: one session and one agent call per host however many
    /// names (the relay answers for all of them in that call), probes shared where they are the same (the
    /// relay's ports and default site per address, the forwards), and one deadline for all.
    /// </summary>
    public static IReadOnlyList<TunnelPathResult> CheckMany(TunnelPathOptions template, IReadOnlyList<string> names, CancellationToken stop = default)
    {
        DateTimeOffset started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop);
        deadline.CancelAfter(template.Deadline);
        CancellationToken cancel = deadline.Token;
        TimeSpan Step(double seconds) => TimeSpan.FromSeconds(Math.Min(seconds, Math.Max(0.1, (template.Deadline - clock.Elapsed).TotalSeconds)));

        var relayRunspace = template.Relay is null ? null : Time(() => template.Relay.Open(cancel), cancel);
        var home = template.Home is null ? null : OnHost(template.Home, AgentRequest.HomeProbe(template.InterfaceName), AgentContract.HomeProbe, cancel);
        var relay = relayRunspace is null ? null : Time(async () =>
        {
            Timed<Runspace> rs = await relayRunspace.ConfigureAwait(false);
            if (rs.Value is null)
            {
                throw new HomeTunnelException(rs.ErrorId ?? "SshConnectFailed", ErrorKind.ConnectionError, rs.Error ?? "no session", template.Relay!.Name);
            }
            return await RelayLook.ReadAsync(rs.Value, template.Relay!.Name, names, template.InterfaceName, 2000, template.Forwards, cancel).ConfigureAwait(false);
        }, cancel);

        // What is the same for every name at one relay address is asked once.
        var shared = new System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<Task<object?>>>(StringComparer.Ordinal);
        Task<T?> Once<T>(string key, Func<Task<T?>> make) where T : class =>
            shared.GetOrAdd(key, _ => new Lazy<Task<object?>>(async () => await make().ConfigureAwait(false))).Value.ContinueWith(t => (T?)t.Result, TaskScheduler.Default);
        string scheme = template.Https ? "https" : "http";
        var all = new List<Task>();
        var perName = names.Select(name =>
        {
            TunnelPathOptions o = template with { ServerName = name };
            var dns = Time(() => DnsProbe.ResolveAsync(name, o.DnsServer, Step(3), cancel), cancel);
            var relayAddress = Time(() => RelayAddressAsync(o, dns, relayRunspace, cancel), cancel);
            var ports = o.Ports.Select(port => Time(async () =>
            {
                IPAddress? address = (await relayAddress.ConfigureAwait(false)).Value;
                return address is null ? "no address for the relay"
                    : await Once($"port {address} {port}", () => NetworkProbe.ConnectAsync(address, port, Step(3), cancel)).ConfigureAwait(false);
            }, cancel)).ToArray();
            var site = Time(async () =>
            {
                IPAddress? address = (await relayAddress.ConfigureAwait(false)).Value;
                return address is null ? null : await NetworkProbe.GetAsync(address, new Uri($"{scheme}://{name}{o.UrlPath}"), name, Step(10), cancel).ConfigureAwait(false);
            }, cancel);
            var fallback = Time(async () =>
            {
                IPAddress? address = (await relayAddress.ConfigureAwait(false)).Value;
                return address is null ? null
                    : await Once<HttpAnswer>($"fallback {address}", async () => await NetworkProbe.GetAsync(address, new Uri($"http://{ProbeHostName}/"), ProbeHostName, Step(10), cancel).ConfigureAwait(false)).ConfigureAwait(false);
            }, cancel);
            var forwards = o.Forwards.Select(f => Time(async () =>
            {
                IPAddress? address = (await relayAddress.ConfigureAwait(false)).Value;
                return address is null ? "no address for the relay"
                    : await Once($"forward {address} {f.Key}", () => f.Protocol == HomeTunnel.Forwards.ForwardProtocol.Tcp
                        ? NetworkProbe.ConnectAsync(address, f.PublicPort, Step(3), cancel)
                        : NetworkProbe.UdpExchangeAsync(address, f.PublicPort, o.UdpRequest, Step(3), cancel)).ConfigureAwait(false);
            }, cancel)).ToArray();
            all.AddRange(new Task[] { dns, relayAddress, site, fallback });
            all.AddRange(ports);
            all.AddRange(forwards);
            return (Options: o, Dns: dns, RelayAddress: relayAddress, Ports: ports, Site: site, Fallback: fallback, Forwards: forwards);
        }).ToList();
        if (relay is not null)
        {
            all.Add(relay);
        }
        if (home is not null)
        {
            all.Add(home);
        }
        // Each task ends by the deadline (Time() turns cancellation into a result); the extra second is
        // for the cancellations themselves to land.
        Task.WaitAll(all.ToArray(), template.Deadline + TimeSpan.FromSeconds(1));
        Timed<HomeProbeAnswer>? homeFacts = home is null ? null : Get(home);
        var results = new List<TunnelPathResult>();
        foreach (var n in perName)
        {
            TunnelPathOptions o = n.Options;
            Timed<RelaySeen>? relayFacts = relay is null ? null : ForName(Get(relay), o.ServerName);
            var hops = new List<TunnelPathHopResult>
            {
                DnsHop(o, Get(n.Dns), Get(n.RelayAddress)),
                RelayHop(o, n.Ports.Select(Get).ToArray(), Get(n.RelayAddress), relayFacts),
                CertificateHop(o, Get(n.Site)),
                ApacheHop(o, relayFacts, Get(n.Site), Get(n.Fallback)),
                TunnelStateHop(o, relayFacts, homeFacts),
                HomeServiceHop(o, relayFacts, homeFacts),
                EndToEndHop(o, Get(n.Site), Get(n.Fallback)),
            };
            hops.AddRange(o.Forwards.Select((f, i) => ForwardHop(o, f, Get(n.Forwards[i]), relayFacts?.Value, homeFacts?.Value?.Probe)));
            for (int i = 0; i < hops.Count; i++)
            {
                if (o.SkipHops.Contains(hops[i].Hop))
                {
                    hops[i] = Hop(o, hops[i].Hop, HopStatus.Skipped, hops[i].Duration, $"skipped on request (was {hops[i].Status}: {hops[i].Detail})");
                }
            }
            results.Add(TunnelPathResult.From(o.ServerName, hops, started, clock.Elapsed, HandshakeAge(o, relayFacts), CertificateDays(Get(n.Site))));
        }
        if (template.Relay?.Close is { } close && relayRunspace is not null)
        {
            // A session that opened after the deadline is closed when it arrives.
            Task closing = relayRunspace.ContinueWith(t =>
            {
                if (t.Result.Value is { } r)
                {
                    close(r);
                }
            }, TaskScheduler.Default);
            closing.Wait(TimeSpan.FromSeconds(3));
        }
        return results;
    }

    /// <summary>The relay's handshake age with the peer behind the site's backend, for metrics (null when not seen).</summary>
    private static double? HandshakeAge(TunnelPathOptions o, Timed<RelaySeen>? relay)
    {
        RelaySeen? facts = relay?.Value;
        if (facts is null || o.Relay is null || facts.Probe.WireGuard is not { } wg
            || !Uri.TryCreate(facts.Own.Backend, UriKind.Absolute, out Uri? backend) || !IPAddress.TryParse(backend.Host.Trim('[', ']'), out IPAddress? home))
        {
            return null;
        }
        TunnelPeerStatus? peer = TunnelPeerStatus.FromAgent(wg, o.Relay.Name, o.InterfaceName, facts.Probe.Now).FirstOrDefault(p => p.Covers(home));
        return peer?.HandshakeAge is { } age ? Math.Round(age.TotalSeconds, 1) : null;
    }

    private static double? CertificateDays(Timed<HttpAnswer?> site) =>
        site.Value?.Certificate is { } cert ? Math.Round((cert.NotAfter.ToUniversalTime() - DateTime.UtcNow).TotalDays, 2) : null;

    /// <summary>What the relay said, as one name sees it: the shared facts, and that name's own (its VirtualHosts, site, backend).</summary>
    private sealed record RelaySeen(RelayProbe Probe, RelayNameSeen Own);

    private static Timed<RelaySeen> ForName(Timed<RelayLookResult> answer, string name) =>
        new(answer.Value is { } r ? new RelaySeen(r.Probe, r.Names.TryGetValue(name, out RelayNameSeen? own) ? own : RelayNameSeen.None) : null,
            answer.Elapsed, answer.Error, answer.ErrorId);

    private static Task<Timed<T>> OnHost<T>(ProbeHost host, HostRequest request, Func<System.Text.Json.JsonElement, T> contract, CancellationToken cancel) => Time(async () =>
    {
        Runspace rs = await host.Open(cancel).ConfigureAwait(false);
        try
        {
            return await AgentCall.ReadAsync(rs, request, host.Name, contract, cancel).ConfigureAwait(false);
        }
        finally
        {
            host.Close?.Invoke(rs);
        }
    }, cancel);

    private static async Task<IPAddress?> RelayAddressAsync(TunnelPathOptions o, Task<Timed<DnsAnswer>> dns, Task<Timed<Runspace>>? relay, CancellationToken cancel)
    {
        string? given = o.RelayAddress ?? o.Relay?.Name;
        if (given is not null)
        {
            if (IPAddress.TryParse(given, out IPAddress? ip))
            {
                return ip;
            }
            IPAddress[] found = await Dns.GetHostAddressesAsync(given, cancel).ConfigureAwait(false);
            if (found.Length > 0)
            {
                return found[0];
            }
        }
        return (await dns.ConfigureAwait(false)).Value?.Addresses.FirstOrDefault();
    }

    private static Task<Timed<T>> Time<T>(Func<Task<T>> start, CancellationToken cancel) => Task.Run(async () =>
    {
        var clock = Stopwatch.StartNew();
        try
        {
            T value = await start().ConfigureAwait(false);
            return new Timed<T>(value, clock.Elapsed, null);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            return new Timed<T>(default, clock.Elapsed, "no answer before the deadline", DeadlineId);
        }
        catch (Exception e)
        {
            return e.GetBaseException() is HomeTunnelException h
                ? new Timed<T>(default, clock.Elapsed, h.Message, h.ErrorId)
                : new Timed<T>(default, clock.Elapsed, e.GetBaseException().Message);
        }
    });

    private static Timed<T> Get<T>(Task<Timed<T>> task) =>
        task.IsCompletedSuccessfully ? task.Result : new Timed<T>(default, TimeSpan.Zero, "no answer before the deadline", DeadlineId);

    // ------------------------------------------------------------------ hops

    private static TunnelPathHopResult Hop(TunnelPathOptions o, TunnelHop hop, HopStatus status, TimeSpan took, string detail, string remedy = "") =>
        TunnelPathHopResult.Make(o.ServerName, hop, status, took, detail, remedy);

    private static TunnelPathHopResult DnsHop(TunnelPathOptions o, Timed<DnsAnswer> dns, Timed<IPAddress?> relay)
    {
        string asked = o.DnsServer is null ? "the system resolver" : o.DnsServer.ToString();
        string point = relay.Value is null ? "the relay's address" : relay.Value.ToString();
        string remedy = $"Point an A record for {o.ServerName} at {point} (or a CNAME to the relay's name) at your DNS provider.";
        if (dns.Value is null)
        {
            return Hop(o, TunnelHop.Dns, HopStatus.Fail, dns.Elapsed, $"{asked} did not answer: {dns.Error}", $"Check the resolver {asked} is reachable.");
        }
        DnsAnswer a = dns.Value;
        string via = a.CnameChain.Count > 0 ? $" via CNAME {string.Join(" -> ", a.CnameChain)}" : string.Empty;
        if (a.Error is not null)
        {
            return Hop(o, TunnelHop.Dns, HopStatus.Fail, dns.Elapsed, $"{o.ServerName} does not resolve{via}: {a.Error}", remedy);
        }
        string list = string.Join(", ", a.Addresses);
        if (relay.Value is not null && (o.RelayAddress is not null || o.Relay is not null) && !a.Addresses.Contains(relay.Value))
        {
            return Hop(o, TunnelHop.Dns, HopStatus.Fail, dns.Elapsed, $"{o.ServerName} resolves to {list}{via}, not the relay ({relay.Value})", remedy);
        }
        return Hop(o, TunnelHop.Dns, HopStatus.Pass, dns.Elapsed, $"{list}{via}");
    }

    private static TunnelPathHopResult RelayHop(TunnelPathOptions o, Timed<string?>[] ports, Timed<IPAddress?> address, Timed<RelaySeen>? relay)
    {
        TimeSpan took = ports.Length == 0 ? address.Elapsed : ports.Max(p => p.Elapsed);
        if (address.Value is null)
        {
            return Hop(o, TunnelHop.Relay, HopStatus.Fail, took, $"no address for the relay ({address.Error ?? "the name did not resolve"})",
                "Give -RelayAddress, or fix DNS first.");
        }
        var failures = new List<string>();
        for (int i = 0; i < ports.Length; i++)
        {
            string? why = ports[i].Value ?? ports[i].Error;
            if (why is not null)
            {
                failures.Add($"{o.Ports[i]}: {why}");
            }
        }
        if (failures.Count == 0)
        {
            return Hop(o, TunnelHop.Relay, HopStatus.Pass, took, $"{address.Value} answers on {string.Join(", ", o.Ports)}");
        }
        RelaySeen? facts = relay?.Value;
        string remedy = facts is not null && !facts.Probe.ApacheRunning
            ? "Apache is not running on the relay: start it ('systemctl start apache2', or 'apache2ctl start') and read /var/log/apache2/error.log if it stops again."
            : failures.Any(f => f.Contains("refused", StringComparison.Ordinal))
                ? "Nothing listens there on the relay: start Apache ('systemctl start apache2') and check its Listen directives."
                : $"The relay does not answer: check the VPS is up and its firewall (and the provider's) lets TCP {string.Join(", ", o.Ports)} in.";
        return Hop(o, TunnelHop.Relay, HopStatus.Fail, took, $"{address.Value} {string.Join("; ", failures)}", remedy);
    }

    private static TunnelPathHopResult CertificateHop(TunnelPathOptions o, Timed<HttpAnswer?> site)
    {
        if (!o.Https)
        {
            return Hop(o, TunnelHop.Certificate, HopStatus.Skipped, TimeSpan.Zero, "HTTP only (use -Https to check the certificate)");
        }
        var cert = site.Value?.Certificate;
        const string fix = "Check the certificate on the relay: 'apache2ctl -t -D DUMP_CERTS' or mod_md's status (https://<relay>/.httpd/certificate-status), or the files the site names.";
        if (cert is null)
        {
            return Hop(o, TunnelHop.Certificate, HopStatus.Fail, site.Elapsed, $"no certificate: {site.Value?.Error ?? site.Error}", fix);
        }
        double days = (cert.NotAfter.ToUniversalTime() - DateTime.UtcNow).TotalDays;
        string about = string.Create(CultureInfo.InvariantCulture, $"{cert.GetNameInfo(System.Security.Cryptography.X509Certificates.X509NameType.DnsName, false)}, issued by {cert.GetNameInfo(System.Security.Cryptography.X509Certificates.X509NameType.SimpleName, true)}, {days:0} days left");
        if ((site.Value!.CertificateErrors & System.Net.Security.SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return Hop(o, TunnelHop.Certificate, HopStatus.Fail, site.Elapsed, $"the certificate is not for {o.ServerName}: {about}", fix);
        }
        if (days < 0)
        {
            return Hop(o, TunnelHop.Certificate, HopStatus.Fail, site.Elapsed, $"the certificate expired: {about}", fix);
        }
        if ((site.Value.CertificateErrors & System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors) != 0 && !TrustedByGivenRoots(o, site.Value))
        {
            return Hop(o, TunnelHop.Certificate, HopStatus.Fail, site.Elapsed, $"the certificate is not trusted here: {about}", fix);
        }
        if (days < o.CertificateWarnDays)
        {
            return Hop(o, TunnelHop.Certificate, HopStatus.Warn, site.Elapsed, $"renewal is due: {about}", "mod_md renews 30 days before expiry by default: check 'MDRenewWindow' and the relay's error.log.");
        }
        return Hop(o, TunnelHop.Certificate, HopStatus.Pass, site.Elapsed, about);
    }

    private static TunnelPathHopResult ApacheHop(TunnelPathOptions o, Timed<RelaySeen>? relay, Timed<HttpAnswer?> site, Timed<HttpAnswer?> fallback)
    {
        string enable = $"Install the site: '$site | Install-ApacheProxySite -Session $relay' (or 'a2ensite {o.ServerName}.conf; apache2ctl graceful' on the relay).";
        bool defaultSite = site.Value is { Status: > 0 } s && fallback.Value is { Status: > 0 } f && s.Status == f.Status && s.Body == f.Body;
        TimeSpan httpTook = site.Elapsed > fallback.Elapsed ? site.Elapsed : fallback.Elapsed;
        if (relay is null)
        {
            return defaultSite
                ? Hop(o, TunnelHop.Apache, HopStatus.Fail, httpTook, $"the relay answers {o.ServerName} with its default site (judged over HTTP; give -RelaySession to look inside)", enable)
                : site.Value is { Status: > 0 }
                    ? Hop(o, TunnelHop.Apache, HopStatus.Pass, httpTook, "answers for the name, not with the default site (judged over HTTP)")
                    : Hop(o, TunnelHop.Apache, HopStatus.Skipped, httpTook, "no HTTP answer and no -RelaySession to look inside");
        }
        RelaySeen? facts = relay.Value;
        if (facts is null)
        {
            return Hop(o, TunnelHop.Apache, HopStatus.Fail, relay.Elapsed, $"could not look inside the relay: {relay.Error}", SessionRemedy(o, relay));
        }
        TimeSpan took = relay.Elapsed > httpTook ? relay.Elapsed : httpTook;
        if (!facts.Probe.ApacheRunning)
        {
            return Hop(o, TunnelHop.Apache, HopStatus.Fail, took, "Apache is not running on the relay", "Start it: 'systemctl start apache2' (or 'apache2ctl start'); /var/log/apache2/error.log says why it stopped.");
        }
        if (!facts.Probe.ApacheListingOk)
        {
            // What apache2ctl says may quote a line of any file the config includes: filtered like an error.
            string listing = HostText(facts.Probe.ApacheListing);
            return Hop(o, TunnelHop.Apache, HopStatus.Fail, took, $"apache2ctl -S failed: {FirstLine(listing)}", "Fix the relay's config ('apache2ctl configtest' says where), then 'apache2ctl graceful'.");
        }
        IReadOnlyList<VirtualHostSeen> vhosts = facts.Own.VirtualHosts;
        if (vhosts.Count == 0)
        {
            return Hop(o, TunnelHop.Apache, HopStatus.Fail, took, $"no enabled VirtualHost for {o.ServerName} (apache2ctl -S)", enable);
        }
        var portsServed = vhosts.Select(v => v.Port).Distinct().ToList();
        if (o.Https && !portsServed.Contains("443"))
        {
            return Hop(o, TunnelHop.Apache, HopStatus.Fail, took, $"{o.ServerName} has no VirtualHost on port 443 (only {string.Join(", ", portsServed)})", "Install the site with -Https.");
        }
        string file = facts.Own.SiteFile ?? string.Empty;
        if (string.IsNullOrEmpty(facts.Own.Backend))
        {
            return facts.Own.SiteWhy is { } why
                ? Hop(o, TunnelHop.Apache, HopStatus.Fail, took, HostText(why), "Fix the site's file on the relay, then 'apache2ctl configtest' and 'apache2ctl graceful'.")
                : Hop(o, TunnelHop.Apache, HopStatus.Fail, took, $"{file} has no ProxyPass to a backend", enable);
        }
        if (defaultSite)
        {
            return Hop(o, TunnelHop.Apache, HopStatus.Fail, took, $"{file} is enabled but the relay still answers {o.ServerName} with its default site", "Reload Apache on the relay: 'apache2ctl graceful'.");
        }
        return Hop(o, TunnelHop.Apache, HopStatus.Pass, took, $"{file} (port {string.Join(", ", portsServed)})");
    }

    private static TunnelPathHopResult TunnelStateHop(TunnelPathOptions o, Timed<RelaySeen>? relay, Timed<HomeProbeAnswer>? home)
    {
        if (relay is null)
        {
            return Hop(o, TunnelHop.Tunnel, HopStatus.Skipped, TimeSpan.Zero, "give -RelaySession to check the tunnel");
        }
        RelaySeen? facts = relay.Value;
        if (facts is null)
        {
            return Hop(o, TunnelHop.Tunnel, HopStatus.Skipped, relay.Elapsed, "the relay could not be asked (see Apache)");
        }
        TimeSpan took = relay.Elapsed;
        string ifName = o.InterfaceName;
        if (facts.Probe.WireGuard is not { } wg)
        {
            return Hop(o, TunnelHop.Tunnel, HopStatus.Fail, took, $"{ifName} is not up on the relay: {HostText(facts.Probe.WireGuardError)}",
                $"Bring it up: Install-WireGuardConfig -Session $relay, or 'wg-quick up {ifName}' on the relay.");
        }
        string backend = facts.Own.Backend ?? string.Empty;
        if (!Uri.TryCreate(backend, UriKind.Absolute, out Uri? backendUri) || !IPAddress.TryParse(backendUri.Host.Trim('[', ']'), out IPAddress? homeAddress))
        {
            return Hop(o, TunnelHop.Tunnel, HopStatus.Skipped, took, $"the site's backend ({(backend.Length > 0 ? backend : "none")}) is not a tunnel address");
        }
        var peers = TunnelPeerStatus.FromAgent(wg, o.Relay!.Name, ifName, facts.Probe.Now);
        TunnelPeerStatus? peer = peers.FirstOrDefault(p => p.Covers(homeAddress));
        if (peer is null)
        {
            return Hop(o, TunnelHop.Tunnel, HopStatus.Fail, took, $"no peer on the relay's {ifName} has AllowedIPs covering {homeAddress}",
                "Add the home peer to the relay's config (New-WireGuardConfig -For $relayPeer -Peer $homePeer | Install-WireGuardConfig -Session $relay).");
        }
        string who = peer.Name ?? peer.PublicKey[..8];
        long? relayUp = wg.UpSeconds;
        var (status, detail) = Judge(o, peer, $"relay sees {who}", relayUp);
        bool waiting = detail.Contains(WaitingText, StringComparison.Ordinal);
        string remedy = peer.HandshakeAge is null
            ? $"The home side never reached the relay: check its {ifName} is up, its Endpoint is the relay's public address and port, and that UDP {peer.ListenPort?.ToString(CultureInfo.InvariantCulture) ?? "port"} is open on the VPS firewall."
            : $"The home machine has not reached the relay for {peer.HandshakeAgeText.Replace(" ago", string.Empty, StringComparison.Ordinal)}: check it is on and online and its {ifName} is up; with PersistentKeepalive it comes back by itself once the path is open.";
        if (home is not null)
        {
            took = home.Elapsed > took ? home.Elapsed : took;
            HomeProbe? homeFacts = home.Value?.Probe;
            if (homeFacts is null)
            {
                detail += $"; home side not checked: {home.Error}";
            }
            else if (homeFacts.WireGuard is not { } homeWg)
            {
                return Hop(o, TunnelHop.Tunnel, HopStatus.Fail, took, $"{ifName} is not up on the home machine: {HostText(homeFacts.WireGuardError)}",
                    $"Bring it up on the home machine: 'wg-quick up {ifName}' (or Install-WireGuardConfig -Session $home).");
            }
            else
            {
                var homePeers = TunnelPeerStatus.FromAgent(homeWg, o.Home!.Name, ifName, homeFacts.Now);
                TunnelPeerStatus? relayPeer = homePeers.FirstOrDefault(p => p.PublicKey == peer.InterfacePublicKey);
                if (relayPeer is null)
                {
                    return Hop(o, TunnelHop.Tunnel, HopStatus.Fail, took, $"the home machine's {ifName} has no peer with the relay's key {peer.InterfacePublicKey[..8]}…",
                        "Install the home config made with the relay as its peer (New-WireGuardConfig -For $homePeer -Peer $relayPeer).");
                }
                long? homeUp = homeWg.UpSeconds;
                var (homeStatus, homeDetail) = Judge(o, relayPeer, "home sees the relay", homeUp);
                waiting |= homeDetail.Contains(WaitingText, StringComparison.Ordinal);
                detail += "; " + homeDetail;
                if (relayPeer.MovedEndpoint() is { } moved)
                {
                    // The relay's name points elsewhere now: WireGuard resolved it once and keeps sending to the old address.
                    // (The configured endpoint went through the module's wg parser: a name and a port, nothing else.)
                    detail += $"; home dials {HostText(moved.Name)}, which now resolves to {string.Join(", ", moved.Now)}, but the tunnel still sends to {moved.Live}";
                    homeStatus = homeStatus == HopStatus.Fail ? HopStatus.Fail : HopStatus.Warn;
                    remedy = $"The relay's name moved to another address. On systemd hosts HomeTunnel's watch follows it within 10 s; elsewhere, on the home machine: wg set {ifName} peer {relayPeer.PublicKey} endpoint {relayPeer.ConfiguredEndpoint}";
                }
                if (o.NatTimeoutSeconds is int nat && !TunnelNatTimeout.KeepaliveFits(relayPeer.PersistentKeepalive, nat))
                {
                    // Between two keepalives the NAT forgets the way home: the relay can answer only until then.
                    int advised = TunnelNatTimeout.RecommendFor(nat);
                    string keep = relayPeer.PersistentKeepalive is { } k ? $"{k} s" : "off";
                    detail += $"; PersistentKeepalive is {keep}, and the NAT forgets an idle mapping after about {nat} s";
                    homeStatus = homeStatus == HopStatus.Fail ? HopStatus.Fail : HopStatus.Warn;
                    remedy = $"Set PersistentKeepalive = {advised} on the home side (New-TunnelPeer -PersistentKeepalive {advised}, then install the home config), or at once on the home machine: wg set {ifName} peer {relayPeer.PublicKey} persistent-keepalive {advised}";
                }
                if (homeStatus > status)
                {
                    status = homeStatus;
                }
            }
        }
        if (waiting && status == HopStatus.Warn)
        {
            remedy = $"{ifName} came up moments ago (a boot, a restart): WireGuard's first handshake follows within seconds once both ends are up, and the home side retries by itself (PersistentKeepalive). Run the check again in a minute; if it still waits then, it is a failure.";
        }
        return Hop(o, TunnelHop.Tunnel, status, took, detail, remedy);
    }

    private const string WaitingText = "waiting for the first handshake";

    /// <summary>How long after an interface comes up its first handshake may still be on the way: a rekey (120 s) plus a keepalive (25 s).</summary>
    private static readonly TimeSpan FirstHandshakeWindow = TimeSpan.FromSeconds(150);

    private static (HopStatus, string) Judge(TunnelPathOptions o, TunnelPeerStatus peer, string who, long? upSeconds)
    {
        if (peer.HandshakeAge is not { } age)
        {
            return upSeconds is { } up && up >= 0 && up < FirstHandshakeWindow.TotalSeconds
                ? (HopStatus.Warn, $"{who}: {WaitingText} ({o.InterfaceName} up {up} s)")
                : (HopStatus.Fail, $"{who}: no handshake ever");
        }
        string bytes = $"{Size(peer.ReceivedBytes)} in, {Size(peer.SentBytes)} out";
        if (age > o.HandshakeFail)
        {
            return (HopStatus.Fail, $"{who}: last handshake {peer.HandshakeAgeText} (limit {o.HandshakeFail.TotalSeconds:0} s), {bytes}");
        }
        if (age > o.HandshakeWarn || peer.ReceivedBytes == 0)
        {
            return (HopStatus.Warn, $"{who}: last handshake {peer.HandshakeAgeText} (warn past {o.HandshakeWarn.TotalSeconds:0} s), {bytes}");
        }
        return (HopStatus.Pass, $"{who}: handshake {peer.HandshakeAgeText}, {bytes}");
    }

    private static TunnelPathHopResult HomeServiceHop(TunnelPathOptions o, Timed<RelaySeen>? relay, Timed<HomeProbeAnswer>? home)
    {
        RelaySeen? facts = relay?.Value;
        if (facts is null)
        {
            return Hop(o, TunnelHop.HomeService, HopStatus.Skipped, relay?.Elapsed ?? TimeSpan.Zero, relay is null ? "give -RelaySession to check from the relay" : "the relay could not be asked (see Apache)");
        }
        string backend = facts.Own.Backend ?? string.Empty;
        if (backend.Length == 0)
        {
            return Hop(o, TunnelHop.HomeService, HopStatus.Skipped, relay!.Elapsed, "the site names no backend (see Apache)");
        }
        string why = facts.Own.BackendError ?? string.Empty;
        if (why.Length == 0)
        {
            return Hop(o, TunnelHop.HomeService, HopStatus.Pass, relay!.Elapsed, $"{backend} answers from the relay");
        }
        var uri = new Uri(backend);
        if (HomeFirewallCloses(home?.Value?.Probe, uri.Port, "tcp"))
        {
            return Hop(o, TunnelHop.HomeService, HopStatus.Fail, relay!.Elapsed, $"the relay cannot reach {backend}: the home machine's firewall on the tunnel does not open tcp port {uri.Port}",
                $"Open it to the relay: '$site | Install-TunnelHomeFirewall -Session $home -RelayAddress <the relay's tunnel address>' (Publish-HomeService opens what it publishes).");
        }
        string remedy = why.Contains("refused", StringComparison.OrdinalIgnoreCase)
            ? $"Start the service on the home machine, listening on {uri.Host} (or 0.0.0.0) port {uri.Port}."
            : $"The home machine does not answer on port {uri.Port} over the tunnel: check the tunnel (above), and that its firewall lets the relay's tunnel address in.";
        return Hop(o, TunnelHop.HomeService, HopStatus.Fail, relay!.Elapsed, $"the relay cannot reach {backend}: {why}", remedy);
    }

    /// <summary>Whether HomeTunnel's firewall is loaded on the home machine and opens no range holding this port.</summary>
    private static bool HomeFirewallCloses(HomeProbe? homeFacts, int port, string protocol)
    {
        if (homeFacts is null || !homeFacts.Firewall.Loaded)
        {
            return false;
        }
        foreach (string key in homeFacts.Firewall.Openings)
        {
            // "tcp-3000.wg0" (an interface's opening); "fence.wg0" is no opening and "tcp-3000" an older host's key.
            string[] p = key.Split('.', 2)[0].Split('-');
            if (p.Length >= 2 && p[0] == protocol && int.TryParse(p[1], out int from) && int.TryParse(p[^1], out int to) && port >= from && port <= to)
            {
                return false;
            }
        }
        return true;
    }

    private static TunnelPathHopResult ForwardHop(TunnelPathOptions o, HomeTunnel.Forwards.TunnelPortForward f, Timed<string?> probe, RelaySeen? relayFacts, HomeProbe? homeFacts)
    {
        string what = $"{f.Protocol.ToString().ToLowerInvariant()} {f.PublicPorts} -> {f.Address}:{f.HomePorts}";
        string? why = probe.Error ?? probe.Value;
        if (why is null)
        {
            return Hop(o, TunnelHop.Forward, HopStatus.Pass, probe.Elapsed, $"{what}: {(f.Protocol == HomeTunnel.Forwards.ForwardProtocol.Tcp ? "connects" : "answers")} through the relay");
        }
        // From outside it fails; the relay's own view says where (given -RelaySession).
        RelayForwardsSeen? seen = relayFacts?.Probe.Forwards;
        if (seen is not null && !seen.Live.Contains(f.Key))
        {
            return Hop(o, TunnelHop.Forward, HopStatus.Fail, probe.Elapsed, $"{what}: {why}; the relay has no rule for {f.Key} in HomeTunnel's table",
                $"Install it: '$forward | Install-TunnelPortForward -Session $relay' (a relay that rebooted without hometunnel-forwards.service loses it too).");
        }
        string proto = f.Protocol.ToString().ToLowerInvariant();
        if (HomeFirewallCloses(homeFacts, f.Port, proto))
        {
            return Hop(o, TunnelHop.Forward, HopStatus.Fail, probe.Elapsed, $"{what}: {why}; the home machine's firewall on the tunnel does not open {proto} port {f.Port}",
                "Open it: '$forward | Install-TunnelHomeFirewall -Session $home -RelayAddress <the relay's tunnel address>' (Publish-HomeService opens what it publishes).");
        }
        string homeWhy = seen is not null && seen.Answers.TryGetValue(f.Key, out string? answered) ? answered ?? string.Empty : string.Empty;
        if (homeWhy.Length > 0)
        {
            return Hop(o, TunnelHop.Forward, HopStatus.Fail, probe.Elapsed, $"{what}: {why}; the rule is loaded, but the relay cannot reach {f.Address}:{f.Port} either: {homeWhy}",
                $"Start the service on the home machine, listening on {f.Address} (or 0.0.0.0) port {f.Port}, and check the Tunnel hop.");
        }
        string remedy = f.Protocol == HomeTunnel.Forwards.ForwardProtocol.Udp
            ? $"Check that the forward is installed (Install-TunnelPortForward), the tunnel passes, and the service at {f.Address}:{f.Port} answers the request this check sends (-UdpRequest); a UDP service that answers nothing cannot be seen from outside."
            : $"Check that the forward is installed (Install-TunnelPortForward -Session $relay), the tunnel passes, and something listens at {f.Address}:{f.Port} on the home machine.";
        return Hop(o, TunnelHop.Forward, HopStatus.Fail, probe.Elapsed, $"{what}: {why}", remedy);
    }

    private static TunnelPathHopResult EndToEndHop(TunnelPathOptions o, Timed<HttpAnswer?> site, Timed<HttpAnswer?> fallback)
    {
        string url = $"{(o.Https ? "https" : "http")}://{o.ServerName}{o.UrlPath}";
        HttpAnswer? a = site.Value;
        if (a is null || a.Status == 0)
        {
            return Hop(o, TunnelHop.EndToEnd, HopStatus.Fail, site.Elapsed, $"GET {url}: {a?.Error ?? site.Error ?? "no relay address"}", "See the first failing hop above.");
        }
        if (a.Status is 502 or 503 or 504)
        {
            return Hop(o, TunnelHop.EndToEnd, HopStatus.Fail, site.Elapsed, $"GET {url}: {a.Status} from the relay: Apache could not reach the home service",
                "Check the Tunnel and HomeService hops; the relay's /var/log/apache2/error.log names the proxy error.");
        }
        if (fallback.Value is { Status: > 0 } f && f.Status == a.Status && f.Body == a.Body)
        {
            return Hop(o, TunnelHop.EndToEnd, HopStatus.Fail, site.Elapsed, $"GET {url}: {a.Status}, but it is the relay's default site", "See the Apache hop.");
        }
        string forwarded = a.Body.Contains("X-Forwarded-For", StringComparison.OrdinalIgnoreCase) ? ", X-Forwarded-For reached the app" : string.Empty;
        // A site behind a door (-AllowFrom, basic auth) answers a stranger 403 or 401 itself: the path up to the
        // door works, and the HomeService hop looked behind it from the relay.
        string door = a.Status is 401 or 403 ? " (the site's door answered; the HomeService hop checks behind it)" : string.Empty;
        string detail = $"GET {url}: {a.Status}, {Size(System.Text.Encoding.UTF8.GetByteCount(a.Body))}{forwarded}{door}";
        return a.Status >= 500
            ? Hop(o, TunnelHop.EndToEnd, HopStatus.Warn, site.Elapsed, detail + " (the home service reports an error)", "The path works; the home service itself answers with an error.")
            : Hop(o, TunnelHop.EndToEnd, HopStatus.Pass, site.Elapsed, detail);
    }

    // ------------------------------------------------------------------ helpers

    private static bool TrustedByGivenRoots(TunnelPathOptions o, HttpAnswer answer)
    {
        if (o.TrustedRoots is not { Count: > 0 } roots || answer.Certificate is null)
        {
            return false;
        }
        using var chain = new System.Security.Cryptography.X509Certificates.X509Chain();
        chain.ChainPolicy.TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck;
        foreach (var c in answer.Chain)
        {
            chain.ChainPolicy.ExtraStore.Add(c);
        }
        return chain.Build(answer.Certificate);
    }

    /// <summary>The fix-it for a relay that could not be asked, chosen by the error's id (never by its words).</summary>
    private static string SessionRemedy(TunnelPathOptions o, Timed<RelaySeen> relay)
    {
        string? id = relay.ErrorId;
        if (id == DeadlineId)
        {
            return "The relay did not answer in time: check it is up and reachable over SSH.";
        }
        string host = o.Relay?.Name ?? "the relay";
        return Remedies.For(id, host) ?? $"Check the session to {host}: run 'ssh {host}' to see why it fails.";
    }

    /// <summary>Text a host's tool printed, made fit for a hop's detail (and the scheduled check's log).</summary>
    private static string HostText(string? value) => Redaction.ForError(value ?? string.Empty, Array.Empty<string>(), Array.Empty<string>());

    private static string FirstLine(string text) => text.Split('\n').FirstOrDefault(l => l.Trim().Length > 0)?.Trim() ?? string.Empty;

    private static string Size(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:0.#} MiB"),
    };
}
