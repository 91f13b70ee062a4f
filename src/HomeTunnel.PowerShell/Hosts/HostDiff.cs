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
    /// A unified diff with <paramref name="context"/> lines around each change: the common head and tail are trimmed in
    /// one linear pass (a relay's file with thousands of peers stays cheap), the middle is diffed line by line (DiffPlex's
    /// Myers), and changes closer than twice the context share a hunk. Two changed lines in a long file print two small
    /// hunks, not the file.
    /// </summary>
    public static string Lines(string? old, string? now, string name, int context = 3)
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
        // The changes as (start in a, count in a, start in b, count in b), in order.
        var blocks = Blocks(a, b, head, a.Length - head - tail, b.Length - head - tail);
        int i = 0;
        while (i < blocks.Count)
        {
            // One hunk: this change and every next one whose context touches it.
            int j = i;
            while (j + 1 < blocks.Count && blocks[j + 1].A - (blocks[j].A + blocks[j].CountA) <= 2 * context)
            {
                j++;
            }
            int startA = Math.Max(0, blocks[i].A - context);
            int endA = Math.Min(a.Length, blocks[j].A + blocks[j].CountA + context);
            int startB = startA + (blocks[i].B - blocks[i].A);
            int endB = endA + (blocks[j].B + blocks[j].CountB - blocks[j].A - blocks[j].CountA);
            lines.Add($"@@ -{(endA > startA ? startA + 1 : startA)},{endA - startA} +{(endB > startB ? startB + 1 : startB)},{endB - startB} @@");
            int at = startA;
            for (int k = i; k <= j; k++)
            {
                for (; at < blocks[k].A; at++)
                {
                    lines.Add(" " + a[at]);
                }
                lines.AddRange(a.Skip(blocks[k].A).Take(blocks[k].CountA).Select(l => "-" + l));
                lines.AddRange(b.Skip(blocks[k].B).Take(blocks[k].CountB).Select(l => "+" + l));
                at = blocks[k].A + blocks[k].CountA;
            }
            for (; at < endA; at++)
            {
                lines.Add(" " + a[at]);
            }
            i = j + 1;
        }
        return string.Join('\n', lines);
    }

    /// <summary>
    /// The changed runs of the middle a[from..from+countA] against b[from..from+countB], as absolute line numbers: each
    /// distinct line becomes one character, and DiffPlex diffs the two strings. A middle of more distinct lines than the
    /// characters used is one change.
    /// </summary>
    private static List<(int A, int CountA, int B, int CountB)> Blocks(string[] a, string[] b, int from, int countA, int countB)
    {
        var result = new List<(int A, int CountA, int B, int CountB)>();
        if (countA == 0 && countB == 0)
        {
            return result;
        }
        const int First = 0x4E00, Last = 0x9FFF;
        var codes = new Dictionary<string, char>(StringComparer.Ordinal);
        string Encode(string[] lines, int count)
        {
            var sb = new System.Text.StringBuilder(count);
            for (int k = from; k < from + count; k++)
            {
                if (!codes.TryGetValue(lines[k], out char c))
                {
                    c = (char)(First + codes.Count);
                    codes[lines[k]] = c;
                }
                sb.Append(c);
            }
            return sb.ToString();
        }
        string left = Encode(a, countA);
        string right = Encode(b, countB);
        if (countA == 0 || countB == 0 || First + codes.Count > Last)
        {
            result.Add((from, countA, from, countB));
            return result;
        }
        foreach (DiffPlex.Model.DiffBlock block in DiffPlex.Differ.Instance.CreateCharacterDiffs(left, right, false).DiffBlocks)
        {
            result.Add((from + block.DeleteStartA, block.DeleteCountA, from + block.InsertStartB, block.InsertCountB));
        }
        return result;
    }
}
