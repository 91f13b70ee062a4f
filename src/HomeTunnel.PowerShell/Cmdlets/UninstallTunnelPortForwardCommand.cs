using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Net;
using HomeTunnel.Forwards;
using HomeTunnel.Hosts;

namespace HomeTunnel.Cmdlets;

/// <summary>Removes port forwards from relays by protocol and public port; with the last one, HomeTunnel's table and boot unit go too.</summary>
[Cmdlet(VerbsLifecycle.Uninstall, "TunnelPortForward", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = "Object")]
[OutputType(typeof(HostChangeResult))]
public sealed class UninstallTunnelPortForwardCommand : HostChangeCommand
{
    private readonly List<TunnelPortForward> _forwards = new();

    /// <summary>Forwards as New-TunnelPortForward made them.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = "Object")]
    public TunnelPortForward[] InputObject { get; set; } = System.Array.Empty<TunnelPortForward>();

    [Parameter(Mandatory = true, ParameterSetName = "Port", ValueFromPipelineByPropertyName = true)]
    [StrictEnum(typeof(ForwardProtocol))]
    public ForwardProtocol Protocol { get; set; }

    /// <summary>The relay's port or range, as it was installed.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Port")]
    [ValidateNotNullOrEmpty]
    public string PublicPort { get; set; } = string.Empty;

    [Parameter(ParameterSetName = "Port", ValueFromPipelineByPropertyName = true)]
    public string InterfaceName { get; set; } = "wg0";

    protected override void Process()
    {
        if (ParameterSetName == "Object")
        {
            _forwards.AddRange(InputObject);
            return;
        }
        // Only the key (protocol and public ports) matters to remove a forward; the address is a placeholder.
        _forwards.Add(TunnelPortForward.Create(Protocol, PublicPort, null, IPAddress.Parse("192.0.2.1"), "home", InterfaceName));
    }

    protected override void End()
    {
        if (_forwards.Count == 0)
        {
            return;
        }
        TunnelPortForward[] forwards = _forwards.GroupBy(f => f.Key).Select(g => g.First()).ToArray();
        RunOnHosts(HostChange.Forward(forwards, uninstall: true, $"Uninstall port forward(s) {string.Join(", ", forwards.Select(f => f.Key))}"), null);
    }
}
