using System;
using System.Diagnostics;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace HomeTunnel.Scheduling;

/// <summary>The news about one name, as a check sends it.</summary>
public sealed record CheckNotice(string CheckName, string ServerName, CheckEvent Event, string Status, string PreviousStatus, string FailedHop,
    string Detail, string Remedy, DateTimeOffset Time);

/// <summary>How one delivery went: shown and logged with the target's redacted form only.</summary>
public sealed record CheckDelivery(string Target, NotifyKind Kind, string ServerName, CheckEvent Event, bool Delivered, int Attempts, string? Error, TimeSpan Took);

/// <summary>
/// Sends a notice to a target: a webhook gets the verdict as JSON, an ntfy topic a title, a message and a
/// priority, a healthchecks URL its success ping (or /fail). Bounded: each attempt has its own timeout, a few
/// attempts with a growing pause between them, and the caller's deadline ends it all; it never throws.
/// </summary>
public static class CheckNotifier
{
    // A body for a receiver, not for HTML: '+' and non-ASCII stay as they are.
    private static readonly JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static async Task<CheckDelivery> SendAsync(HttpClient http, NotifyTarget target, CheckNotice notice, TimeSpan attemptTimeout, int attempts, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        string? error = null;
        int tried = 0;
        for (int attempt = 1; attempt <= attempts && !cancel.IsCancellationRequested; attempt++)
        {
            tried = attempt;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            timeout.CancelAfter(attemptTimeout);
            try
            {
                using HttpRequestMessage request = Build(target, notice);
                using HttpResponseMessage response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return new CheckDelivery(target.Display, target.Kind, notice.ServerName, notice.Event, true, attempt, null, clock.Elapsed);
                }
                // The receiver's reason phrase is its text, not ours: it can carry the token back, so only the code is kept.
                error = $"HTTP {(int)response.StatusCode}";
            }
            catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
            {
                error = $"no answer within {attemptTimeout.TotalSeconds:0} s";
            }
            catch (OperationCanceledException)
            {
                error = "the check's deadline passed";
                break;
            }
            catch (HttpRequestException e)
            {
                error = Failure(e);
            }
            if (attempt < attempts)
            {
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(attempt), cancel).ConfigureAwait(false); // 1 s, then 2 s
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
        return new CheckDelivery(target.Display, target.Kind, notice.ServerName, notice.Event, false, tried, error ?? "not sent", clock.Elapsed);
    }

    /// <summary>
    /// Why a request failed, in our words: .NET's message quotes what the receiver sent (an invalid status line is
    /// echoed whole), which can carry the token back or a terminal's escape sequence, so only the kind of failure is kept.
    /// </summary>
    internal static string Failure(HttpRequestException e) => e.HttpRequestError switch
    {
        HttpRequestError.NameResolutionError => "the receiver's name does not resolve",
        HttpRequestError.ConnectionError => e.GetBaseException() is System.Net.Sockets.SocketException s ? $"no connection ({s.SocketErrorCode})" : "no connection",
        HttpRequestError.SecureConnectionError => "the TLS handshake failed",
        HttpRequestError.InvalidResponse or HttpRequestError.ResponseEnded => "the receiver's answer was not HTTP",
        HttpRequestError.ConfigurationLimitExceeded => "the receiver's answer was too large",
        HttpRequestError.ProxyTunnelError => "the proxy refused the connection",
        HttpRequestError.HttpProtocolError or HttpRequestError.VersionNegotiationError => "the receiver broke the HTTP protocol",
        HttpRequestError.UserAuthenticationError => "the receiver asked for authentication",
        _ => "the request failed",
    };

    public static HttpRequestMessage Build(NotifyTarget target, CheckNotice n)
    {
        bool down = CheckState.IsDown(n.Status);
        string summary = down
            ? $"{n.ServerName}: {n.Status} at {n.FailedHop}. {n.Detail}".TrimEnd() + (n.Remedy.Length > 0 ? $"\nRemedy: {n.Remedy}" : string.Empty)
            : $"{n.ServerName}: {n.Status}" + (n.Detail.Length > 0 ? $". {n.Detail}" : string.Empty);
        switch (target.Kind)
        {
            case NotifyKind.Healthchecks:
            {
                // A dead man's switch: every run pings, the service decides what is news.
                var uri = down ? new Uri(target.Uri.AbsoluteUri.TrimEnd('/') + "/fail") : target.Uri;
                return new HttpRequestMessage(HttpMethod.Post, uri) { Content = new StringContent(summary, Encoding.UTF8, "text/plain") };
            }
            case NotifyKind.Ntfy:
            {
                var request = new HttpRequestMessage(HttpMethod.Post, target.Uri) { Content = new StringContent(summary, Encoding.UTF8, "text/plain") };
                string title = n.Event switch
                {
                    CheckEvent.Down => $"{n.ServerName} is down",
                    CheckEvent.Reminder => $"{n.ServerName} is still down",
                    CheckEvent.Warn => $"{n.ServerName} needs attention",
                    CheckEvent.Withdrawn => $"{n.ServerName}: a relay was taken out of DNS",
                    CheckEvent.Restored => $"{n.ServerName}: a relay is back in DNS",
                    _ => $"{n.ServerName} is back",
                };
                request.Headers.TryAddWithoutValidation("Title", Ascii(title));
                request.Headers.TryAddWithoutValidation("Priority", n.Event switch { CheckEvent.Down => "urgent", CheckEvent.Reminder => "high", _ => "default" });
                request.Headers.TryAddWithoutValidation("Tags", n.Event switch { CheckEvent.Down or CheckEvent.Reminder => "rotating_light", CheckEvent.Warn or CheckEvent.Withdrawn => "warning", _ => "white_check_mark" });
                return request;
            }
            default:
            {
                string json = JsonSerializer.Serialize(new
                {
                    @event = n.Event.ToString(),
                    check = n.CheckName,
                    serverName = n.ServerName,
                    status = n.Status,
                    previousStatus = n.PreviousStatus,
                    failedHop = n.FailedHop,
                    detail = n.Detail,
                    remedy = n.Remedy,
                    time = n.Time.ToString("o", System.Globalization.CultureInfo.InvariantCulture),
                }, Json);
                return new HttpRequestMessage(HttpMethod.Post, target.Uri) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
            }
        }
    }

    private static string Ascii(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (char c in s)
        {
            sb.Append(c is >= ' ' and <= '~' ? c : '?');
        }
        return sb.ToString();
    }
}
