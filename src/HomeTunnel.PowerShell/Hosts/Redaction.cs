using System.Collections.Generic;
using System.Text.RegularExpressions;

namespace HomeTunnel.Hosts;

/// <summary>Takes key material out of text that came from a host (wg prints keys in some errors).</summary>
public static partial class Redaction
{
    [GeneratedRegex(@"(?im)^(\s*(PrivateKey|PresharedKey)\s*=\s*).*$")]
    private static partial Regex KeyLine();

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
                text = text.Replace(s, WireGuard.SecretKey.Redacted, System.StringComparison.Ordinal);
            }
        }
        return KeyLine().Replace(text, "$1" + WireGuard.SecretKey.Redacted);
    }
}
