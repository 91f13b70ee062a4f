using System;
using System.Collections.Generic;

namespace HomeTunnel.Bootstrap;

/// <summary>The host's /etc/os-release (os-release(5)): which distribution and version it is.</summary>
public sealed record OsRelease(string Id, IReadOnlyList<string> IdLike, string VersionId, string PrettyName)
{
    public static OsRelease Parse(string text)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.Trim();
            int eq = line.IndexOf('=');
            if (line.Length == 0 || line[0] == '#' || eq <= 0)
            {
                continue;
            }
            string value = line[(eq + 1)..].Trim();
            if (value.Length >= 2 && (value[0] == '"' || value[0] == '\'') && value[^1] == value[0])
            {
                value = value[1..^1].Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);
            }
            values[line[..eq]] = value;
        }
        string Get(string key) => values.TryGetValue(key, out string? v) ? v : string.Empty;
        return new OsRelease(
            Get("ID").ToLowerInvariant(),
            Get("ID_LIKE").ToLowerInvariant().Split(' ', StringSplitOptions.RemoveEmptyEntries),
            Get("VERSION_ID"),
            // The host's own words reach the admin's console: as data, never as terminal control.
            HostText.Printable(Get("PRETTY_NAME").Length > 0 ? Get("PRETTY_NAME") : Get("ID")));
    }

    public bool Is(string family) => Id == family || System.Linq.Enumerable.Contains(IdLike, family);

    /// <summary>The major version: "12" of "12", "24" of "24.04", "3" of "3.20.1".</summary>
    public string Major => VersionId.Split('.')[0];
}
