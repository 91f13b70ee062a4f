using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;

namespace HomeTunnel.Hosts;

/// <summary>
/// The one place where text that came from a host is made safe to show: key material out of diffs,
/// errors and verbose lines, whatever its spelling, and the content of files HomeTunnel did not write out
/// of errors. Redaction is case-insensitive in key names and position-independent: any token shaped like
/// a WireGuard key is hidden unless it stands on a PublicKey line.
/// </summary>
public static partial class Redaction
{
    /// <summary>A 32-byte key in canonical base64, not part of a longer base64 run.</summary>
    [GeneratedRegex(@"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=(?![A-Za-z0-9+/=])")]
    private static partial Regex KeyToken();

    /// <summary>A secret-named line in any case and spacing wg accepts (wg matches key names case-insensitively).</summary>
    [GeneratedRegex(@"(?i)\A(\s*(?:private|preshared)[\s_-]*key\s*=\s*).*\z")]
    private static partial Regex SecretLine();

    [GeneratedRegex(@"(?i)\A\s*PublicKey\s*=\s*[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=\s*(#.*)?\z")]
    private static partial Regex PublicLine();

    /// <summary>A bcrypt hash (an htpasswd line behind a site's door): not a password, but not for any stream either.</summary>
    [GeneratedRegex(@"\$2[abxy]\$\d\d\$[./A-Za-z0-9]{53}")]
    private static partial Regex BcryptHash();

    [GeneratedRegex(@"Syntax error on line \d+ of (?<file>[^:\s]+):")]
    private static partial Regex ApacheSyntaxError();

    public static string Redact(string? text, IEnumerable<string> secrets)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text ?? string.Empty;
        }
        foreach (string s in secrets)
        {
            if (!string.IsNullOrEmpty(s))
            {
                text = text.Replace(s, WireGuard.SecretKey.Redacted, StringComparison.Ordinal);
            }
        }
        text = BcryptHash().Replace(text, "(bcrypt hash)");
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            Match secret = SecretLine().Match(line.TrimEnd('\r'));
            if (secret.Success)
            {
                lines[i] = secret.Groups[1].Value + WireGuard.SecretKey.Redacted;
            }
            else if (!PublicLine().IsMatch(line.TrimEnd('\r')))
            {
                lines[i] = KeyToken().Replace(line, WireGuard.SecretKey.Redacted);
            }
        }
        return string.Join('\n', lines);
    }

    /// <summary>
    /// Text for an ErrorRecord: redacted, and where a tool quotes a line of a file HomeTunnel did not write
    /// (Apache's "Syntax error on line N of FILE:" followed by that line), the quoted line is left out.
    /// </summary>
    public static string ForError(string? text, IEnumerable<string> secrets, IReadOnlyCollection<string> ownFiles)
    {
        string safe = Redact(text, secrets);
        if (safe.Length == 0)
        {
            return safe;
        }
        var owned = new HashSet<string>(ownFiles.Select(f => System.IO.Path.GetFileName(f)), StringComparer.Ordinal);
        var sb = new StringBuilder();
        bool hiding = false;
        foreach (string line in safe.Split('\n'))
        {
            Match m = ApacheSyntaxError().Match(line);
            if (m.Success)
            {
                string file = m.Groups["file"].Value;
                hiding = !owned.Contains(System.IO.Path.GetFileName(file)) || !(file.StartsWith("/etc/apache2/sites-", StringComparison.Ordinal));
                sb.Append(line).Append('\n');
                if (hiding)
                {
                    sb.Append($"(the line's text is not shown: {file} is not a file HomeTunnel wrote)\n");
                }
                continue;
            }
            if (hiding && !line.StartsWith("Action '", StringComparison.Ordinal) && !line.StartsWith("AH", StringComparison.Ordinal))
            {
                continue;
            }
            hiding = false;
            sb.Append(line).Append('\n');
        }
        return sb.ToString().TrimEnd('\n');
    }
}
