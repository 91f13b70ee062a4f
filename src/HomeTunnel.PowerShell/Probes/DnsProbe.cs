using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using DnsClient;
using DnsClient.Protocol;

namespace HomeTunnel.Probes;

/// <summary>What a name resolved to, following CNAMEs, and through which chain.</summary>
public sealed record DnsAnswer(IReadOnlyList<IPAddress> Addresses, IReadOnlyList<string> CnameChain, string? Error);

/// <summary>Resolves A and AAAA records (following CNAMEs) from a given server or the system's resolvers.</summary>
public static class DnsProbe
{
    public static async Task<DnsAnswer> ResolveAsync(string name, IPEndPoint? server, TimeSpan timeout, CancellationToken cancel)
    {
        var options = server is null ? new LookupClientOptions() : new LookupClientOptions(new NameServer(server));
        options.Timeout = timeout;
        options.Retries = 1;
        options.UseCache = false;
        options.ThrowDnsErrors = false;
        options.ContinueOnDnsError = false;
        var client = new LookupClient(options);
        var chain = new List<string>();
        string current = name.TrimEnd('.');
        try
        {
            for (int depth = 0; depth < 8; depth++)
            {
                var a = client.QueryAsync(current, QueryType.A, QueryClass.IN, cancel);
                var aaaa = client.QueryAsync(current, QueryType.AAAA, QueryClass.IN, cancel);
                IDnsQueryResponse[] answers = await Task.WhenAll(a, aaaa).ConfigureAwait(false);
                var addresses = answers.SelectMany(r => r.Answers.ARecords().Select(x => x.Address).Concat(r.Answers.AaaaRecords().Select(x => x.Address))).Distinct().ToList();
                if (addresses.Count > 0)
                {
                    return new DnsAnswer(addresses, chain, null);
                }
                CNameRecord? cname = answers.SelectMany(r => r.Answers.CnameRecords()).FirstOrDefault();
                if (cname is null)
                {
                    IDnsQueryResponse first = answers[0];
                    string why = first.HasError ? first.ErrorMessage : "no A or AAAA record";
                    return new DnsAnswer(Array.Empty<IPAddress>(), chain, $"{current}: {why}");
                }
                current = cname.CanonicalName.Value.TrimEnd('.');
                chain.Add(current);
            }
            return new DnsAnswer(Array.Empty<IPAddress>(), chain, "more than 8 CNAMEs in a row");
        }
        catch (DnsResponseException e)
        {
            return new DnsAnswer(Array.Empty<IPAddress>(), chain, e.Message);
        }
        catch (OperationCanceledException)
        {
            return new DnsAnswer(Array.Empty<IPAddress>(), chain, $"no answer within {timeout.TotalSeconds:0.#} s");
        }
    }

    /// <summary>Parses '1.2.3.4', '1.2.3.4:5353', '[::1]:53' or '::1' into the resolver to ask.</summary>
    public static IPEndPoint ParseServer(string text)
    {
        if (IPAddress.TryParse(text, out IPAddress? bare))
        {
            return new IPEndPoint(bare, 53);
        }
        if (IPEndPoint.TryParse(text, out IPEndPoint? ep))
        {
            return ep.Port == 0 ? new IPEndPoint(ep.Address, 53) : ep;
        }
        throw HomeTunnelException.Invalid("InvalidDnsServer", $"'{text}' is not a DNS server address (an IP, optionally with :port).", text);
    }
}
