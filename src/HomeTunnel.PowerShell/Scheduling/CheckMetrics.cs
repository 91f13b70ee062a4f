using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using HomeTunnel.Probes;

namespace HomeTunnel.Scheduling;

/// <summary>
/// A check's results as a Prometheus textfile-collector file (node_exporter --collector.textfile.directory):
/// per name and hop its status and duration, the tunnel's handshake age, the certificate's days left. Written
/// to a staged file beside the target and renamed over it, so the collector never reads half a file.
/// </summary>
public static class CheckMetrics
{
    /// <summary>0 pass, 1 warn, 2 fail, 3 error (the check could not run), for the path; hops add 4 skipped.</summary>
    public static int Code(string status) => status switch { "Pass" => 0, "Warn" => 1, "Fail" => 2, "Skipped" => 4, _ => 3 };

    public static string Render(string check, IReadOnlyList<CheckRecord> records, DateTimeOffset now)
    {
        var sb = new StringBuilder();
        void Family(string name, string help)
        {
            sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
            sb.Append("# TYPE ").Append(name).Append(" gauge\n");
        }
        void Sample(string name, IEnumerable<(string Key, string Value)> labels, double value)
        {
            sb.Append(name).Append('{').Append(string.Join(',', labels.Select(l => $"{l.Key}=\"{Escape(l.Value)}\""))).Append("} ")
                .Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        }
        (string, string)[] Of(CheckRecord r) => new[] { ("check", check), ("server_name", r.ServerName) };

        Family("hometunnel_path_status", "The path's verdict per name: 0 pass, 1 warn, 2 fail, 3 error (the check could not run).");
        foreach (CheckRecord r in records)
        {
            Sample("hometunnel_path_status", Of(r), Code(r.Status));
        }
        Family("hometunnel_path_duration_seconds", "How long the check of the name took.");
        foreach (CheckRecord r in records)
        {
            Sample("hometunnel_path_duration_seconds", Of(r), Math.Round(r.DurationMs / 1000, 4));
        }
        Family("hometunnel_hop_status", "Each hop's status: 0 pass, 1 warn, 2 fail, 4 skipped.");
        foreach (CheckRecord r in records)
        {
            foreach (CheckHopRecord h in r.Hops)
            {
                Sample("hometunnel_hop_status", Of(r).Append(("hop", h.Hop)), Code(h.Status));
            }
        }
        Family("hometunnel_hop_duration_seconds", "How long each hop's probe took.");
        foreach (CheckRecord r in records)
        {
            foreach (CheckHopRecord h in r.Hops)
            {
                Sample("hometunnel_hop_duration_seconds", Of(r).Append(("hop", h.Hop)), Math.Round(h.DurationMs / 1000, 4));
            }
        }
        if (records.Any(r => r.HandshakeAgeSeconds is not null))
        {
            Family("hometunnel_handshake_age_seconds", "Seconds since the relay's last WireGuard handshake with the home peer behind the name.");
            foreach (CheckRecord r in records.Where(r => r.HandshakeAgeSeconds is not null))
            {
                Sample("hometunnel_handshake_age_seconds", Of(r), r.HandshakeAgeSeconds!.Value);
            }
        }
        if (records.Any(r => r.CertificateDaysLeft is not null))
        {
            Family("hometunnel_certificate_days_left", "Days until the name's certificate expires.");
            foreach (CheckRecord r in records.Where(r => r.CertificateDaysLeft is not null))
            {
                Sample("hometunnel_certificate_days_left", Of(r), r.CertificateDaysLeft!.Value);
            }
        }
        Family("hometunnel_check_last_run_timestamp_seconds", "When the check last ran (Unix time).");
        Sample("hometunnel_check_last_run_timestamp_seconds", new[] { ("check", check) }, now.ToUnixTimeSeconds());
        return sb.ToString();
    }

    /// <summary>Label values: backslash, double quote and line feed escaped, as the text format says.</summary>
    public static string Escape(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    /// <summary>Staged as ".&lt;name&gt;.&lt;guid&gt;.tmp" (the collector reads *.prom only) and renamed over the file.</summary>
    public static void Write(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path) ?? ".");
        Files.WriteTextAtomic(path, text, ownerOnly: false, overwrite: true);
    }

    /// <summary>A metrics path: a .prom file outside the system's folders (the collector's directory, usually).</summary>
    public static string CheckPath(string path)
    {
        if (!path.EndsWith(".prom", StringComparison.Ordinal) || path.Any(char.IsControl) || TunnelPathCheckPlan.InSystemFolder(path))
        {
            throw HomeTunnelException.Invalid("InvalidMetricsPath",
                $"'{DnsName.Printable(path)}' cannot be a metrics file: use a file ending in .prom in the textfile collector's folder (e.g. /var/lib/prometheus/node-exporter/hometunnel.prom), outside /etc, /usr and the system's folders.", path);
        }
        return path;
    }
}
