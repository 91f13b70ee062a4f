using System;
using System.Linq;
using System.Management.Automation;
using HomeTunnel.DnsUpdate;

namespace HomeTunnel.Cmdlets;

/// <summary>
/// Takes a name's records that HomeTunnel wrote off the zone (all of them, or only some addresses: a relay withdrawn),
/// with a signed RFC 2136 update; the name's other records and other names stay.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "TunnelDnsRecord", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(TunnelDnsRecord))]
public sealed class RemoveTunnelDnsRecordCommand : DnsChangeCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("ServerName")]
    public string Name { get; set; } = string.Empty;

    /// <summary>Only these addresses (a relay's); the others stay. Default: every record HomeTunnel wrote for the name.</summary>
    [Parameter(Position = 1)]
    public string[]? Address { get; set; }

    /// <summary>Remove records of the name that HomeTunnel did not write.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void Process()
    {
        string name = DnsName.Normalize(Name, "Name", "DnsName");
        var gone = Address is null ? null : TunnelDnsRecord.Addresses(Address);
        Change(name, have =>
        {
            if (gone is null)
            {
                return new DnsNameState(name, Array.Empty<System.Net.IPAddress>(), null, have.Ttl, Owned: false);
            }
            var left = have.Addresses.Where(a => !gone.Contains(a)).ToArray();
            return left.Length == 0 && have.CName is null
                ? new DnsNameState(name, left, null, have.Ttl, Owned: false)
                : have with { Addresses = left };
        }, Force, "Remove");
    }
}
