using System;
using System.Management.Automation;
using HomeTunnel.DnsUpdate;

namespace HomeTunnel.Cmdlets;

/// <summary>
/// Points a name at the relays: its A/AAAA records (or one CNAME) on the zone's primary server, set with an RFC 2136
/// update signed with the zone's TSIG key, with a short TTL. Idempotent; -WhatIf shows the lines that go and come;
/// other names and other record types of the name are never touched, and records HomeTunnel did not write only with -Force.
/// </summary>
[Cmdlet(VerbsCommon.Set, "TunnelDnsRecord", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = "Address")]
[OutputType(typeof(TunnelDnsRecord))]
public sealed class SetTunnelDnsRecordCommand : DnsChangeCmdlet
{
    /// <summary>The name to point at the relays (a site's ServerName).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("ServerName")]
    public string Name { get; set; } = string.Empty;

    /// <summary>The relays' public addresses: the name's whole A and AAAA record sets.</summary>
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = "Address")]
    public string[] Address { get; set; } = Array.Empty<string>();

    /// <summary>Instead of addresses: another name the name is an alias of (a relay's own name).</summary>
    [Parameter(Mandatory = true, ParameterSetName = "CName")]
    public string CName { get; set; } = string.Empty;

    /// <summary>Seconds resolvers keep the records: short, so a withdrawn relay leaves quickly.</summary>
    [Parameter]
    [ValidateRange(5, 86400)]
    public int Ttl { get; set; } = 60;

    /// <summary>Replace records of the name that HomeTunnel did not write.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void Process()
    {
        string name = DnsName.Normalize(Name, "Name", "DnsName");
        var addresses = ParameterSetName == "Address" ? TunnelDnsRecord.Addresses(Address) : Array.Empty<System.Net.IPAddress>();
        string? cname = ParameterSetName == "CName" ? DnsName.Normalize(CName, "CName", "DnsName") : null;
        if (cname == name)
        {
            throw HomeTunnelException.Invalid("DnsCNameLoop", $"{name} cannot be an alias of itself.", cname);
        }
        if (addresses.Length == 0 && cname is null)
        {
            throw HomeTunnelException.Invalid("DnsAddressRequired", $"Give {name} at least one address (to remove its records: Remove-TunnelDnsRecord).", name);
        }
        Change(name, have => new DnsNameState(name, addresses, cname, Ttl, Owned: true), Force, "Set");
    }
}
