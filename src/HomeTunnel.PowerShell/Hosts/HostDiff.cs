using System;
using System.Collections.Generic;
using System.Linq;

namespace HomeTunnel.Hosts;

/// <summary>One file as the host has it and as HomeTunnel wants it (null: absent / to be removed).</summary>
public sealed record HostFileFact(string Path, string? Current, bool LiveOnly);

/// <summary>
/// The diff shown by -WhatIf, -Confirm and a result's Diff: made here from the host's raw file text, both
/// sides redacted the same way first, so a key on the host never shows in any spelling.
/// </summary>
public static class HostDiff
{
    public static string Build(IEnumerable<HostFileFact> files, IReadOnlyDictionary<string, string?> wanted, IReadOnlyCollection<string> secrets)
    {
        var parts = new List<string>();
        foreach (HostFileFact f in files)
        {
            string? want = wanted.TryGetValue(f.Path, out string? w) ? w : null;
            string diff = Lines(Redaction.Redact(f.Current, secrets), Redaction.Redact(want, secrets), f.Path);
            if (f.LiveOnly)
            {
                diff += $"\n(the live interface differs from {f.Path}: its peers will be synced)";
            }
            parts.Add(diff);
        }
        return string.Join('\n', parts);
    }

    /// <summary>
    /// A linear diff: the common head and tail are kept, the middle that differs is shown as '-' lines going
    /// and '+' lines coming. Enough for config files, and O(n) for a relay with thousands of peers.
    /// </summary>
    public static string Lines(string? old, string? now, string name)
    {
        string[] a = string.IsNullOrEmpty(old) ? Array.Empty<string>() : old.Split('\n');
        string[] b = string.IsNullOrEmpty(now) ? Array.Empty<string>() : now.Split('\n');
        var lines = new List<string> { $"--- {name} (on the host)", $"+++ {name} (wanted)" };
        int head = 0;
        while (head < a.Length && head < b.Length && a[head] == b[head])
        {
            head++;
        }
        int tail = 0;
        while (tail < a.Length - head && tail < b.Length - head && a[a.Length - 1 - tail] == b[b.Length - 1 - tail])
        {
            tail++;
        }
        if (head > 0)
        {
            lines.Add($"@@ after line {head} @@");
        }
        lines.AddRange(a.Skip(head).Take(a.Length - head - tail).Select(l => "-" + l));
        lines.AddRange(b.Skip(head).Take(b.Length - head - tail).Select(l => "+" + l));
        return string.Join('\n', lines);
    }
}
