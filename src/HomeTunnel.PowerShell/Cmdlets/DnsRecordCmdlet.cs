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
    public TsigAlgorithm DnsKeyAlgorithm { get; set; } = TsigAlgorithm.HmacSha256;

    /// <summary>The key, from exactly one of -DnsKey and -DnsKeyFile.</summary>
    protected TsigKey Key()
    {
        if (DnsKey is not null && DnsKeyFile is not null)
        {
            throw HomeTunnelException.Invalid("DnsKeyConflict", "Give the TSIG key once: -DnsKey or -DnsKeyFile, not both.", "DnsKeyFile");
        }
        if (DnsKey is not null)
        {
            return TsigKey.FromCredential(DnsKey, DnsKeyAlgorithm);
        }
        if (DnsKeyFile is not null)
        {
            return TsigKey.FromFile(FileSystemPath(DnsKeyFile));
        }
        throw HomeTunnelException.Invalid("DnsKeyRequired", "Changing DNS records needs the zone's TSIG key: give -DnsKey (a credential) or -DnsKeyFile (a bind key file).", "DnsKey");
    }

    /// <summary>
    /// Brings <paramref name="name"/> from what the server has to <paramref name="want"/> (computed from it): a name whose
    /// records are another's (no mark) changes only with -Force; nothing is sent when they already match.
    /// </summary>
    protected void Change(string name, Func<DnsNameState, DnsNameState> want, bool force, string verb)
    {
        TsigKey key = Key();
        var (editor, zone) = Open(name, key);
        DnsNameState have = editor.Read(name, StopToken);
        DnsNameState wanted = want(have);
        bool same = have.SameRecords(wanted) && have.Owned == !wanted.IsEmpty;
        if (same || (have.IsEmpty && wanted.IsEmpty && !have.Owned))
        {
            WriteVerbose($"{name} on {editor.Server} already has what was asked.");
            WriteObject(TunnelDnsRecord.From(have, have, zone, editor.Server, TunnelDnsState.Unchanged));
            return;
        }
        if (!have.Owned && !have.IsEmpty && !force)
        {
            throw new HomeTunnelException("DnsRecordNotOwned", ErrorKind.ResourceExists,
                $"{name} has records HomeTunnel did not write ({string.Join("; ", have.Lines())}); nothing was changed. To replace them, run the same command with -Force.", name);
        }
        // A server ignores a CNAME beside other records (RFC 2136 3.4.2.2) and would take the rest of the update.
        if (wanted.CName is not null && editor.OtherTypes(name, StopToken) is { Length: > 0 } others)
        {
            throw new HomeTunnelException("DnsCNameConflict", ErrorKind.ResourceExists,
                $"{name} also has {string.Join(", ", others)} records, and a CNAME may stand beside no other record; nothing was changed. Give addresses instead.", name);
        }
        string diff = TunnelDnsRecord.Diff(have, wanted);
        string action = $"{verb} the DNS records of {name} in zone {zone} on {editor.Server}";
        if (!ShouldProcess($"{action}:{Environment.NewLine}{diff}", $"{action}?{Environment.NewLine}{diff}", $"{verb} DNS records"))
        {
            return;
        }
        editor.Update(zone, have, wanted, StopToken);
        DnsNameState now = editor.Read(name, StopToken);
        if (!now.SameRecords(wanted))
        {
            throw new HomeTunnelException("DnsUpdateNotApplied", ErrorKind.InvalidData,
                $"{editor.Server} took the update of {name} but now has {(now.IsEmpty ? "no records" : string.Join("; ", now.Lines()))} (a CNAME beside other records of the name is ignored by DNS servers).", name);
        }
        TunnelDnsState state = wanted.IsEmpty ? TunnelDnsState.Removed : have.IsEmpty ? TunnelDnsState.Created : TunnelDnsState.Changed;
        WriteVerbose($"{name} on {editor.Server}: {state}.");
        WriteObject(TunnelDnsRecord.From(now, have, zone, editor.Server, state));
    }
}
