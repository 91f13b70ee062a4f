using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using HomeTunnel.Hosts;
using HomeTunnel.Probes;

using HomeTunnel.Hosts.Contract;

namespace HomeTunnel.Cmdlets;

/// <summary>
/// Measures how long the NATs between the home machine and the relay keep an idle UDP mapping, and says whether the
/// tunnel's PersistentKeepalive comes often enough. Probes with silences of -StepSeconds, 2×, … up to -MaxSeconds
/// run at once, each on its own UDP port of the relay (-ProbePort and up), so the whole measure takes about
/// -MaxSeconds. Nothing is written on either host.
/// </summary>
[Cmdlet(VerbsDiagnostic.Measure, "TunnelNat")]
[OutputType(typeof(TunnelNatTimeout))]
public sealed class MeasureTunnelNatCommand : RelayHomeCmdlet
{
    /// <summary>The relay, as a PSSession.</summary>
    [Parameter(Mandatory = true)]
    public PSSession RelaySession { get; set; } = null!;

    protected override PSSession Relay => RelaySession;


    /// <summary>The relay's public address, as the home machine reaches it (default: the relay session's host).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? RelayAddress { get; set; }

    /// <summary>The longest silence to try (10 to 180 s).</summary>
    [Parameter]
    [ValidateRange(10, 180)]
    public int MaxSeconds { get; set; } = 60;

    /// <summary>The step between two probes' silences (the measure's resolution, 1 to 30 s).</summary>
    [Parameter]
    [ValidateRange(1, 30)]
    public int StepSeconds { get; set; } = 5;

    /// <summary>The first of the relay's UDP ports the probes use (one per probe, upwards); the relay's firewall must let them in.</summary>
    [Parameter]
    [ValidateRange(1024, 65000)]
    public int ProbePort { get; set; } = 51900;

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(InterfaceNameCompleter))]
    public string InterfaceName { get; set; } = "wg0";

    protected override void Process()
    {
        RequireHome();
        string ifName = Checks.InterfaceName(InterfaceName);
        string relayText = RelayAddress ?? RelaySession.ComputerName;
        if (!IPText.TryParse(relayText, out System.Net.IPAddress relayIp))
        {
            relayIp = System.Net.Dns.GetHostAddresses(DnsName.Normalize(relayText, "RelayAddress", "RelayAddress"))
                .FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
                ?? throw new HomeTunnelException("RelayAddressUnresolved", ErrorKind.ObjectNotFound, $"'{relayText}' has no IPv4 address.", relayText);
        }
        var idle = Enumerable.Range(1, MaxSeconds / StepSeconds).Select(i => i * StepSeconds).ToArray();
        if (ProbePort + idle.Length - 1 > 65535)
        {
            throw HomeTunnelException.Invalid("ProbePortInvalid", $"Ports {ProbePort}-{ProbePort + idle.Length - 1} do not fit below 65536.", ProbePort);
        }
        var ports = idle.Select((_, i) => ProbePort + i).ToArray();
        const int listen = 10;
        WriteVerbose($"{idle.Length} probes (silences {StepSeconds}-{idle[^1]} s) from the home machine to {relayIp} UDP {ports[0]}-{ports[^1]}: about {idle[^1] + 5} s.");

        using HostPair hosts = OpenHosts();
        var (relay, home) = hosts;
        var calls = HostInvoker.Invoke(new[] { relay, home }, t => ReferenceEquals(t, relay)
            ? AgentRequest.NatProbe("NatProbeRelay", ports, idle, listen)
            : AgentRequest.NatProbe("NatProbeHome", ports, idle, listen, relayIp.ToString()), throttle: 2, StopToken);
        var view = new HostView("Nat", ifName, new Dictionary<string, string?>(), Array.Empty<string>());
        foreach (HostCall call in calls)
        {
            if (HostErrors.FromCall(call, view) is { } error)
            {
                ThrowTerminatingError(error);
            }
        }
        // The home side's keepalive towards the relay, from its live interface (one more short read).
        int? keepalive = null;
        var status = HostInvoker.Invoke(new[] { home }, _ => AgentRequest.Status(ifName), throttle: 1, StopToken)[0];
        if (status.Answer is { State: "Read" })
        {
            keepalive = TunnelPeerStatus.FromAgent(status.Read(AgentContract.Status).Status, home.Name, ifName, 0).Where(s => s.Endpoint is not null).Select(s => s.PersistentKeepalive).FirstOrDefault();
        }
        else
        {
            WriteVerbose($"{ifName} is not up on the home machine: the keepalive is not compared.");
        }
        WriteObject(TunnelNatTimeout.Judge(relayIp.ToString(), calls[0].Read(AgentContract.NatProbe).Nat, calls[1].Read(AgentContract.NatProbe).Nat, keepalive));
    }
}
