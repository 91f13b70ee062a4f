using System.Management.Automation;
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace HomeTunnel.Probes;

/// <summary>The verdict on one name's path: every hop, the overall status and the first hop that failed.</summary>
public sealed class TunnelPathResult
{
    public string ServerName { get; init; } = string.Empty;
    public HopStatus Status { get; init; }
    public TunnelHop? FailedHop { get; init; }
    public string Remedy { get; init; } = string.Empty;
    public DateTimeOffset CheckedAt { get; init; }
    /// <summary>In JSON as DurationMs.</summary>
    [Newtonsoft.Json.JsonIgnore, Hidden]
    public TimeSpan Duration { get; init; }
    public double DurationMs => Math.Round(Duration.TotalMilliseconds, 1);
    public IReadOnlyList<TunnelPathHopResult> Hops { get; init; } = Array.Empty<TunnelPathHopResult>();

    /// <summary>Seconds since the relay's last handshake with the home peer behind the site (null: not seen).</summary>
    public double? HandshakeAgeSeconds { get; init; }

    /// <summary>Days until the site's certificate expires (null: HTTP only, or no certificate seen).</summary>
    public double? CertificateDaysLeft { get; init; }

    public static TunnelPathResult From(string serverName, IEnumerable<TunnelPathHopResult> hops, DateTimeOffset checkedAt, TimeSpan duration,
        double? handshakeAgeSeconds = null, double? certificateDaysLeft = null)
    {
        var ordered = hops.OrderBy(h => h.Hop).ToArray();
        TunnelPathHopResult? failed = ordered.FirstOrDefault(h => h.Status == HopStatus.Fail);
        TunnelPathHopResult? warned = ordered.FirstOrDefault(h => h.Status == HopStatus.Warn);
        return new TunnelPathResult
        {
            ServerName = serverName,
            Status = failed is not null ? HopStatus.Fail : warned is not null ? HopStatus.Warn : HopStatus.Pass,
            FailedHop = failed?.Hop,
            Remedy = (failed ?? warned)?.Remedy ?? string.Empty,
            CheckedAt = checkedAt,
            Duration = duration,
            Hops = ordered,
            HandshakeAgeSeconds = handshakeAgeSeconds,
            CertificateDaysLeft = certificateDaysLeft,
        };
    }

    /// <summary>The compact table the default view shows: a headline, one line per hop, the remedy.</summary>
    public string ToTable()
    {
        var sb = new StringBuilder();
        string verdict = FailedHop is { } f ? $"Fail at {f}" : Status.ToString();
        sb.Append(CultureInfo.InvariantCulture, $"{ServerName}: {verdict} ({Duration.TotalSeconds:0.00} s)\n");
        int detailWidth = Math.Max(10, Console.IsOutputRedirected ? 100 : Math.Max(40, SafeWidth() - 34));
        sb.Append("Hop          Status   Time  Detail\n");
        sb.Append("---          ------   ----  ------\n");
        foreach (TunnelPathHopResult h in Hops)
        {
            string detail = h.Detail.Replace('\n', ' ');
            if (detail.Length > detailWidth)
            {
                detail = detail[..(detailWidth - 1)] + "…";
            }
            sb.Append(CultureInfo.InvariantCulture, $"{h.Hop,-12} {h.Status,-7} {FormatMs(h.Duration),5}  {detail}\n");
        }
        if (Remedy.Length > 0)
        {
            sb.Append("Remedy: ").Append(Remedy).Append('\n');
        }
        return sb.ToString();
    }

    private static string FormatMs(TimeSpan t) => t.TotalMilliseconds < 1000
        ? string.Create(CultureInfo.InvariantCulture, $"{t.TotalMilliseconds:0}ms")
        : string.Create(CultureInfo.InvariantCulture, $"{t.TotalSeconds:0.0}s");

    private static int SafeWidth()
    {
        try
        {
            return Console.WindowWidth > 0 ? Console.WindowWidth : 120;
        }
        catch (System.IO.IOException)
        {
            return 120;
        }
    }

    public override string ToString() => FailedHop is { } f ? $"{ServerName}: Fail at {f}" : $"{ServerName}: {Status}";
}
