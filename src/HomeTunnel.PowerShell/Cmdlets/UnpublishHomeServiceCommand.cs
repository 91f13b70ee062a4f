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
/// The exact inverse of Publish-HomeService, from what the hosts record: the site on the relay, the forwards whose
/// files record the service, the home firewall's openings it holds, and — when nothing else goes to the home machine
/// through the tunnel — its peer on the relay, its config, its firewall and its entry in the peer file. Nothing else:
/// other sites, peers, forwards, openings, tables and files stay as they are.
/// </summary>
[Cmdlet(VerbsData.Unpublish, "HomeService", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(HostChangeResult))]
public sealed class UnpublishHomeServiceCommand : RelayHomeCmdlet
{
    /// <summary>
    /// The relay, or the several Publish-HomeService published through (in the same order: the second is wg1 with
    /// peers.&lt;relay&gt;.json beside -PeerFile, …); the service goes from each.
    /// </summary>
    [Parameter(Mandatory = true)]
    public PSSession[] RelaySession { get; set; } = System.Array.Empty<PSSession>();

    private PSSession _relay = null!;

    protected override PSSession Relay => _relay;

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(SiteNameCompleter))]
    public string ServerName { get; set; } = string.Empty;

    /// <summary>The peer file Publish-HomeService used (default: ~/.hometunnel/&lt;relay&gt;.peers.json).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? PeerFile { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string HomeName { get; set; } = "home";

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string InterfaceName { get; set; } = "wg0";

    /// <summary>
    /// Not needed for a service this version published: its forwards are recorded on the relay and taken. Names forwards
    /// to this home machine to take as well (one a service published before the record, as Publish-HomeService -Forward took it).
    /// </summary>
    [Parameter]
    [ValidateNotNull]
    public System.Collections.Hashtable[]? Forward { get; set; }

    protected override void Process()
    {
        RequireHome();
        if (RelaySession.Length == 0 || RelaySession.Any(r => r is null))
        {
            throw HomeTunnelException.Invalid("HostRequired", "Give the relay as -RelaySession (one PSSession, or several).", "RelaySession");
        }
        string ifBase = Checks.InterfaceName(InterfaceName);
        var plan = RelaySession.Select((r, i) => (Relay: r, If: i == 0 ? ifBase : MultiRelay.Interface(ifBase, i),
            PeerFile: i == 0 || PeerFile is null ? PeerFile : MultiRelay.PeerFile(FileSystemPath(PeerFile), r.ComputerName))).ToArray();
        foreach (var one in plan)
        {
            _relay = one.Relay;
            UnpublishOne(one.If, one.PeerFile);
        }
    }

    private void UnpublishOne(string ifName, string? peerFile)
    {
        string name = DnsName.Normalize(ServerName, "ServerName", "ServerName");
        string path = FileSystemPath(peerFile ?? TunnelPeerBook.DefaultPath(Relay.ComputerName));
        if (!File.Exists(path))
        {
            throw new HomeTunnelException("PeerFileNotFound", ErrorKind.ObjectNotFound, $"'{path}' does not exist: give -PeerFile, the file Publish-HomeService used.", path);
        }
        TunnelPeerBook book = TunnelPeerBook.OpenOrCreate(path, Relay.ComputerName, "192.168.4.1/24", 51820);
        TunnelPeer homePeer = book.FindHome(HomeName)
            ?? throw new HomeTunnelException("PeerNotFound", ErrorKind.ObjectNotFound, $"'{path}' has no home peer '{HomeName}'.", HomeName);
        // What the relay serves now, read from it: the site to take away, the forwards this service's files record as
        // its own, and whether anything else (another site, a forward by hand or of another service) still goes to
        // the home machine through this tunnel.
        var sites = ManagedFileReader.Read(this, new[] { Relay }, local: false, "Sites", 1, StopToken, stopOnError: true)
            .SelectMany(f => ApacheSiteParser.Parse(f.Text, $"{f.Host}:{f.Path}", ownBackend: true)).ToList();
        ApacheProxySite site = sites.FirstOrDefault(s => s.ServerName == name)
            ?? throw new HomeTunnelException("SiteNotFound", ErrorKind.ObjectNotFound, $"{Relay.ComputerName} has no site {name} that HomeTunnel manages; nothing was changed.", name);
        var forwardFiles = ManagedFileReader.Read(this, new[] { Relay }, local: false, "Forwards", 1, StopToken, stopOnError: true)
            .Select(f => (f.Path, Forward: TunnelPortForward.FromFile(f.Text))).ToList();
        var relayForwards = forwardFiles.Select(f => f.Forward).OfType<TunnelPortForward>().ToList();
        string home = homePeer.AddressValue.IP.ToString();
        var forwards = relayForwards.Where(f => f.PublishedWith == name && f.InterfaceName == ifName).ToList();
        foreach (System.Collections.Hashtable h in Forward ?? Array.Empty<System.Collections.Hashtable>())
        {
            // Named out loud (a service published before forwards recorded their service): taken too, if it goes to
            // this home machine and no other service records it as its own.
            string key = PublishHomeServiceCommand.ForwardFrom(h, homePeer, ifName).Key;
            TunnelPortForward named = relayForwards.FirstOrDefault(f => f.Key == key && f.Address == home && (f.PublishedWith ?? name) == name)
                ?? throw new HomeTunnelException("ForwardNotPublished", ErrorKind.ObjectNotFound,
                    $"{Relay.ComputerName} has no forward {key} to {home} that {name} may take (none, another home's, or another service's); nothing was changed.", key);
            if (!forwards.Any(f => f.Key == key))
            {
                forwards.Add(named);
            }
        }
        var others = sites.Where(s => s.ServerName != name && s.BackendValue.Host.Trim('[', ']') == home).Select(s => $"site {s.ServerName}")
            .Concat(relayForwards.Where(f => f.Address == home && !forwards.Any(o => o.Key == f.Key)).Select(f => $"forward {f.Key}"))
            // A forward file HomeTunnel cannot read back (edited by hand) may go anywhere: the tunnel stays for it.
            .Concat(forwardFiles.Where(f => f.Forward is null).Select(f => $"a forward whose file {HostText.Printable(f.Path)} does not read back")).ToList();
        bool last = others.Count == 0;
        if (!last)
        {
            WriteVerbose($"The tunnel to '{homePeer.Name}' stays: {string.Join(", ", others)} still go(es) there.");
        }

        // -WhatIf previews every step; a No at the prompt does nothing at all (not a step, not the peer file).
        bool whatIf = IsPreviewing(this);
        if (!ShouldProcess(BothHosts,
            $"Unpublish {name}{(last ? $" and, its last site, home peer '{homePeer.Name}'" : string.Empty)}") && !whatIf)
        {
            return;
        }
        var steps = new List<(HostChange Change, PSSession? Session)>
        {
            (HostChange.Apache(new[] { site }, uninstall: true, $"Uninstall Apache proxy site {name}"), Relay),
        };
        if (forwards.Count > 0)
        {
            steps.Add((HostChange.Forward(forwards.ToArray(), uninstall: true, $"Uninstall port forward(s) {string.Join(", ", forwards.Select(f => f.Key))}"), Relay));
        }
        if (last)
        {
            // The home machine's last site: its peer leaves the relay, and its own end of the tunnel goes.
            // Only the peer Publish added leaves: the relay's file as it is on the host, less that peer (a peer added by
            // hand or by another cmdlet stays).
            WireGuardConfig relayConfig = WireGuardConfig.Create(book.Relay, book.Homes);
            steps.Add((HostChange.WireGuardWithoutPeer(relayConfig, homePeer.PublicKey, ifName, $"Take home peer '{homePeer.Name}' out of WireGuard config {ifName}"), Relay));
            steps.Add((HostChange.WireGuard(null, ifName, $"Uninstall WireGuard config {ifName}"), HomeSession));
            steps.Add((HostChange.HomeFirewall(Array.Empty<HomePortOpening>(), ifName, uninstall: true, all: true, "Uninstall the home firewall"), HomeSession));
        }
        else
        {
            // The openings this service holds (recorded in their keys on the home machine); one opened by hand or held
            // by another service stays, and so does the fence.
            steps.Add((HostChange.HomeFirewallRelease(name, ifName, $"Close the home firewall's openings for {name}"), HomeSession));
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
