using System.Management.Automation;
using HomeTunnel.DnsUpdate;

namespace HomeTunnel.Cmdlets;

/// <summary>Reads a name's A, AAAA and CNAME records and HomeTunnel's mark from the zone's primary server (no key needed).</summary>
[Cmdlet(VerbsCommon.Get, "TunnelDnsRecord")]
[OutputType(typeof(TunnelDnsRecord))]
public sealed class GetTunnelDnsRecordCommand : DnsRecordCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("ServerName")]
    public string Name { get; set; } = string.Empty;

    protected override void Process()
    {
        string name = DnsName.Normalize(Name, "Name", "DnsName");
        var (editor, zone) = Open(name, null);
        DnsNameState have = editor.Read(name, StopToken);
        WriteObject(TunnelDnsRecord.From(have, have, zone, editor.Server, TunnelDnsState.Unchanged));
    }
}
