using System;
using System.Linq;

namespace HomeTunnel.Scheduling;

/// <summary>How a scheduled check tells someone: a plain JSON webhook, an ntfy topic, or a healthchecks ping URL.</summary>
[Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
public enum NotifyKind
{
    Auto,
    Webhook,
    Ntfy,
    Healthchecks,
}

/// <summary>
/// One place a check's news goes. The URI is a secret (an ntfy topic, a healthchecks UUID, a webhook token are
/// all in it): it lives only in the check's 0600 data file, and everything shown — results, verbose lines, the
/// log, errors — uses <see cref="Display"/>, which keeps the scheme and host and hides the rest.
/// </summary>
public sealed class NotifyTarget
{
    private NotifyTarget(Uri uri, NotifyKind kind)
    {
        Uri = uri;
        Kind = kind;
    }

    internal Uri Uri { get; }

    public NotifyKind Kind { get; }

    /// <summary>"https://ntfy.sh/…": what may be shown of the URI.</summary>
    public string Display => $"{Uri.Scheme}://{Uri.Host}{(Uri.IsDefaultPort ? string.Empty : ":" + Uri.Port)}/…";

    /// <summary>The URI as the check's data file keeps it (only there).</summary>
    public string Reveal() => Uri.AbsoluteUri;

    public override string ToString() => $"{Kind} {Display}";

    public static NotifyTarget Parse(string? text, NotifyKind kind = NotifyKind.Auto)
    {
        string value = text ?? string.Empty;
        if (!Uri.TryCreate(value, UriKind.Absolute, out Uri? uri) || uri.Scheme is not ("https" or "http") || string.IsNullOrEmpty(uri.Host)
            || value.Any(char.IsControl) || value.Any(char.IsWhiteSpace))
        {
            // The value is not shown: a URI that failed to parse may still hold a token.
            throw HomeTunnelException.Invalid("NotifyUriInvalid", "A -NotifyUri is not an absolute http(s) URI without spaces; the value is not shown (it may hold a token).", "NotifyUri");
        }
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            throw HomeTunnelException.Invalid("NotifyUriInvalid", "A -NotifyUri carries a user and password before the host; put a token in the path or query instead. The value is not shown.", "NotifyUri");
        }
        return new NotifyTarget(uri, kind == NotifyKind.Auto ? Recognise(uri) : kind);
    }

    /// <summary>hc-ping.com and "/ping/&lt;uuid&gt;" are healthchecks; ntfy.sh and a host named ntfy are ntfy; anything else a webhook.</summary>
    private static NotifyKind Recognise(Uri uri)
    {
        string host = uri.Host.ToLowerInvariant();
        if (host == "hc-ping.com" || host.EndsWith(".hc-ping.com", StringComparison.Ordinal) || uri.AbsolutePath.StartsWith("/ping/", StringComparison.Ordinal))
        {
            return NotifyKind.Healthchecks;
        }
        if (host == "ntfy.sh" || host.StartsWith("ntfy.", StringComparison.Ordinal))
        {
            return NotifyKind.Ntfy;
        }
        return NotifyKind.Webhook;
    }

    /// <summary>Text with this target's URI (and its path and query, wherever they appear) hidden.</summary>
    public string Redact(string? text)
    {
        string t = text ?? string.Empty;
        foreach (string secret in new[] { Uri.AbsoluteUri, Uri.OriginalString, Uri.PathAndQuery }.Where(s => s.Length > 1).Distinct())
        {
            t = t.Replace(secret, secret == Uri.PathAndQuery ? "/…" : Display, StringComparison.Ordinal);
        }
        return t;
    }
}
