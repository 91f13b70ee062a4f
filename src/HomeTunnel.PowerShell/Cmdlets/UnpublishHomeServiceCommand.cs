using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using HomeTunnel.Apache;
using HomeTunnel.Forwards;
using HomeTunnel.Hosts;
using HomeTunnel.WireGuard;

namespace HomeTunnel.Cmdlets;

/// <summary>
/// The exact inverse of Publish-HomeService: the site on the relay, the forwards named, the home firewall's
/// openings for them, and — when it was the home machine's last site — its peer on the relay, its config, its
/// firewall and its entry in the peer file. Nothing else: other sites, peers, tables and files stay as they are.
/// </summary>
[Cmdlet(VerbsData.Unpublish, "HomeService", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(HostChangeResult))]
public sealed class UnpublishHomeServiceCommand : HomeTunnelCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string ServerName { get; set; } = string.Empty;

    [Parameter(Mandatory = true)]
    public PSSession RelaySession { get; set; } = null!;

    [Parameter]
    public PSSession? HomeSession { get; set; }

    /// <summary>The home machine is this one, said out loud (there is no default).</summary>
    [Parameter]
    public SwitchParameter LocalHome { get; set; }

    /// <summary>The peer file Publish-HomeService used (default: ~/.hometunnel/&lt;relay&gt;.peers.json).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? PeerFile { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string HomeName { get; set; } = "home";

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string InterfaceName { get; set; } = "wg0";

    /// <summary>The forwards published with the site, as Publish-HomeService -Forward took them.</summary>
    [Parameter]
    [ValidateNotNull]
    public System.Collections.Hashtable[]? Forward { get; set; }

    protected override void Process()
    {
        HostTarget.Require(HomeSession is not null, LocalHome, "HomeSession", "LocalHome");
        string name = DnsName.Normalize(ServerName, "ServerName", "ServerName");
        string ifName = Checks.InterfaceName(InterfaceName);
        string path = FileSystemPath(PeerFile ?? TunnelPeerBook.DefaultPath(RelaySession.ComputerName));
        if (!File.Exists(path))
        {
            throw new HomeTunnelException("PeerFileNotFound", ErrorKind.ObjectNotFound, $"'{path}' does not exist: give -PeerFile, the file Publish-HomeService used.", path);
        }
        TunnelPeerBook book = TunnelPeerBook.OpenOrCreate(path, RelaySession.ComputerName, "192.168.4.1/24", 51820);
        TunnelPeer homePeer = book.FindHome(HomeName)
            ?? throw new HomeTunnelException("PeerNotFound", ErrorKind.ObjectNotFound, $"'{path}' has no home peer '{HomeName}'.", HomeName);
        var forwards = (Forward ?? Array.Empty<System.Collections.Hashtable>())
            .Select(h => PublishHomeServiceCommand.ForwardFrom(h, homePeer, ifName)).ToArray();

        // What the relay serves now: the site to take away, and whether the home machine has other sites there.
        var sites = ManagedFileReader.Read(this, new[] { RelaySession }, local: false, "Sites", 1, StopToken)
            .SelectMany(f => ApacheSiteParser.Parse(f.Text, $"{f.Host}:{f.Path}", ownBackend: true)).ToList();
        ApacheProxySite site = sites.FirstOrDefault(s => s.ServerName == name)
            ?? throw new HomeTunnelException("SiteNotFound", ErrorKind.ObjectNotFound, $"{RelaySession.ComputerName} has no site {name} that HomeTunnel manages; nothing was changed.", name);
        string home = homePeer.AddressValue.IP.ToString();
        var others = sites.Where(s => s.ServerName != name && s.BackendValue.Host.Trim('[', ']') == home).ToList();
        bool last = others.Count == 0;
        // A port another of the home machine's sites still uses stays open.
        var openings = forwards.Select(f => HomePortOpening.ForForward(f, book.Relay.AddressValue.IP)).ToList();
        if (others.All(o => o.BackendValue.Port != site.BackendValue.Port))
        {
            openings.Add(HomePortOpening.ForSite(site, book.Relay.AddressValue.IP, ifName));
        }
        HomePortOpening[] close = openings.GroupBy(o => o.Key).Select(g => g.First()).ToArray();

        bool whatIf = !ShouldProcess($"{RelaySession.ComputerName} and {HomeSession?.ComputerName ?? "this machine"}",
            $"Unpublish {name}{(last ? $" and, its last site, home peer '{homePeer.Name}'" : string.Empty)}");
        var steps = new List<(HostChange Change, PSSession? Session)>
        {
            (HostChange.Apache(new[] { site }, uninstall: true, $"Uninstall Apache proxy site {name}"), RelaySession),
        };
        if (forwards.Length > 0)
        {
            steps.Add((HostChange.Forward(forwards, uninstall: true, $"Uninstall port forward(s) {string.Join(", ", forwards.Select(f => f.Key))}"), RelaySession));
        }
        if (last)
        {
            // The home machine's last site: its peer leaves the relay, and its own end of the tunnel goes.
            // Only the peer Publish added leaves: the relay's file as it is on the host, less that peer (a peer added by
            // hand or by another cmdlet stays).
            WireGuardConfig relayConfig = WireGuardConfig.Create(book.Relay, book.Homes);
            steps.Add((HostChange.WireGuardWithoutPeer(relayConfig, homePeer.PublicKey, ifName, $"Take home peer '{homePeer.Name}' out of WireGuard config {ifName}"), RelaySession));
            steps.Add((HostChange.WireGuard(null, ifName, $"Uninstall WireGuard config {ifName}"), HomeSession));
            steps.Add((HostChange.HomeFirewall(Array.Empty<HomePortOpening>(), ifName, uninstall: true, all: true, "Uninstall the home firewall"), HomeSession));
        }
        else if (close.Length > 0)
        {
            steps.Add((HostChange.HomeFirewall(close, ifName, uninstall: true, all: false, $"Close home firewall opening(s) {string.Join(", ", close.Select(o => o.Key))}"), HomeSession));
        }
        var core = new HostApply(this, StopToken, throttle: 2, force: false);
        var changes = new List<HostChangeResult>();
        bool finished = core.RunSteps(steps, ask: whatIf, $"Unpublish {name}", changes);
        WriteProgress(new ProgressRecord(2, $"Unpublish {name}", "Done") { RecordType = ProgressRecordType.Completed });
        WriteObject(changes, enumerateCollection: true);
        if (!finished)
        {
            return;
        }
        if (last && !whatIf)
        {
            book.Remove(homePeer);
            book.Save();
            WriteVerbose($"Removed home peer '{homePeer.Name}' from {path}.");
        }
    }
}
