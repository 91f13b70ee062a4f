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
        if (CloudInternal(uri.Host) is { } what)
        {
            // A scheduled check runs as root on a VPS: a URI at the cloud's metadata service would post the check's
            // news (and read its answer into the log) from the instance's own credentials endpoint.
            throw HomeTunnelException.Invalid("NotifyUriInternal", $"A -NotifyUri points at {what} ({uri.Host}); a notice goes to a receiver on the network, never there.", uri.Host);
        }
        return new NotifyTarget(uri, kind == NotifyKind.Auto ? Recognise(uri) : kind);
    }

    /// <summary>The cloud's metadata service by address (link-local, fd00:ec2::254) or by its well-known names; null otherwise.</summary>
    private static string? CloudInternal(string host)
    {
        string h = host.Trim('[', ']').ToLowerInvariant();
        if (h is "metadata.google.internal" or "metadata" or "instance-data" || h.EndsWith(".internal", StringComparison.Ordinal) && h.StartsWith("metadata", StringComparison.Ordinal))
        {
            return "the cloud's metadata service";
        }
        if (!System.Net.IPAddress.TryParse(h, out System.Net.IPAddress? ip))
        {
            return null;
        }
        if (ip.IsIPv4MappedToIPv6)
        {
            ip = ip.MapToIPv4();
        }
        byte[] b = ip.GetAddressBytes();
        bool linkLocal = b.Length == 4 ? b[0] == 169 && b[1] == 254 : ip.IsIPv6LinkLocal || h == "fd00:ec2::254";
        return linkLocal ? "a link-local address (the cloud's metadata service lives there)" : null;
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
