using System;
using System.Management.Automation;
using System.Threading;

namespace HomeTunnel.DnsUpdate;

/// <summary>The one change of a name's records (Set-/Remove-TunnelDnsRecord, Publish-HomeService -DnsKey): read, compare, confirm, update, read back.</summary>
public static class DnsRecordChange
{
    /// <summary>
    /// Brings <paramref name="name"/> from what the server has to <paramref name="want"/> (computed from it): a name whose
    /// records are another's (no mark) changes only with -Force; nothing is sent when they already match. Null when the
    /// user declined (or -WhatIf).
    /// </summary>
    public static TunnelDnsRecord? Apply(PSCmdlet cmdlet, DnsZoneEditor editor, string zone, string name, Func<DnsNameState, DnsNameState> want,
        bool force, string verb, CancellationToken token)
    {
        DnsNameState have = editor.Read(name, token);
        DnsNameState wanted = want(have);
        bool same = have.SameRecords(wanted) && have.Owned == !wanted.IsEmpty;
        if (same || (have.IsEmpty && wanted.IsEmpty && !have.Owned))
        {
            cmdlet.WriteVerbose($"{name} on {editor.Server} already has what was asked.");
            return TunnelDnsRecord.From(have, have, zone, editor.Server, TunnelDnsState.Unchanged);
        }
        if (!have.Owned && !have.IsEmpty && !force)
        {
            throw new HomeTunnelException("DnsRecordNotOwned", ErrorKind.ResourceExists,
                $"{name} has records HomeTunnel did not write ({string.Join("; ", have.Lines())}); nothing was changed. To replace them, run the same command with -Force.", name);
        }
        // A server ignores a CNAME beside other records (RFC 2136 3.4.2.2) and would take the rest of the update.
        if (wanted.CName is not null && editor.OtherTypes(name, token) is { Length: > 0 } others)
        {
            throw new HomeTunnelException("DnsCNameConflict", ErrorKind.ResourceExists,
                $"{name} also has {string.Join(", ", others)} records, and a CNAME may stand beside no other record; nothing was changed. Give addresses instead.", name);
        }
        string diff = TunnelDnsRecord.Diff(have, wanted);
        string action = $"{verb} the DNS records of {name} in zone {zone} on {editor.Server}";
        if (!cmdlet.ShouldProcess($"{action}:{Environment.NewLine}{diff}", $"{action}?{Environment.NewLine}{diff}", $"{verb} DNS records"))
        {
            return null;
        }
        editor.Update(zone, have, wanted, token);
        DnsNameState now = editor.Read(name, token);
        if (!now.SameRecords(wanted))
        {
            throw new HomeTunnelException("DnsUpdateNotApplied", ErrorKind.InvalidData,
                $"{editor.Server} took the update of {name} but now has {(now.IsEmpty ? "no records" : string.Join("; ", now.Lines()))} (a CNAME beside other records of the name is ignored by DNS servers).", name);
        }
        TunnelDnsState state = wanted.IsEmpty ? TunnelDnsState.Removed : have.IsEmpty ? TunnelDnsState.Created : TunnelDnsState.Changed;
        cmdlet.WriteVerbose($"{name} on {editor.Server}: {state}.");
        return TunnelDnsRecord.From(now, have, zone, editor.Server, state);
    }
}
