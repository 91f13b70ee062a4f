using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Threading;
using HomeTunnel.Apache;
using HomeTunnel.Hosts;
using HomeTunnel.Probes;
using HomeTunnel.WireGuard;

namespace HomeTunnel.Cmdlets;

/// <summary>What Publish-HomeService did: the changes on each host, and the path check after them.</summary>
public sealed class PublishedHomeService
{
    public string ServerName { get; init; } = string.Empty;

    /// <summary>The relay it was published through (one result per relay), and the home machine's interface to it.</summary>
    public string Relay { get; init; } = string.Empty;
    public string InterfaceName { get; init; } = string.Empty;
    public string Url { get; init; } = string.Empty;
    public string PeerFile { get; init; } = string.Empty;

    /// <summary>Each step's result; in JSON as Steps (one line each), the objects being too deep for its default depth.</summary>
    [Newtonsoft.Json.JsonIgnore, Hidden]
    public IReadOnlyList<HostChangeResult> Changes { get; init; } = Array.Empty<HostChangeResult>();

    /// <summary>The path check; in JSON as Status, FailedHop and Remedy.</summary>
    [Newtonsoft.Json.JsonIgnore, Hidden]
    public TunnelPathResult? Path { get; init; }
    public HopStatus? Status => Path?.Status;
    public TunnelHop? FailedHop => Path?.FailedHop;
    public string? Remedy => Path?.Remedy;

    /// <summary>With -Mtu Auto: the MTU measured once the tunnel was up (the tunnel MTU was lowered to its RecommendedMtu where it was above).</summary>
    public TunnelMtu? Mtu { get; init; }

    /// <summary>With -DnsKey: the name's records as the zone has them after Publish set them to every relay.</summary>
    public HomeTunnel.DnsUpdate.TunnelDnsRecord? Dns { get; init; }

    /// <summary>"host kind name: State" for each step, in order.</summary>
    public string[] Steps => Changes.Select(c => c.ToString()).ToArray();

    public override string ToString() => $"{Url} via {Relay} {Status}";
}

/// <summary>
/// The whole setup in one call: makes (or reuses, from a 0600 peer file) the relay and home peers, installs
/// both WireGuard ends and the Apache site, then checks the path with Test-TunnelPath.
/// </summary>
[Cmdlet(VerbsData.Publish, "HomeService", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(PublishedHomeService))]
public sealed class PublishHomeServiceCommand : RelayHomeCmdlet
{
    /// <summary>
    /// The relay, or several: the service is published through each, the home machine keeping one tunnel per relay (its own
    /// interface, keys and subnet: wg0, wg1, … on 192.168.4.0/24, 192.168.5.0/24, …) and each relay serving the same site.
    /// </summary>
    [Parameter(Mandatory = true)]
    public PSSession[] RelaySession { get; set; } = Array.Empty<PSSession>();

    private PSSession _relay = null!;

    protected override PSSession Relay => _relay;

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    public string ServerName { get; set; } = string.Empty;

    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateRange(1, 65535)]
    public int Port { get; set; }

    /// <summary>The relay's public name or address the home side dials; the relay session's host by default.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? RelayEndpoint { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? PeerFile { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string HomeName { get; set; } = "home";

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string RelayTunnelAddress { get; set; } = "192.168.4.1/24";

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? HomeTunnelAddress { get; set; }

    [Parameter]
    [ValidateRange(1, 65535)]
    public int ListenPort { get; set; } = 51820;

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(InterfaceNameCompleter))]
    public string InterfaceName { get; set; } = "wg0";

    [Parameter]
    public SwitchParameter Https { get; set; }

    /// <summary>
    /// With -Https: how the ACME CA checks the name. Dns01 has every relay's hook write the TXT record into the zone on
    /// -DnsServer with -DnsKey/-DnsKeyFile, so each relay gets its certificate whichever relay the name points at.
    /// </summary>
    [Parameter]
    [StrictEnum(typeof(HomeTunnel.Apache.AcmeChallenge))]
    public HomeTunnel.Apache.AcmeChallenge AcmeChallenge { get; set; } = HomeTunnel.Apache.AcmeChallenge.Http01;

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? DnsServer { get; set; }

    /// <summary>
    /// Ports of the relay forwarded into the tunnel to the home peer as well, for what is not a web site:
    /// hashtables with Protocol, PublicPort and (optionally) Port, as New-TunnelPortForward takes them.
    /// </summary>
    [Parameter]
    [ValidateNotNull]
    public System.Collections.Hashtable[]? Forward { get; set; }

    /// <summary>Only these client networks reach the site (New-ApacheProxySite -AllowFrom).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? AllowFrom { get; set; }

    /// <summary>Take an -AllowFrom list that lets every address in (0.0.0.0/0, ::/0): without it such a list is refused as no door.</summary>
    [Parameter]
    public SwitchParameter AllowEveryone { get; set; }

    /// <summary>Take a door's password shorter than 12 characters (New-ApacheProxySite -AllowWeakPassword).</summary>
    [Parameter]
    public SwitchParameter AllowWeakPassword { get; set; }

    /// <summary>The user and password a visitor must give (New-ApacheProxySite -Credential).</summary>
    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>How long to wait for the new path to pass (the first handshake takes a moment).</summary>
    [Parameter]
    [ValidateRange(0, 600)]
    public int WaitSeconds { get; set; } = 30;

    /// <summary>
    /// The tunnel's MTU on both ends: a number (576 to 9000), or Auto to measure the path once the tunnel is up
    /// (Measure-TunnelMtu) and lower the MTU on both ends when the path needs it. Recorded in the peer file.
    /// </summary>
    [Parameter]
    [ArgumentCompleter(typeof(MtuCompleter))]
    public string? Mtu { get; set; }

    /// <summary>
    /// The zone's TSIG key (a credential: key name and base64 secret): the name's A/AAAA records are set to every relay's
    /// public address on -DnsServer, the zone's primary server, before the path check (Set-TunnelDnsRecord).
    /// </summary>
    [Parameter]
    [Credential]
    public PSCredential? DnsKey { get; set; }

    /// <summary>The zone's TSIG key as a bind key file readable by its owner only (instead of -DnsKey).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? DnsKeyFile { get; set; }

    private HomeTunnel.DnsUpdate.TunnelDnsRecord? _dns;

    /// <summary>The zone on -DnsServer, its editor and the key: found once per run, for the records and for DNS-01 alike.</summary>
    private (HomeTunnel.DnsUpdate.DnsZoneEditor Editor, string Zone, HomeTunnel.DnsUpdate.TsigKey Key)? _zone;

    /// <summary>The zone that holds the name (its SOA on -DnsServer), read before any host changes; <paramref name="forWhat"/> names the need in the errors.</summary>
    private (HomeTunnel.DnsUpdate.DnsZoneEditor Editor, string Zone, HomeTunnel.DnsUpdate.TsigKey Key) Zone(string name, string forWhat)
    {
        if (_zone is { } known)
        {
            return known;
        }
        HomeTunnel.DnsUpdate.TsigKey key = HomeTunnel.DnsUpdate.TsigKey.FromParameters(DnsKey, DnsKeyFile, HomeTunnel.DnsUpdate.TsigAlgorithm.HmacSha256, FileSystemPath)
            ?? throw HomeTunnelException.Invalid("DnsKeyRequired", $"{forWhat} needs the zone's TSIG key: give -DnsKey (a credential) or -DnsKeyFile (a bind key file).", "DnsKey");
        if (DnsServer is null)
        {
            throw HomeTunnelException.Invalid("DnsServerRequired", $"{forWhat} needs -DnsServer, the zone's primary server.", "DnsServer");
        }
        var editor = new HomeTunnel.DnsUpdate.DnsZoneEditor(DnsProbe.ParseServer(DnsServer), key, TimeSpan.FromSeconds(5));
        _zone = (editor, editor.FindZone(name, StopToken), key);
        return _zone.Value;
    }

    /// <summary>-AcmeChallenge Dns01: the server, zone and key every relay's hook uses (null for HTTP-01).</summary>
    private (string Server, string Zone, HomeTunnel.DnsUpdate.TsigKey Key)? AcmeDns(string name)
    {
        if (AcmeChallenge != HomeTunnel.Apache.AcmeChallenge.Dns01)
        {
            return null;
        }
        if (!Https)
        {
            throw HomeTunnelException.Invalid("AcmeChallengeNeedsAcme", "-AcmeChallenge Dns01 is how an HTTPS site's ACME certificate is obtained; add -Https.", AcmeChallenge);
        }
        var (_, zone, key) = Zone(name, "-AcmeChallenge Dns01 (the relays' hook)");
        return (DnsServer!, zone, key);
    }

    protected override void Process()
    {
        // No silent default: the home machine is a session, or this machine said out loud.
        RequireHome();
        if (RelaySession.Length == 0 || RelaySession.Any(r => r is null))
        {
            throw HomeTunnelException.Invalid("HostRequired", "Give the relay as -RelaySession (one PSSession, or several).", "RelaySession");
        }
        string ifBase = Checks.InterfaceName(InterfaceName);
        if (RelaySession.Length > 1)
        {
            if (RelayEndpoint is not null || HomeTunnelAddress is not null)
            {
                throw HomeTunnelException.Invalid("RelayOptionForOne",
                    "-RelayEndpoint and -HomeTunnelAddress name one relay's; with several relays each is reached at its session's address and the home machine takes the next free address of each relay's subnet.",
                    RelayEndpoint ?? HomeTunnelAddress);
            }
            if (RelaySession.Select(r => r.ComputerName).Distinct(StringComparer.OrdinalIgnoreCase).Count() != RelaySession.Length)
            {
                throw HomeTunnelException.Invalid("RelayGivenTwice", "The same relay is given twice in -RelaySession.", string.Join(", ", RelaySession.Select(r => r.ComputerName)));
            }
        }
        // Every relay's interface, subnet and peer file, decided (and checked) before any host is touched.
        var plan = RelaySession.Select((r, i) => (Relay: r, If: i == 0 ? ifBase : MultiRelay.Interface(ifBase, i),
            Tunnel: i == 0 ? RelayTunnelAddress : MultiRelay.Subnet(RelayTunnelAddress, i),
            PeerFile: i == 0 || PeerFile is null ? PeerFile : MultiRelay.PeerFile(FileSystemPath(PeerFile), r.ComputerName))).ToArray();
        // Every relay prepared and checked before any host (or the zone) changes: a bad value for the second relay
        // leaves the first as it was.
        _zone = null;
        var prepared = new List<(PSSession Relay, Action Apply)>();
        foreach (var one in plan)
        {
            _relay = one.Relay;
            prepared.Add((one.Relay, PrepareOne(one.If, one.Tunnel, one.PeerFile)));
        }
        if (DnsKey is not null || DnsKeyFile is not null)
        {
            _dns = SetDnsRecords(plan.Select(p => p.Relay).ToArray());
        }
        // Once, however many relays: every relay's site has the same door.
        NewApacheProxySiteCommand.WarnWeak(this, AllowWeakPassword, Credential?.UserName, Credential?.Password);
        foreach (var (relay, apply) in prepared)
        {
            _relay = relay;
            apply();
        }
    }

    /// <summary>-DnsKey: the name points at every relay's public address (one signed update; Set-TunnelDnsRecord's rules).</summary>
    private HomeTunnel.DnsUpdate.TunnelDnsRecord? SetDnsRecords(PSSession[] relays)
    {
        string name = DnsName.Normalize(ServerName, "ServerName", "ServerName");
        var (editor, zone, _) = Zone(name, "Writing the name's records");
        var addresses = relays.Select(r => RelayPublicAddress(r, RelayEndpoint ?? r.ComputerName))
            .Distinct().OrderBy(a => a.ToString(), StringComparer.Ordinal).ToArray();
        return HomeTunnel.DnsUpdate.DnsRecordChange.Apply(this, editor, zone, name,
            _ => new HomeTunnel.DnsUpdate.DnsNameState(name, addresses, null, 60, Owned: true), force: false, "Set", StopToken);
    }

    /// <summary>
    /// Everything for one relay made and validated (peers, configs, site, openings, the setup check), touching no host;
    /// the returned action applies it. Publish prepares every relay before it changes any.
    /// </summary>
    private Action PrepareOne(string ifName, string relayTunnelAddress, string? peerFile)
    {
        string name = DnsName.Normalize(ServerName, "ServerName", "ServerName");
        string endpoint = RelayEndpoint ?? Relay.ComputerName;
        string path = FileSystemPath(peerFile ?? TunnelPeerBook.DefaultPath(Relay.ComputerName));
        (bool mtuAuto, int? mtuValue) = ParseMtu(Mtu);
        // -Mtu Auto pings the relay's public address from home: an IPv4 address, known before anything is changed.
        System.Net.IPAddress? relayIp = mtuAuto ? RelayPublicAddress(Relay, endpoint) : null;

        // Everything is made and validated before any host is touched.
        TunnelPeerBook book = TunnelPeerBook.OpenOrCreate(path, endpoint, relayTunnelAddress, ListenPort);
        TunnelPeer homePeer = book.Home(HomeName, HomeTunnelAddress);
        if (mtuValue is int chosenMtu)
        {
            homePeer = SetMtu(book, homePeer, chosenMtu);
        }
        WireGuardConfig relayConfig = WireGuardConfig.Create(book.Relay, book.Homes);
        // Each forward and home opening records on its host that this service holds it: Unpublish takes exactly those.
        var forwards = (Forward ?? Array.Empty<System.Collections.Hashtable>()).Select(h => ForwardFrom(h, homePeer, ifName).PublishedBy(name)).ToArray();
        // A forward that keeps the visitor's address needs the home side's return route.
        WireGuardConfig homeConfig = WireGuardConfig.Create(homePeer, new[] { book.Relay }, forwards.Any(f => f.PreserveClientAddress));
        var acme = AcmeDns(name);
        ApacheProxySite site = ApacheProxySite.Create(new ApacheSiteSpec
        {
            ServerName = name,
            Address = homePeer.AddressValue.IP.ToString(),
            Port = Port,
            Https = Https,
            AcmeChallenge = acme is null ? null : HomeTunnel.Apache.AcmeChallenge.Dns01,
            AcmeDnsServer = acme?.Server,
            AcmeDnsZone = acme?.Zone,
            AcmeDnsKey = acme?.Key,
            AllowFrom = AllowFrom,
            AllowEveryone = AllowEveryone,
            BasicAuthUser = Credential?.UserName,
            BasicAuthPassword = Credential?.Password,
            AllowWeakPassword = AllowWeakPassword,
        });
        // The home machine's firewall on the tunnel opens exactly what is published, to the relay's tunnel address.
        var openings = forwards.Select(f => HomeTunnel.Forwards.HomePortOpening.ForForward(f, book.Relay.AddressValue.IP, name))
            .Prepend(HomeTunnel.Forwards.HomePortOpening.ForSite(site, book.Relay.AddressValue.IP, ifName, name))
            .GroupBy(o => o.Key).Select(g => g.OrderBy(o => o.Source is null ? 0 : 1).First()).ToArray();
        var findings = TunnelConfigChecker.Check(book.Peers, new[] { relayConfig, homeConfig }, new[] { site })
            .Where(f => f.Severity == FindingSeverity.Error).ToList();
        if (findings.Count > 0)
        {
            throw HomeTunnelException.Invalid(findings[0].Check, $"The setup would not work: {findings[0].Message}", findings[0].Target);
        }

        return () =>
        {
            // -WhatIf previews every step; a No at the prompt does nothing at all (not a step, not the peer file).
            bool whatIf = IsPreviewing(this);
            if (!ShouldProcess(BothHosts,
                $"Publish {name} (port {Port}) through relay {endpoint}") && !whatIf)
            {
                return;
            }
            if (book.Changed && !whatIf)
            {
                book.Save();
                WriteVerbose($"Saved the peers (with private keys, mode 0600) to {path}.");
            }

            var changes = new List<HostChangeResult>();
            var core = new HostApply(this, StopToken, throttle: 2, force: false);
            // The relay config installed in the first step is the relay's own too: its port and its peers count for the
            // steps after it, also under -WhatIf on a relay that has none yet.
            var planned = new HomeTunnel.Forwards.PlannedRelay(ifName,
                book.Relay.ListenPort is int lp ? new[] { new HomeTunnel.Forwards.RelayPortUse(HomeTunnel.Forwards.ForwardProtocol.Udp, lp, $"WireGuard {ifName}") } : Array.Empty<HomeTunnel.Forwards.RelayPortUse>(),
                homePeer.AddressValues.Select(a => a.HostRoute).ToArray());
            var steps = new (HostChange Change, PSSession? Session)[]
            {
                (HostChange.WireGuard(relayConfig, ifName, $"Install WireGuard config {ifName} ({relayConfig.Peers.Count} peer(s))"), Relay),
                // Fenced before the tunnel comes up: a relay that is broken into reaches only what is published.
                (HostChange.HomeFirewall(openings, ifName, uninstall: false, all: false, $"Install the home firewall on {ifName} opening {string.Join(", ", openings.Select(o => o.Key))}"), HomeSession),
                (HostChange.WireGuard(homeConfig, ifName, $"Install WireGuard config {ifName} ({homeConfig.Peers.Count} peer(s))"), HomeSession),
                (HostChange.Apache(new[] { site }, uninstall: false, $"Install Apache proxy site {name}", planned), Relay),
            };
            if (forwards.Length > 0)
            {
                steps = steps.Append((HostChange.Forward(forwards, uninstall: false, $"Install port forward(s) {string.Join(", ", forwards.Select(f => f.ToString()))}", planned), (PSSession?)Relay)).ToArray();
            }
            if (!core.RunSteps(steps, ask: whatIf, $"Publish {name}", changes))
            {
                return;
            }
            if (whatIf)
            {
                return;
            }
            WriteProgress(new ProgressRecord(2, $"Publish {name}", "Waiting for the path to pass") { PercentComplete = steps.Length * 100 / (steps.Length + 1) });
            TunnelPathResult result = CheckPath(name, ifName);
            TunnelMtu? measured = null;
            if (mtuAuto)
            {
                (measured, result) = FitMtu(book, homePeer, forwards.Any(f => f.PreserveClientAddress), relayIp!, name, ifName, core, changes, result);
            }
            WriteProgress(new ProgressRecord(2, $"Publish {name}", "Done") { RecordType = ProgressRecordType.Completed });
            WriteObject(new PublishedHomeService
            {
                ServerName = name,
                Relay = Relay.ComputerName,
                InterfaceName = ifName,
                Url = $"{(Https ? "https" : "http")}://{name}/",
                PeerFile = path,
                Changes = changes,
                Path = result,
                Mtu = measured,
                Dns = _dns,
            });
        };
    }

    /// <summary>-Mtu: Auto, a number, or nothing.</summary>
    internal static (bool Auto, int? Value) ParseMtu(string? text)
    {
        if (text is null)
        {
            return (false, null);
        }
        if (string.Equals(text.Trim(), "Auto", StringComparison.OrdinalIgnoreCase))
        {
            return (true, null);
        }
        if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int value))
        {
            return (false, Checks.Mtu(value));
        }
        throw HomeTunnelException.Invalid("MtuInvalid", $"-Mtu '{text}' is neither Auto nor a number of bytes (576 to 9000).", text);
    }

    /// <summary>The relay's public IPv4 address for -Mtu Auto's path pings: the endpoint or session address, or what its name resolves to here.</summary>
    private static System.Net.IPAddress RelayPublicAddress(PSSession relay, string endpoint)
    {
        foreach (string candidate in new[] { endpoint, relay.ComputerName })
        {
            if (IPText.TryParse(candidate, out System.Net.IPAddress ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
            {
                return ip;
            }
        }
        try
        {
            var found = System.Net.Dns.GetHostAddresses(endpoint).FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork);
            if (found is not null)
            {
                return found;
            }
        }
        catch (System.Net.Sockets.SocketException)
        {
            // said below
        }
        throw HomeTunnelException.Invalid("RelayAddressInvalid", $"-Mtu Auto pings the relay's public IPv4 address, and '{endpoint}' is none and resolves to none here: give -RelayEndpoint as an IPv4 address, or -Mtu as a number.", endpoint);
    }

    /// <summary>Both ends' MTU in the book: the home peer's, and the relay's where it is larger (the relay's interface serves every home).</summary>
    private static TunnelPeer SetMtu(TunnelPeerBook book, TunnelPeer homePeer, int mtu)
    {
        TunnelPeer updated = homePeer.WithMtu(mtu);
        if (updated.Mtu != homePeer.Mtu)
        {
            book.Replace(homePeer, updated);
        }
        if (book.Relay.Mtu is not int relayMtu || relayMtu > mtu)
        {
            book.Replace(book.Relay, book.Relay.WithMtu(mtu));
        }
        return updated;
    }

    /// <summary>
    /// -Mtu Auto once the tunnel is up: measures the path (Measure-TunnelMtu); where the tunnel's MTU is above what the path
    /// takes, sets the recommended MTU on both ends (the file and the live interface: no restart) and checks the path again.
    /// </summary>
    private (TunnelMtu? Measured, TunnelPathResult Result) FitMtu(TunnelPeerBook book, TunnelPeer homePeer, bool preserveClientAddress,
        System.Net.IPAddress relayIp, string name, string ifName, HostApply core, List<HostChangeResult> changes, TunnelPathResult result)
    {
        if (result.Hops.FirstOrDefault(h => h.Hop == TunnelHop.Tunnel) is not { Status: not HopStatus.Fail })
        {
            WriteWarning($"The MTU was not measured: the tunnel does not pass ({result.FailedHop}). Measure it with Measure-TunnelMtu once it does.");
            return (null, result);
        }
        TunnelMtu measured;
        using (HostPair hosts = new(HostTarget.FromSession(Relay), HomeSession is null ? HostTarget.Local() : HostTarget.FromSession(HomeSession)))
        {
            measured = MeasureTunnelMtuCommand.Measure(this, hosts, ifName, relayIp, StopToken);
        }
        WriteVerbose($"MTU: {measured.Detail}.");
        if (measured.Status != HopStatus.Warn || measured.RecommendedMtu >= measured.InterfaceMtu || measured.RecommendedMtu < 576)
        {
            if (measured.Status == HopStatus.Fail)
            {
                WriteWarning($"The MTU could not be measured: {measured.Detail}.");
            }
            return (measured, result);
        }
        TunnelPeer fitted = SetMtu(book, homePeer, measured.RecommendedMtu);
        book.Save();
        WriteVerbose($"Saved the peers with MTU {measured.RecommendedMtu} to {book.Path}.");
        WireGuardConfig relayConfig = WireGuardConfig.Create(book.Relay, book.Homes);
        WireGuardConfig homeConfig = WireGuardConfig.Create(fitted, new[] { book.Relay }, preserveClientAddress);
        var steps = new (HostChange Change, PSSession? Session)[]
        {
            (HostChange.WireGuard(relayConfig, ifName, $"Set MTU {measured.RecommendedMtu} on WireGuard {ifName}"), Relay),
            (HostChange.WireGuard(homeConfig, ifName, $"Set MTU {measured.RecommendedMtu} on WireGuard {ifName}"), HomeSession),
        };
        if (!core.RunSteps(steps, ask: false, $"Publish {name}", changes))
        {
            return (measured, result);
        }
        return (measured, CheckPath(name, ifName));
    }

    internal static HomeTunnel.Forwards.TunnelPortForward ForwardFrom(System.Collections.Hashtable h, TunnelPeer homePeer, string ifName)
    {
        string? Get(string key) => h.Keys.Cast<object>().FirstOrDefault(k => string.Equals(k?.ToString(), key, StringComparison.OrdinalIgnoreCase)) is { } k ? h[k]?.ToString() : null;
        var unknown = h.Keys.Cast<object>().Select(k => k?.ToString() ?? string.Empty)
            .FirstOrDefault(k => !new[] { "Protocol", "PublicPort", "Port", "PreserveClientAddress" }.Contains(k, StringComparer.OrdinalIgnoreCase));
        if (unknown is not null)
        {
            throw HomeTunnelException.Invalid("ForwardPropertyUnknown", $"'{unknown}' is not a forward property; use Protocol, PublicPort, Port and PreserveClientAddress.", unknown);
        }
        bool preserve = Get("PreserveClientAddress") is { } keep && (bool.TryParse(keep, out bool b) ? b
            : throw HomeTunnelException.Invalid("ForwardPropertyWrongType", $"PreserveClientAddress '{keep}' is not $true or $false.", keep));
        HomeTunnel.Forwards.ForwardProtocol protocol = Checks.EnumName<HomeTunnel.Forwards.ForwardProtocol>(Get("Protocol"), "Protocol", "ForwardProtocolInvalid");
        return HomeTunnel.Forwards.TunnelPortForward.Create(protocol, Get("PublicPort") ?? string.Empty, Get("Port"), homePeer.AddressValue.IP, homePeer.Name, ifName, preserve);
    }

    /// <summary>Checks the new path until it passes (the first handshake takes a moment) or WaitSeconds run out; Ctrl+C ends the wait.</summary>
    private TunnelPathResult CheckPath(string name, string ifName)
    {
        var deadline = DateTime.UtcNow.AddSeconds(WaitSeconds);
        var dns = DnsServer is null ? null : DnsProbe.ParseServer(DnsServer);
        while (true)
        {
            var options = new TunnelPathOptions
            {
                ServerName = name,
                DnsServer = dns,
                Ports = Https ? new[] { 80, 443 } : new[] { 80 },
                Https = Https,
                InterfaceName = ifName,
                Relay = ProbeHost.FromSession(Relay),
                Home = HomeSession is null ? ProbeHost.Local() : ProbeHost.FromSession(HomeSession),
            };
            TunnelPathResult result = TunnelPathChecker.Check(options, StopToken);
            if (result.Status != HopStatus.Fail || DateTime.UtcNow >= deadline || StopToken.IsCancellationRequested)
            {
                WriteVerbose($"The path to {name}: {result.Status}{(result.FailedHop is { } f ? $" at {f}" : string.Empty)}.");
                return result;
            }
            WriteVerbose($"The path does not pass yet ({result.FailedHop}: {result.Hops.FirstOrDefault(h => h.Hop == result.FailedHop)?.Detail}); checking again.");
            StopToken.WaitHandle.WaitOne(TimeSpan.FromSeconds(1));
        }
    }
}

/// <summary>-Mtu's values: Auto, and the MTUs of common lines (WireGuard's default, PPPoE's, IPv6's minimum).</summary>
public sealed class MtuCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        System.Management.Automation.Language.CommandAst commandAst, System.Collections.IDictionary fakeBoundParameters) =>
        new[] { "Auto", "1420", "1412", "1280" }.Where(v => v.StartsWith(wordToComplete ?? string.Empty, StringComparison.OrdinalIgnoreCase))
            .Select(v => new CompletionResult(v, v, CompletionResultType.ParameterValue, v == "Auto" ? "measure the path once the tunnel is up" : $"{v} bytes"));
}
