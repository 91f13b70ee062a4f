using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using HomeTunnel.Hosts;
using HomeTunnel.WireGuard;

using HomeTunnel.Hosts.Contract;

namespace HomeTunnel.Cmdlets;

/// <summary>What Update-TunnelPeerKey did: the old and new public keys, how long the tunnel took to use the new one, and the files' steps.</summary>
public sealed class TunnelKeyRotation
{
    public string PeerName { get; init; } = string.Empty;
    public string InterfaceName { get; init; } = "wg0";
    public string OldPublicKey { get; init; } = string.Empty;
    public string NewPublicKey { get; init; } = string.Empty;
    public bool PresharedKeyRotated { get; init; }

    /// <summary>How long the two halves took together, from their start to the relay routing to the new key: a bound on the gap a packet could fall into.</summary>
    /// <remarks>In JSON as TookMs.</remarks>
    [Newtonsoft.Json.JsonIgnore, Hidden]
    public TimeSpan Took { get; init; }
    public double TookMs => Math.Round(Took.TotalMilliseconds, 1);
    public string PeerFile { get; init; } = string.Empty;

    /// <summary>"host kind name: State" for the two files written once both ends use the new keys.</summary>
    public string[] Steps { get; init; } = Array.Empty<string>();

    public override string ToString() => $"{PeerName}: {OldPublicKey[..8]}… -> {NewPublicKey[..8]}…";
}

/// <summary>
/// Rotates a home peer's keys (its key pair, and the preshared key it shares with the relay) as one transaction that
/// keeps the tunnel up: the relay learns the new key as a second peer with no addresses; the home side takes its new
/// key and shakes hands at once; the relay moves the home's addresses to the new peer the moment that handshake is
/// seen and drops the old one. With no handshake before -WaitSeconds, both ends go back to the old keys by
/// themselves. Only then are both wg-quick files and the 0600 peer file written.
/// </summary>
[Cmdlet(VerbsData.Update, "TunnelPeerKey", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(TunnelKeyRotation))]
public sealed class UpdateTunnelPeerKeyCommand : RelayHomeCmdlet
{
    /// <summary>The relay, as a PSSession.</summary>
    [Parameter(Mandatory = true)]
    public PSSession RelaySession { get; set; } = null!;

    protected override PSSession Relay => RelaySession;

    /// <summary>The home peer whose keys change (its name in the peer file).</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string HomeName { get; set; } = "home";

    /// <summary>The peer file Publish-HomeService keeps (default: ~/.hometunnel/&lt;relay&gt;.peers.json).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? PeerFile { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(InterfaceNameCompleter))]
    public string InterfaceName { get; set; } = "wg0";

    /// <summary>How long both ends wait for the handshake with the new key before they go back to the old one.</summary>
    [Parameter]
    [ValidateRange(5, 300)]
    public int WaitSeconds { get; set; } = 30;

    protected override void Process()
    {
        RequireHome();
        string ifName = Checks.InterfaceName(InterfaceName);
        string name = Checks.PeerName(HomeName);
        string path = FileSystemPath(PeerFile ?? TunnelPeerBook.DefaultPath(RelaySession.ComputerName));
        if (!File.Exists(path))
        {
            throw new HomeTunnelException("PeerFileNotFound", ErrorKind.ObjectNotFound, $"'{path}' does not exist: give -PeerFile, the file Publish-HomeService used.", path);
        }
        TunnelPeerBook book = TunnelPeerBook.OpenOrCreate(path, RelaySession.ComputerName, "192.168.4.1/24", 51820);
        TunnelPeer old = book.FindHome(name)
            ?? throw new HomeTunnelException("PeerNotFound", ErrorKind.ObjectNotFound, $"'{path}' has no home peer '{name}'.", name);
        TunnelPeer updated = old.WithNewKeys();
        TunnelPeer relay = book.Relay;
        // The pair's preshared key as both files write it (the home's wins), new where the home peer had one.
        WireGuardPresharedKey? psk = WireGuardConfig.Create(updated, new[] { relay }).Peers[0].PresharedKey;
        string target = BothHosts;
        if (!ShouldProcess(target, $"Rotate the keys of home peer '{name}' on {ifName} ({old.PublicKey[..8]}… -> a new key{(psk is not null ? " and preshared key" : string.Empty)})"))
        {
            return;
        }

        using HostPair hosts = OpenHosts();
        var (relayTarget, homeTarget) = hosts;
        // 1. The relay knows the new key, with no addresses yet: nothing moves.
        Expect(Call(new[] { relayTarget }, _ => AgentRequest.RotateRelay("Add", ifName, old.PublicKey, updated.PublicKey, psk, WaitSeconds))[0], "Added");
        WriteVerbose($"{RelaySession.ComputerName}: {ifName} knows the new key {updated.PublicKey[..8]}… (no addresses yet).");

        // 2. Both halves at once: the home takes its new key and shakes hands; the relay moves the home's addresses
        //    to the new peer the moment it sees that handshake. Each end goes back to the old key by itself at the deadline.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var calls = Call(new[] { relayTarget, homeTarget }, t => ReferenceEquals(t, relayTarget)
            ? AgentRequest.RotateRelay("Await", ifName, old.PublicKey, updated.PublicKey, psk, WaitSeconds)
            : AgentRequest.RotateHome(ifName, relay.PublicKey, updated.PrivateKey!, psk, WaitSeconds));
        TimeSpan took = clock.Elapsed;
        foreach (HostCall call in calls)
        {
            if (HostErrors.FromCall(call, View()) is { } error)
            {
                WriteError(error);
            }
        }
        string relayStep = Step(calls[0]);
        string homeStep = Step(calls[1]);
        if (relayStep != "Rotated" || homeStep != "Rotated")
        {
            // One end saw the handshake and the other did not (its deadline came first): put both back as their files say.
            if (relayStep == "Rotated" || homeStep == "Rotated")
            {
                RestoreFromFiles(book, old, ifName);
            }
            throw new HomeTunnelException("KeyRotationTimedOut", ErrorKind.OperationTimeout,
                $"No handshake with the new key of '{name}' within {WaitSeconds} s (relay: {relayStep}, home: {homeStep}); both ends use the old keys again and nothing was written. Check the tunnel with Test-TunnelPath, then run the rotation again.", name);
        }
        WriteVerbose($"Both ends of {ifName} use the new key of '{name}' (both halves done in {took.TotalMilliseconds:0} ms).");

        // 3. The files follow: both wg-quick files as the hosts have them, with the new keys; then the peer file.
        book.Replace(old, updated);
        var core = new HostApply(this, StopToken, throttle: 2, force: false);
        var changes = new List<HostChangeResult>();
        var steps = new (HostChange Change, PSSession? Session)[]
        {
            (HostChange.WireGuardEdited(WireGuardConfig.Create(relay, book.Homes), c => c.WithRotatedKey(old.PublicKey, updated.PublicKey, null, psk), ifName,
                $"Write the new key of '{name}' into WireGuard config {ifName}"), RelaySession),
            (HostChange.WireGuardEdited(WireGuardConfig.Create(updated, new[] { relay }), c => c.WithRotatedKey(relay.PublicKey, null, updated.PrivateKey, psk), ifName,
                $"Write the new keys into WireGuard config {ifName}"), HomeSession),
        };
        bool written = core.RunSteps(steps, ask: false, $"Rotate the keys of {name}", changes);
        // The live interfaces use the new keys whatever the files say: the book keeps them, so a re-run can write the files.
        book.Save();
        WriteVerbose($"Saved the new keys (mode 0600) to {path}.");
        if (!written)
        {
            return;
        }
        WriteObject(new TunnelKeyRotation
        {
            PeerName = name,
            InterfaceName = ifName,
            OldPublicKey = old.PublicKey,
            NewPublicKey = updated.PublicKey,
            PresharedKeyRotated = psk is not null,
            Took = took,
            PeerFile = path,
            Steps = changes.Select(c => c.ToString()).ToArray(),
        });
    }

    private IReadOnlyList<HostCall> Call(HostTarget[] targets, Func<HostTarget, HostRequest> request) =>
        HostInvoker.Invoke(targets, request, throttle: 2, StopToken);

    private HostView View() => new("WireGuard", InterfaceName, new Dictionary<string, string?>(), Array.Empty<string>());

    private static string Step(HostCall call) =>
        call.Answer is { State: "Read" } ? call.Read(AgentContract.Rotation).Rotation.Step : "failed";

    private void Expect(HostCall call, string step)
    {
        if (HostErrors.FromCall(call, View()) is { } error)
        {
            ThrowTerminatingError(error);
        }
        if (Step(call) != step)
        {
            throw new HomeTunnelException("KeyRotationFailed", ErrorKind.InvalidOperation, $"{call.Target.Name} did not take the new key ({Step(call)}); nothing was changed.", call.Target.Name);
        }
    }

    /// <summary>Both ends as their files (still the old keys) say: wg syncconf from each file.</summary>
    private void RestoreFromFiles(TunnelPeerBook book, TunnelPeer old, string ifName)
    {
        var core = new HostApply(this, StopToken, throttle: 2, force: false);
        var steps = new (HostChange Change, PSSession? Session)[]
        {
            (HostChange.WireGuardEdited(WireGuardConfig.Create(book.Relay, book.Homes), c => c, ifName, $"Put WireGuard config {ifName} back"), RelaySession),
            (HostChange.WireGuardEdited(WireGuardConfig.Create(old, new[] { book.Relay }), c => c, ifName, $"Put WireGuard config {ifName} back"), HomeSession),
        };
        core.RunSteps(steps, ask: false, "Put the old keys back", new List<HostChangeResult>());
    }
}
