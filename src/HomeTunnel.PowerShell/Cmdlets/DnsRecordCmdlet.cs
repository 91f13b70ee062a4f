using System;
using System.Management.Automation;
using HomeTunnel.DnsUpdate;
using HomeTunnel.Probes;

namespace HomeTunnel.Cmdlets;

/// <summary>The base of the cmdlets that read a name's records on a zone's primary server: the server, the zone, the timeout.</summary>
public abstract class DnsRecordCmdlet : HomeTunnelCmdlet
{
    /// <summary>The zone's primary server that takes updates: an IP address, optionally with :port.</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string DnsServer { get; set; } = string.Empty;

    /// <summary>The zone that holds the name (default: the one whose SOA the server names for it).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Zone { get; set; }

    [Parameter]
    [ValidateRange(1, 120)]
    public int TimeoutSeconds { get; set; } = 5;

    /// <summary>The editor for -DnsServer, and the name's zone (checked against -Zone when given).</summary>
    protected (DnsZoneEditor Editor, string Zone) Open(string name, TsigKey? key)
    {
        var editor = new DnsZoneEditor(DnsProbe.ParseServer(DnsServer), key, TimeSpan.FromSeconds(TimeoutSeconds));
        if (Zone is null)
        {
            return (editor, editor.FindZone(name, StopToken));
        }
        string zone = DnsName.Normalize(Zone, "Zone", "Zone");
        if (name != zone && !name.EndsWith("." + zone, StringComparison.Ordinal))
        {
            throw HomeTunnelException.Invalid("DnsNameOutsideZone", $"{name} is not in zone {zone}.", name);
        }
        return (editor, zone);
    }
}

/// <summary>
/// The base of the cmdlets that change a name's records (RFC 2136 with TSIG): the key (a credential or a bind key file)
/// and the one change they all make — read, compare, confirm with the lines that go and come, update as a
/// compare-and-swap, read back.
/// </summary>
public abstract class DnsChangeCmdlet : DnsRecordCmdlet
{
    /// <summary>The TSIG key as a credential: the key's name as the user name, its base64 secret as the password.</summary>
    [Parameter]
    [Credential]
    public PSCredential? DnsKey { get; set; }

    /// <summary>The TSIG key as a bind key file (tsig-keygen's output), readable by its owner only.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? DnsKeyFile { get; set; }

    /// <summary>The algorithm of a -DnsKey credential (a key file names its own).</summary>
    [Parameter]
    [StrictEnum(typeof(TsigAlgorithm))]
    public TsigAlgorithm DnsKeyAlgorithm { get; set; } = TsigAlgorithm.HmacSha256;

    /// <summary>The key, from exactly one of -DnsKey and -DnsKeyFile.</summary>
    protected TsigKey Key() =>
        TsigKey.FromParameters(DnsKey, DnsKeyFile, DnsKeyAlgorithm, FileSystemPath)
        ?? throw HomeTunnelException.Invalid("DnsKeyRequired", "Changing DNS records needs the zone's TSIG key: give -DnsKey (a credential) or -DnsKeyFile (a bind key file).", "DnsKey");

    protected void Change(string name, Func<DnsNameState, DnsNameState> want, bool force, string verb)
    {
        TsigKey key = Key();
        var (editor, zone) = Open(name, key);
        if (DnsRecordChange.Apply(this, editor, zone, name, want, force, verb, StopToken) is { } result)
        {
            WriteObject(result);
        }
    }
}
