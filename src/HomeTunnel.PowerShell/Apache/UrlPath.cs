using System;

namespace HomeTunnel.Apache;

/// <summary>
/// URL path prefixes for ProxyPass: "/" or "/segment/…/", made of characters that need no quoting in
/// Apache's config and mean the same to every client: unreserved characters, '%XX' escapes and '/'.
/// </summary>
public static class UrlPath
{
    public static string Normalize(string? text, string what, string errorPrefix)
    {
        string value = text ?? string.Empty;
        if (value.Length == 0 || value[0] != '/')
        {
            throw HomeTunnelException.Invalid($"{errorPrefix}NotAbsolute", $"{what} '{DnsName.Printable(value)}' must start with '/'.", value);
        }
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            bool ok = c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '-' or '.' or '_' or '~' or '/';
            if (c == '%' && i + 2 < value.Length && Uri.IsHexDigit(value[i + 1]) && Uri.IsHexDigit(value[i + 2]))
            {
                ok = true;
            }
            if (!ok)
            {
                throw HomeTunnelException.Invalid($"{errorPrefix}HasForbiddenCharacter",
                    $"{what} '{DnsName.Printable(value)}' contains '{DnsName.Printable(c.ToString())}'; use letters, digits, - . _ ~ / and %XX escapes.", value);
            }
        }
        foreach (string segment in value.Split('/'))
        {
            // %2e is a dot and %2f a slash once Apache decodes the path: "%2e%2e" is "..", by another spelling.
            string decoded = segment.Replace("%2e", ".", StringComparison.OrdinalIgnoreCase);
            if (segment.Contains("%2f", StringComparison.OrdinalIgnoreCase) || segment.Contains("%5c", StringComparison.OrdinalIgnoreCase) || segment.Contains("%00", StringComparison.Ordinal))
            {
                throw HomeTunnelException.Invalid($"{errorPrefix}HasEncodedSeparator", $"{what} '{value}' has an encoded '/', '\\' or NUL, which Apache and the backend would read differently.", value);
            }
            if (decoded is "." or "..")
            {
                throw HomeTunnelException.Invalid($"{errorPrefix}HasDotSegment", $"{what} '{value}' has a '{segment}' segment, which clients collapse before Apache sees it.", value);
            }
        }
        if (value.Contains("//", StringComparison.Ordinal))
        {
            throw HomeTunnelException.Invalid($"{errorPrefix}HasEmptySegment", $"{what} '{value}' has an empty segment ('//').", value);
        }
        // ProxyPass maps a trailing-slash prefix onto a trailing-slash backend; keep both ends alike.
        return value.EndsWith('/') ? value : value + "/";
    }
}
