using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Http;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;

namespace HomeTunnel.Probes;

/// <summary>The answer to one HTTP request: status, body (first 64 KiB) and the certificate seen, or why none came.</summary>
public sealed record HttpAnswer(int Status, string Body, string? Server, X509Certificate2? Certificate, SslPolicyErrors CertificateErrors, string? Error)
{
    /// <summary>The intermediates the server sent (for validating against a private root).</summary>
    public IReadOnlyList<X509Certificate2> Chain { get; init; } = Array.Empty<X509Certificate2>();
}

/// <summary>TCP and HTTP(S) probes that go to a fixed address whatever the name resolves to.</summary>
public static class NetworkProbe
{
    public static async Task<string?> ConnectAsync(IPAddress address, int port, TimeSpan timeout, CancellationToken cancel)
    {
        using var timed = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timed.CancelAfter(timeout);
        using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(address, port), timed.Token).ConfigureAwait(false);
            return null;
        }
        catch (OperationCanceledException)
        {
            return $"no answer within {timeout.TotalSeconds:0.#} s";
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode == SocketError.ConnectionRefused ? "connection refused" : e.Message;
        }
    }

    /// <summary>Sends one datagram and waits for one back: the only way to see a UDP service answer. Null on an answer.</summary>
    public static async Task<string?> UdpExchangeAsync(IPAddress address, int port, byte[] request, TimeSpan timeout, CancellationToken cancel)
    {
        using var timed = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timed.CancelAfter(timeout);
        using var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(address, port), timed.Token).ConfigureAwait(false);
            await socket.SendAsync(request, SocketFlags.None, timed.Token).ConfigureAwait(false);
            var buffer = new byte[2048];
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None, timed.Token).ConfigureAwait(false);
            return n >= 0 ? null : "no answer";
        }
        catch (OperationCanceledException)
        {
            return $"no answer within {timeout.TotalSeconds:0.#} s";
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode == SocketError.ConnectionRefused ? "port unreachable (nothing listens there)" : e.Message;
        }
    }

    /// <summary>GET <paramref name="url"/> from <paramref name="address"/>, sending <paramref name="hostHeader"/> (and SNI).</summary>
    public static async Task<HttpAnswer> GetAsync(IPAddress address, Uri url, string hostHeader, TimeSpan timeout, CancellationToken cancel)
    {
        X509Certificate2? seen = null;
        SslPolicyErrors errors = SslPolicyErrors.None;
        var chainSeen = new List<X509Certificate2>();
        using var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            ConnectTimeout = timeout,
            ConnectCallback = async (ctx, ct) =>
            {
                var s = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await s.ConnectAsync(new IPEndPoint(address, ctx.DnsEndPoint.Port), ct).ConfigureAwait(false);
                    return new NetworkStream(s, ownsSocket: true);
                }
                catch
                {
                    s.Dispose();
                    throw;
                }
            },
            SslOptions = new SslClientAuthenticationOptions
            {
                TargetHost = hostHeader,
                RemoteCertificateValidationCallback = (_, cert, chain, e) =>
                {
                    seen = cert is null ? null : new X509Certificate2(cert);
                    errors = e;
                    if (chain is not null)
                    {
                        foreach (X509ChainElement element in chain.ChainElements)
                        {
                            chainSeen.Add(new X509Certificate2(element.Certificate));
                        }
                    }
                    return true; // judged by the Certificate hop, not here
                },
            },
        };
        using var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        using var timed = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timed.CancelAfter(timeout);
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Host = url.IsDefaultPort ? hostHeader : $"{hostHeader}:{url.Port}";
        request.Headers.UserAgent.ParseAdd("HomeTunnel-Test-TunnelPath/1");
        try
        {
            using HttpResponseMessage response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timed.Token).ConfigureAwait(false);
            var buffer = new byte[65536];
            int total = 0;
            using (var stream = await response.Content.ReadAsStreamAsync(timed.Token).ConfigureAwait(false))
            {
                int n;
                while (total < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(total), timed.Token).ConfigureAwait(false)) > 0)
                {
                    total += n;
                }
            }
            string body = System.Text.Encoding.UTF8.GetString(buffer, 0, total);
            return new HttpAnswer((int)response.StatusCode, body, response.Headers.Server?.ToString(), seen, errors, null) { Chain = chainSeen };
        }
        catch (OperationCanceledException)
        {
            return new HttpAnswer(0, string.Empty, null, seen, errors, $"no answer within {timeout.TotalSeconds:0.#} s");
        }
        catch (HttpRequestException e)
        {
            return new HttpAnswer(0, string.Empty, null, seen, errors, e.GetBaseException().Message);
        }
    }
}
