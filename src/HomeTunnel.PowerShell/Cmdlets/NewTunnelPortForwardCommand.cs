using System.Management.Automation;
using System.Net;
using HomeTunnel.Forwards;
using HomeTunnel.WireGuard;

namespace HomeTunnel.Cmdlets;

/// <summary>A port on the relay forwarded into the tunnel to a home peer: TCP or UDP, one port or a 1:1 range.</summary>
[Cmdlet(VerbsCommon.New, "TunnelPortForward")]
[OutputType(typeof(TunnelPortForward))]
public sealed class NewTunnelPortForwardCommand : HomeTunnelCmdlet
{
    /// <summary>The home peer the port leads to (its tunnel address and name).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = "Peer")]
    public TunnelPeer Peer { get; set; } = null!;

    /// <summary>The home peer's tunnel address, when no peer object is at hand (or a forward's JSON is piped back).</summary>
    [Parameter(Mandatory = true, ParameterSetName = "Address", ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Address { get; set; } = string.Empty;

    /// <summary>The home peer's name with -Address (without it, "home").</summary>
    [Parameter(ParameterSetName = "Address", ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? PeerName { get; set; }

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [StrictEnum(typeof(ForwardProtocol))]
    public ForwardProtocol Protocol { get; set; }

    /// <summary>The relay's port, or a range ("27015-27030").</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [Alias("PublicPorts")]
    [ValidateNotNullOrEmpty]
    public string PublicPort { get; set; } = string.Empty;

    /// <summary>The home port; the same as -PublicPort when absent (a range always keeps its numbers).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("HomePorts")]
    [ValidateNotNullOrEmpty]
    public string? Port { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string InterfaceName { get; set; } = "wg0";

    /// <summary>
    /// The home service sees the visitor's address, not the relay's tunnel address. The home machine's config then
    /// needs New-WireGuardConfig -PreserveClientAddress (Publish-HomeService does both).
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public SwitchParameter PreserveClientAddress { get; set; }

    protected override void Process()
    {
        IPAddress address;
        string name;
        if (ParameterSetName == "Peer")
        {
            if (Peer.Role == TunnelRole.Relay)
            {
                throw HomeTunnelException.Invalid("RoleMismatch",
                    $"Peer '{Peer.Name}' is the relay: a forward leads into the tunnel to a home peer. Pipe the Home peer instead ($homePeer | New-TunnelPortForward ...).", Peer.Name);
            }
            address = Peer.AddressValue.IP;
            name = Peer.Name;
        }
        else
        {
            if (!IPText.TryParse(Address, out address))
            {
                throw HomeTunnelException.Invalid("ForwardAddressInvalid", $"'{Address}' is not an IPv4 address.", Address);
            }
            name = PeerName ?? "home";
        }
        WriteObject(TunnelPortForward.Create(Protocol, PublicPort, Port, address, name, InterfaceName, PreserveClientAddress));
    }
}
