using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;
using ARSoft.Tools.Net.Dns.DynamicUpdate;

namespace HomeTunnel.DnsUpdate;

/// <summary>What one name holds that HomeTunnel may write: its A, AAAA and CNAME records, and whether HomeTunnel owns them.</summary>
public sealed record DnsNameState(string Name, IReadOnlyList<IPAddress> Addresses, string? CName, int Ttl, bool Owned)
{
    public bool IsEmpty => Addresses.Count == 0 && CName is null;

    /// <summary>The records as zone-file lines, sorted ("app.example.net. 60 IN A 203.0.113.1").</summary>
    public string[] Lines() => Addresses.Select(a => $"{Name}. {Ttl} IN {(a.AddressFamily == AddressFamily.InterNetworkV6 ? "AAAA" : "A")} {a}")
        .Concat(CName is null ? Array.Empty<string>() : new[] { $"{Name}. {Ttl} IN CNAME {CName}." })
        .OrderBy(l => l, StringComparer.Ordinal).ToArray();

    public bool SameRecords(DnsNameState other) => Lines().SequenceEqual(other.Lines());
}

/// <summary>
/// Reads and changes the records of one name on the zone's primary server: RFC 2136 updates signed with TSIG, each one
/// a compare-and-swap (the update carries, as prerequisites, exactly the records it read, so a change made in between
/// is refused rather than overwritten), read back after. HomeTunnel's records are marked by a TXT record at
/// _hometunnel.&lt;name&gt; (external-dns's registry idea): a name without it is another's, changed only with -Force;
/// other names and other types of the same name are never in an update.
/// </summary>
public sealed class DnsZoneEditor
{
    /// <summary>The owner mark's name prefix and text.</summary>
    public const string OwnerLabel = "_hometunnel";
    public const string OwnerText = "heritage=hometunnel";

    private readonly IPEndPoint _server;
    private readonly TsigKey? _key;
    private readonly int _timeoutMs;

    public DnsZoneEditor(IPEndPoint server, TsigKey? key, TimeSpan timeout)
    {
        _server = server;
        _key = key;
        _timeoutMs = (int)Math.Clamp(timeout.TotalMilliseconds, 100, 120_000);
    }

    public string Server => _server.Port == 53 ? _server.Address.ToString() : _server.ToString();

    private ARSoft.Tools.Net.Dns.DnsClient Client() => new(new[] { _server.Address },
        new IClientTransport[] { new UdpClientTransport(_server.Port), new TcpClientTransport(_server.Port) }, true, _timeoutMs)
    {
        IsResponseValidationEnabled = true,
    };

    /// <summary>The zone that holds <paramref name="name"/> on this server: the SOA of the answer or of the authority section.</summary>
    public string FindZone(string name, CancellationToken token)
    {
        // A server answers REFUSED for a name in none of its zones: that is no zone here either.
        DnsMessage answer = Query(name, RecordType.Soa, token, refusedIsAnswer: true);
        var soa = answer.AnswerRecords.OfType<SoaRecord>().Concat(answer.AuthorityRecords.OfType<SoaRecord>()).FirstOrDefault();
        string? zone = soa?.Name.ToString(false).TrimEnd('.').ToLowerInvariant();
        if (zone is null || !(name == zone || name.EndsWith("." + zone, StringComparison.Ordinal)))
        {
            throw new HomeTunnelException("DnsZoneNotFound", ErrorKind.ObjectNotFound,
                $"{Server} is not authoritative for a zone that holds {name} (it answered {answer.ReturnCode} with no SOA of one); give the zone's primary server as -DnsServer.", name);
        }
        return zone;
    }

    /// <summary>The name's A, AAAA and CNAME records and its owner mark, as the server has them now.</summary>
    public DnsNameState Read(string name, CancellationToken token)
    {
        var addresses = new List<IPAddress>();
        int ttl = 0;
        foreach (RecordType type in new[] { RecordType.A, RecordType.Aaaa })
        {
            foreach (var r in Query(name, type, token).AnswerRecords.OfType<AddressRecordBase>().Where(r => Same(r.Name, name)))
            {
                addresses.Add(r.Address);
                ttl = r.TimeToLive;
            }
        }
        var cname = Query(name, RecordType.CName, token).AnswerRecords.OfType<CNameRecord>().FirstOrDefault(r => Same(r.Name, name));
        if (cname is not null)
        {
            ttl = cname.TimeToLive;
        }
        bool owned = Query(OwnerName(name), RecordType.Txt, token).AnswerRecords.OfType<TxtRecord>()
            .Any(t => Same(t.Name, OwnerName(name)) && t.TextData == OwnerText);
        return new DnsNameState(name, addresses.OrderBy(a => a.ToString(), StringComparer.Ordinal).ToArray(),
            cname?.CanonicalName.ToString(false).TrimEnd('.').ToLowerInvariant(), ttl, owned);
    }

    /// <summary>
    /// The name's record types other than A, AAAA and CNAME (an ANY query; a server that answers it minimally, RFC 8482,
    /// shows less, and the read-back after an update still checks what was made).
    /// </summary>
    public string[] OtherTypes(string name, CancellationToken token) =>
        Query(name, RecordType.Any, token).AnswerRecords.Where(r => Same(r.Name, name))
            .Select(r => r.RecordType).Where(t => t is not (RecordType.A or RecordType.Aaaa or RecordType.CName or RecordType.RrSig or RecordType.HInfo))
            .Select(t => t.ToString().ToUpperInvariant()).Distinct().OrderBy(t => t, StringComparer.Ordinal).ToArray();

    /// <summary>
    /// One signed update from <paramref name="have"/> to <paramref name="want"/> (an empty want removes the name's records and
    /// the mark), whose prerequisites are <paramref name="have"/> exactly.
    /// </summary>
    public void Update(string zone, DnsNameState have, DnsNameState want, CancellationToken token)
    {
        DomainName name = DomainName.Parse(have.Name);
        DomainName owner = DomainName.Parse(OwnerName(have.Name));
        var message = new DnsUpdateMessage { ZoneName = DomainName.Parse(zone) };

        // The records as read, or their absence: anything else there now fails the update (YXRRSET/NXRRSET).
        var haveV4 = have.Addresses.Where(a => a.AddressFamily == AddressFamily.InterNetwork).ToArray();
        var haveV6 = have.Addresses.Where(a => a.AddressFamily == AddressFamily.InterNetworkV6).ToArray();
        Expect(message, name, RecordType.A, haveV4.Select(a => (DnsRecordBase)new ARecord(name, 0, a)).ToArray());
        Expect(message, name, RecordType.Aaaa, haveV6.Select(a => (DnsRecordBase)new AaaaRecord(name, 0, a)).ToArray());
        Expect(message, name, RecordType.CName, have.CName is null ? Array.Empty<DnsRecordBase>() : new DnsRecordBase[] { new CNameRecord(name, 0, DomainName.Parse(have.CName)) });
        Expect(message, owner, RecordType.Txt, have.Owned ? new DnsRecordBase[] { new TxtRecord(owner, 0, OwnerText) } : Array.Empty<DnsRecordBase>());

        foreach (RecordType type in new[] { RecordType.A, RecordType.Aaaa, RecordType.CName })
        {
            message.Updates.Add(new DeleteAllRecordsUpdate(name, type));
        }
        foreach (IPAddress a in want.Addresses)
        {
            message.Updates.Add(new AddRecordUpdate(a.AddressFamily == AddressFamily.InterNetworkV6 ? new AaaaRecord(name, want.Ttl, a) : new ARecord(name, want.Ttl, a)));
        }
        if (want.CName is not null)
        {
            message.Updates.Add(new AddRecordUpdate(new CNameRecord(name, want.Ttl, DomainName.Parse(want.CName))));
        }
        message.Updates.Add(new DeleteAllRecordsUpdate(owner, RecordType.Txt));
        if (!want.IsEmpty)
        {
            message.Updates.Add(new AddRecordUpdate(new TxtRecord(owner, want.Ttl, OwnerText)));
        }
        Send(message, have.Name, token);
    }

    private static void Expect(DnsUpdateMessage message, DomainName name, RecordType type, DnsRecordBase[] records)
    {
        if (records.Length == 0)
        {
            message.Prequisites.Add(new RecordNotExistsPrequisite(name, type));
        }
        foreach (DnsRecordBase r in records)
        {
            message.Prequisites.Add(new RecordExistsValueDependantPrequisite(r));
        }
    }

    public static string OwnerName(string name) => $"{OwnerLabel}.{name}";

    private static bool Same(DomainName a, string b) => string.Equals(a.ToString(false).TrimEnd('.'), b, StringComparison.OrdinalIgnoreCase);

    private DnsMessage Query(string name, RecordType type, CancellationToken token, bool refusedIsAnswer = false)
    {
        DnsMessage? answer;
        try
        {
            answer = Client().ResolveAsync(DomainName.Parse(name), type, RecordClass.INet, new DnsQueryOptions { IsRecursionDesired = false, IsEDnsEnabled = true }, token)
                .GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw Unreachable(name, e);
        }
        if (answer is null)
        {
            throw TimedOut(name);
        }
        if (answer.ReturnCode is not (ReturnCode.NoError or ReturnCode.NxDomain) && !(refusedIsAnswer && answer.ReturnCode == ReturnCode.Refused))
        {
            throw new HomeTunnelException("DnsQueryFailed", ErrorKind.ResourceUnavailable,
                $"{Server} answered {answer.ReturnCode} to the {type} query for {name}; give the zone's primary server as -DnsServer.", name);
        }
        return answer;
    }

    private void Send(DnsUpdateMessage message, string name, CancellationToken token)
    {
        if (_key is null)
        {
            throw new InvalidOperationException("An update needs a key.");
        }
        byte[] secret = _key.RevealSecret();
        DnsUpdateMessage? answer;
        try
        {
            message.TSigOptions = new TSigRecord(DomainName.Parse(_key.Name), _key.ToArsoft(), DateTime.UtcNow, TimeSpan.FromMinutes(5),
                message.TransactionID, ReturnCode.NoError, null, secret);
            answer = Client().SendUpdateAsync(message, token).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw Unreachable(name, e);
        }
        finally
        {
            Array.Clear(secret);
        }
        if (answer is null)
        {
            throw TimedOut(name);
        }
        ReturnCode tsigError = answer.TSigOptions?.Error ?? ReturnCode.NoError;
        switch (answer.ReturnCode)
        {
            case ReturnCode.NoError:
                // A success the key did not sign is not the server's: an answer anyone on the way could have made.
                if (answer.TSigOptions is null || answer.TSigOptions.ValidationResult != ReturnCode.NoError)
                {
                    throw new HomeTunnelException("DnsAnswerNotSigned", ErrorKind.SecurityError,
                        $"The answer to the update of {name} from {Server} is not signed with the key '{_key.Name}'; the zone is read back to see what it holds.", name);
                }
                return;
            case ReturnCode.NotAuthoritive when tsigError is ReturnCode.BadSig or ReturnCode.BadKey or ReturnCode.BadTime or ReturnCode.BadTrunc:
                throw new HomeTunnelException("DnsKeyRejected", ErrorKind.SecurityError,
                    $"{Server} refused the key '{_key.Name}' ({tsigError}: {(tsigError == ReturnCode.BadKey ? "it does not know the key" : tsigError == ReturnCode.BadTime ? "this machine's clock is off by more than 5 minutes" : "the secret is not the server's")}); nothing was changed.", name);
            case ReturnCode.NotAuthoritive:
            case ReturnCode.NotZone:
                throw new HomeTunnelException("DnsNotAuthoritative", ErrorKind.InvalidOperation,
                    $"{Server} is not the primary server of the zone of {name} ({answer.ReturnCode}); nothing was changed.", name);
            case ReturnCode.Refused:
                throw new HomeTunnelException("DnsUpdateRefused", ErrorKind.PermissionDenied,
                    $"{Server} refused the update of {name} with the key '{_key.Name}' (the zone does not allow this key to update it); nothing was changed.", name);
            case ReturnCode.YXRRSet or ReturnCode.NXRRSet or ReturnCode.NxDomain or ReturnCode.YXDomain:
                throw new HomeTunnelException("DnsRecordChanged", ErrorKind.ResourceBusy,
                    $"The records of {name} changed on {Server} between reading and updating them ({answer.ReturnCode}); nothing was changed. Run the command again.", name);
            default:
                throw new HomeTunnelException("DnsUpdateFailed", ErrorKind.ResourceUnavailable,
                    $"{Server} answered {answer.ReturnCode} to the update of {name}; nothing was changed.", name);
        }
    }

    private HomeTunnelException TimedOut(string name) => new("DnsServerTimeout", ErrorKind.OperationTimeout,
        $"{Server} did not answer within {_timeoutMs / 1000.0:0.#} s (the name was {name}); nothing was changed.", Server);

    private HomeTunnelException Unreachable(string name, Exception e) => new("DnsServerUnreachable", ErrorKind.ConnectionError,
        $"{Server} could not be asked about {name}, or its answer could not be read ({e.GetType().Name}); nothing was changed.", Server);
}
