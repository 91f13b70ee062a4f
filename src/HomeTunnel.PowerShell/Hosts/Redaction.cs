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

    /// <summary>Password hashes of every form htpasswd and crypt(3) write: apr1, MD5/SHA crypt, yescrypt, {SHA}/{SSHA}.</summary>
    [GeneratedRegex(@"\$(?:apr1|1|5|6|y|gy|7|sha1|md5)\$[^\s:]+|\{S?SHA\}[A-Za-z0-9+/=]+")]
    private static partial Regex OtherHash();

    /// <summary>An htpasswd line ("user:anything"): whatever stands after the colon is a password or its hash.</summary>
    [GeneratedRegex(@"\A(?<user>[A-Za-z0-9][A-Za-z0-9._@-]{0,63}):(?<secret>\S{4,})\z")]
    private static partial Regex PasswordLine();

    /// <summary>A URI's user-info ("https://user:pass@"), query values and long path tokens (ntfy topics, check UUIDs).</summary>
    [GeneratedRegex(@"(?i)(?<scheme>[a-z][a-z0-9+.-]*://)(?<userinfo>[^/\s@]*@)?(?<host>[^/\s?#]*)(?<rest>[^\s""'<>]*)")]
    private static partial Regex Uri();

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
        text = HostText.Printable(text);
        text = BcryptHash().Replace(text, "(bcrypt hash)");
        text = OtherHash().Replace(text, "(password hash)");
        text = Uri().Replace(text, m => m.Groups["scheme"].Value + (m.Groups["userinfo"].Success ? "(redacted)@" : string.Empty) + m.Groups["host"].Value + UriRest(m.Groups["rest"].Value));
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            Match secret = SecretLine().Match(line.TrimEnd('\r'));
            Match password = PasswordLine().Match(line.TrimStart('+', '-', ' ').TrimEnd('\r'));
            if (secret.Success)
            {
                lines[i] = secret.Groups[1].Value + WireGuard.SecretKey.Redacted;
            }
            else if (password.Success && !password.Groups["secret"].Value.StartsWith('(') && !password.Groups["secret"].Value.StartsWith("//", StringComparison.Ordinal))
            {
                lines[i] = line.Replace(password.Groups["secret"].Value, "(password or hash)", StringComparison.Ordinal);
            }
            else if (!PublicLine().IsMatch(line.TrimEnd('\r')))
            {
                lines[i] = KeyToken().Replace(line, WireGuard.SecretKey.Redacted);
            }
        }
        return string.Join('\n', lines);
    }

    /// <summary>A URI's path and query with their tokens hidden: query values, and path segments long enough to be one.</summary>
    private static string UriRest(string rest)
    {
        int q = rest.IndexOf('?');
        string path = q < 0 ? rest : rest[..q];
        string query = q < 0 ? string.Empty : rest[q..];
        string[] segments = path.Split('/');
        for (int i = 0; i < segments.Length; i++)
        {
            string seg = segments[i];
            if (seg.Length >= 12 && seg.Any(char.IsAsciiDigit) && seg.Any(char.IsAsciiLetter) && !seg.Contains('.'))
            {
                segments[i] = "(redacted)";
            }
        }
        query = Regex.Replace(query, "=[^&#]*", "=(redacted)");
        return string.Join('/', segments) + query;
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
                hiding = !owned.Contains(System.IO.Path.GetFileName(file)) || !(file.StartsWith(HomeTunnel.Apache.ApacheLayout.Etc + "/sites-", StringComparison.Ordinal));
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
