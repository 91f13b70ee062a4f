using System.Collections.Generic;
using System.Management.Automation;
using HomeTunnel.WireGuard;

namespace HomeTunnel.Cmdlets;

/// <summary>The wg-quick config of one peer (-For) with the others as its [Peer] sections.</summary>
[Cmdlet(VerbsCommon.New, "WireGuardConfig")]
[OutputType(typeof(WireGuardConfig))]
public sealed class NewWireGuardConfigCommand : HomeTunnelCmdlet
{
    private readonly List<TunnelPeer> _peers = new();

    [Parameter(Mandatory = true, Position = 0)]
    public TunnelPeer For { get; set; } = null!;

    [Parameter(Position = 1, ValueFromPipeline = true)]
    [AllowEmptyCollection]
    public TunnelPeer[] Peer { get; set; } = System.Array.Empty<TunnelPeer>();

    /// <summary>
    /// For a home machine behind forwards made with -PreserveClientAddress: the relay may send any source address,
    /// and replies from the tunnel address go back through the tunnel by a routing table of their own. The home
    /// machine's own default route stays as it is.
    /// </summary>
    [Parameter]
    public SwitchParameter PreserveClientAddress { get; set; }

    protected override void Process() => _peers.AddRange(Peer);

    protected override void End() => WriteObject(WireGuardConfig.Create(For, _peers, PreserveClientAddress));
}
