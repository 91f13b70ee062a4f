using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace HomeTunnel.Apache;

/// <summary>
/// Reads Apache config text into directives the way Apache does: a line ending in '\' continues on the
/// next one before comments are recognised (so "# text \" hides the next line inside the comment, as
/// Apache sees it), '#' starts a comment only at the start of a line, arguments may be quoted.
/// </summary>
public static class ApacheConfigReader
{
    public static IReadOnlyList<ApacheDirective> Read(string text, string where)
    {
        var root = new List<ApacheDirective>();
        var stack = new Stack<(string Name, IReadOnlyList<string> Args, int Line, string Text, List<ApacheDirective> Children)>();
        foreach ((string line, int lineNo) in LogicalLines(text, where))
        {
            string trimmed = line.Trim();
            if (trimmed.Length == 0 || trimmed[0] == '#')
            {
                continue;
            }
            List<ApacheDirective> target = stack.Count > 0 ? stack.Peek().Children : root;
            if (trimmed.StartsWith("</", StringComparison.Ordinal))
            {
                string name = trimmed[2..].TrimEnd('>').Trim();
                if (stack.Count == 0 || !stack.Peek().Name.Equals(name, StringComparison.OrdinalIgnoreCase))
                {
                    throw Error("ApacheSectionMismatch", where, lineNo, $"closes <{Shown(name)}>, which is not open", $"line {lineNo}");
                }
                var open = stack.Pop();
                (stack.Count > 0 ? stack.Peek().Children : root).Add(new ApacheDirective(open.Name, open.Args, open.Line, open.Text, open.Children));
                continue;
            }
            if (trimmed[0] == '<')
            {
                if (!trimmed.EndsWith('>'))
                {
                    throw Error("ApacheSectionInvalid", where, lineNo, "opens a section without a closing '>'", $"line {lineNo}");
                }
                List<string> words = Words(trimmed[1..^1], where, lineNo);
                if (words.Count == 0)
                {
                    throw Error("ApacheSectionInvalid", where, lineNo, "opens a section without a name", $"line {lineNo}");
                }
                CheckName(words[0], where, lineNo);
                stack.Push((words[0], words.GetRange(1, words.Count - 1), lineNo, trimmed, new List<ApacheDirective>()));
                continue;
            }
            List<string> parts = Words(trimmed, where, lineNo);
            CheckName(parts[0], where, lineNo);
            target.Add(new ApacheDirective(parts[0], parts.GetRange(1, parts.Count - 1), lineNo, trimmed));
        }
        if (stack.Count > 0)
        {
            var open = stack.Peek();
            throw Error("ApacheSectionMismatch", where, open.Line, $"opens <{Shown(open.Name)}>, which is never closed", $"line {open.Line}");
        }
        return root;
    }

    private static IEnumerable<(string Line, int LineNo)> LogicalLines(string text, string where)
    {
        string[] lines = text.Split('\n');
        var current = new StringBuilder();
        int start = 0;
        for (int i = 0; i < lines.Length; i++)
        {
            string raw = lines[i].EndsWith('\r') ? lines[i][..^1] : lines[i];
            foreach (char c in raw)
            {
                if (char.IsControl(c) && c != '\t')
                {
                    throw Error("ApacheControlCharacter", where, i + 1, $"has control character \\u{(int)c:x4}", $"line {i + 1}");
                }
            }
            if (current.Length == 0)
            {
                start = i + 1;
            }
            string trimmedEnd = raw.TrimEnd(' ', '\t');
            if (trimmedEnd.EndsWith('\\'))
            {
                current.Append(trimmedEnd, 0, trimmedEnd.Length - 1);
                continue;
            }
            current.Append(raw);
            yield return (current.ToString(), start);
            current.Clear();
        }
        if (current.Length > 0)
        {
            yield return (current.ToString(), start);
        }
    }

    /// <summary>Splits arguments as ap_getword_conf does: white space separates, quotes group, '\' escapes inside quotes.</summary>
    private static List<string> Words(string text, string where, int lineNo)
    {
        var words = new List<string>();
        int i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && char.IsWhiteSpace(text[i]))
            {
                i++;
            }
            if (i >= text.Length)
            {
                break;
            }
            var word = new StringBuilder();
            char quote = text[i] is '"' or '\'' ? text[i] : '\0';
            if (quote != '\0')
            {
                i++;
                while (i < text.Length && text[i] != quote)
                {
                    if (text[i] == '\\' && i + 1 < text.Length)
                    {
                        i++;
                    }
                    word.Append(text[i++]);
                }
                if (i >= text.Length)
                {
                    throw Error("ApacheQuoteUnclosed", where, lineNo, "has a quote that is never closed", $"line {lineNo}");
                }
                i++;
            }
            else
            {
                while (i < text.Length && !char.IsWhiteSpace(text[i]))
                {
                    word.Append(text[i++]);
                }
                if (word[^1] == '\\')
                {
                    // Written back at the end of a line, it would join the next line to this directive.
                    throw Error("ApacheTrailingBackslash", where, lineNo, "has a word ending in '\\', which Apache would read as a line continuation when written back", $"line {lineNo}");
                }
            }
            words.Add(word.ToString());
        }
        return words;
    }

    /// <summary>
    /// A directive or section name is a word of letters, digits and '_'. Anything else is not Apache text
    /// (a line of /etc/shadow handed to Import-ApacheProxySite): refused without repeating the line.
    /// </summary>
    private static void CheckName(string name, string where, int lineNo)
    {
        if (!IsName(name))
        {
            throw Error("ApacheLineInvalid", where, lineNo, "is not an Apache directive (its text is not shown)", $"line {lineNo}");
        }
    }

    private static bool IsName(string s) =>
        s.Length is > 0 and <= 64 && char.IsAsciiLetter(s[0]) && s.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    private static string Shown(string name) => IsName(name) ? name : "(not shown)";

    internal static HomeTunnelException Error(string id, string where, int line, string what, string target) =>
        new(id, ErrorKind.ParserError, $"{where}, line {line}: '{DnsName.Printable(target)}' {what}.", target);
}
