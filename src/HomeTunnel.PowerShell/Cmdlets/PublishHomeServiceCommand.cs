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
    public string Url { get; init; } = string.Empty;
    public string PeerFile { get; init; } = string.Empty;
    public IReadOnlyList<HostChangeResult> Changes { get; init; } = Array.Empty<HostChangeResult>();
    public TunnelPathResult? Path { get; init; }
    public HopStatus? Status => Path?.Status;

    public override string ToString() => $"{Url} {Status}";
}

/// <summary>
/// The whole setup in one call: makes (or reuses, from a 0600 peer file) the relay and home peers, installs
/// both WireGuard ends and the Apache site, then checks the path with Test-TunnelPath.
/// </summary>
[Cmdlet(VerbsData.Publish, "HomeService", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(PublishedHomeService))]
public sealed class PublishHomeServiceCommand : HomeTunnelCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    public string ServerName { get; set; } = string.Empty;

    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateRange(1, 65535)]
    public int Port { get; set; }

    [Parameter(Mandatory = true)]
    public PSSession RelaySession { get; set; } = null!;

    /// <summary>The home machine; this machine when absent.</summary>
    [Parameter]
    public PSSession? HomeSession { get; set; }

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

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? DnsServer { get; set; }

    /// <summary>How long to wait for the new path to pass (the first handshake takes a moment).</summary>
    [Parameter]
    [ValidateRange(0, 600)]
    public int WaitSeconds { get; set; } = 30;

    protected override void Process()
    {
        string name = DnsName.Normalize(ServerName, "ServerName", "ServerName");
        string ifName = Checks.InterfaceName(InterfaceName);
        string endpoint = RelayEndpoint ?? RelaySession.ComputerName;
        string path = FileSystemPath(PeerFile ?? System.IO.Path.Combine(
            Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".hometunnel", $"{RelaySession.ComputerName}.peers.json"));

        // Everything is made and validated before any host is touched.
        TunnelPeerBook book = TunnelPeerBook.OpenOrCreate(path, endpoint, RelayTunnelAddress, ListenPort);
        TunnelPeer homePeer = book.Home(HomeName, HomeTunnelAddress);
        WireGuardConfig relayConfig = WireGuardConfig.Create(book.Relay, book.Homes);
        WireGuardConfig homeConfig = WireGuardConfig.Create(homePeer, new[] { book.Relay });
        ApacheProxySite site = ApacheProxySite.Create(new ApacheSiteSpec
        {
            ServerName = name,
            Address = homePeer.Address.IP.ToString(),
            Port = Port,
            Https = Https,
        });
        var findings = TunnelConfigChecker.Check(book.Peers, new[] { relayConfig, homeConfig }, new[] { site })
            .Where(f => f.Severity == FindingSeverity.Error).ToList();
        if (findings.Count > 0)
        {
            throw HomeTunnelException.Invalid(findings[0].Check, $"The setup would not work: {findings[0].Message}", findings[0].Target);
        }

        bool whatIf = !ShouldProcess($"{RelaySession.ComputerName} and {HomeSession?.ComputerName ?? "this machine"}",
            $"Publish {name} (port {Port}) through relay {endpoint}");
        if (book.Changed && !whatIf)
        {
            book.Save();
            WriteVerbose($"Saved the peers (with private keys, mode 0600) to {path}.");
        }

        var changes = new List<HostChangeResult>();
        bool ok = Install("Install-WireGuardConfig", relayConfig, RelaySession, changes, whatIf, ("InterfaceName", ifName))
            && Install("Install-WireGuardConfig", homeConfig, HomeSession, changes, whatIf, ("InterfaceName", ifName))
            && Install("Install-ApacheProxySite", site, RelaySession, changes, whatIf);
        if (!ok || whatIf)
        {
            return;
        }

        TunnelPathResult result = CheckPath(name);
        WriteObject(new PublishedHomeService
        {
            ServerName = name,
            Url = $"{(Https ? "https" : "http")}://{name}/",
            PeerFile = path,
            Changes = changes,
            Path = result,
        });
    }

    /// <summary>Runs an Install-* cmdlet as a nested pipeline, so -WhatIf, -Confirm, errors and verbose flow as usual.</summary>
    private bool Install(string command, object input, PSSession? session, List<HostChangeResult> changes, bool whatIf, params (string Name, object Value)[] extra)
    {
        using var shell = PowerShell.Create(RunspaceMode.CurrentRunspace);
        shell.AddCommand(command).AddParameter("InputObject", input);
        if (session is not null)
        {
            shell.AddParameter("Session", new[] { session });
        }
        foreach (var (key, value) in extra)
        {
            shell.AddParameter(key, value);
        }
        if (whatIf)
        {
            shell.AddParameter("WhatIf", true);
        }
        else
        {
            shell.AddParameter("Confirm", false);
        }
        foreach (PSObject o in shell.Invoke())
        {
            if (o.BaseObject is HostChangeResult r)
            {
                changes.Add(r);
                WriteVerbose($"{r.Host}: {r.Kind} {r.Name}: {r.State}");
            }
        }
        foreach (ErrorRecord e in shell.Streams.Error)
        {
            WriteError(e);
        }
        return shell.Streams.Error.Count == 0;
    }

    private TunnelPathResult CheckPath(string name)
    {
        var deadline = DateTime.UtcNow.AddSeconds(WaitSeconds);
        while (true)
        {
            using var shell = PowerShell.Create(RunspaceMode.CurrentRunspace);
            shell.AddCommand("Test-TunnelPath").AddParameter("ServerName", new[] { name }).AddParameter("RelaySession", RelaySession)
                .AddParameter("Port", Https ? new[] { 80, 443 } : new[] { 80 }).AddParameter("Https", Https.IsPresent)
                .AddParameter("InterfaceName", InterfaceName);
            if (HomeSession is not null)
            {
                shell.AddParameter("HomeSession", HomeSession);
            }
            else
            {
                shell.AddParameter("LocalHome", true);
            }
            if (DnsServer is not null)
            {
                shell.AddParameter("DnsServer", DnsServer);
            }
            TunnelPathResult result = shell.Invoke().Select(o => o.BaseObject).OfType<TunnelPathResult>().Single();
            if (result.Status != HopStatus.Fail || DateTime.UtcNow >= deadline)
            {
                return result;
            }
            WriteVerbose($"The path does not pass yet ({result.FailedHop}); checking again.");
            Thread.Sleep(1000);
        }
    }
}
