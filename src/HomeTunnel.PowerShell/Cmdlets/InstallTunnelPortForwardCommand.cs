using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using HomeTunnel.Forwards;
using HomeTunnel.Hosts;

namespace HomeTunnel.Cmdlets;

/// <summary>
/// Puts port forwards on relays: one nftables file per forward in HomeTunnel's own table (ip hometunnel), the
/// table loaded atomically after nft -c accepts it, forwarding on, and a boot unit on systemd. All forwards piped
/// in go to each relay in one call; on failure the previous files and table come back.
/// </summary>
[Cmdlet(VerbsLifecycle.Install, "TunnelPortForward", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(HostChangeResult), typeof(TunnelPortForward))]
public sealed class InstallTunnelPortForwardCommand : HostChangeCommand
{
    private readonly List<TunnelPortForward> _forwards = new();

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    public TunnelPortForward[] InputObject { get; set; } = System.Array.Empty<TunnelPortForward>();

    protected override void Process() => _forwards.AddRange(InputObject);

    protected override void End()
    {
        if (_forwards.Count == 0)
        {
            return;
        }
        var clash = _forwards.SelectMany(f => Enumerable.Range(f.PublicPort, f.PublicPortEnd - f.PublicPort + 1).Select(p => (f.Protocol, Port: p, f)))
            .GroupBy(x => (x.Protocol, x.Port)).FirstOrDefault(g => g.Count() > 1);
        if (clash is not null)
        {
            throw HomeTunnelException.Invalid("DuplicateForward", $"{clash.Key.Protocol.ToString().ToLowerInvariant()} port {clash.Key.Port} is forwarded {clash.Count()} times; nothing was changed.", clash.Key.Port);
        }
        if (_forwards.Select(f => f.InterfaceName).Distinct().Count() > 1)
        {
            throw HomeTunnelException.Invalid("ForwardInterfaceMixed", "The forwards name different tunnel interfaces; install each interface's forwards on their own.", _forwards[0].InterfaceName);
        }
        TunnelPortForward[] forwards = _forwards.ToArray();
        RunOnHosts(HostChange.Forward(forwards, uninstall: false, $"Install port forward(s) {string.Join(", ", forwards.Select(f => f.ToString()))}"), forwards.Length == 1 ? forwards[0] : forwards);
    }
}
