using System;
using System.Globalization;
using System.Linq;

namespace HomeTunnel;

/// <summary>
/// Host names as DNS allows them: labels of letters, digits and hyphens, at most 63 octets each and 253 in
/// all; upper case and a trailing dot are normalised away, IDN becomes punycode. Anything else (space,
/// quote, angle bracket, control character) is refused, so a name can never carry a directive.
/// </summary>
public static class DnsName
{
    private static readonly IdnMapping Idn = new() { AllowUnassigned = false, UseStd3AsciiRules = true };

    /// <param name="allowWildcard">A leading "*." label, as Apache's ServerAlias allows.</param>
    public static string Normalize(string? text, string what, string errorPrefix = "Name", bool allowWildcard = false)
    {
        string value = text ?? string.Empty;
        if (value.Length == 0)
        {
            throw HomeTunnelException.Invalid($"{errorPrefix}Empty", $"{what} is empty.", value);
        }
        foreach (char c in value)
        {
            if (char.IsControl(c) || char.IsWhiteSpace(c) || c is '"' or '\'' or '<' or '>' or '\\' or '/' or ':' or '#' or '`' or '$' or ';' or '%')
            {
                throw HomeTunnelException.Invalid($"{errorPrefix}HasForbiddenCharacter",
                    $"{what} '{Printable(value)}' contains '{Printable(c.ToString())}', which no host name may contain.", value);
            }
        }
        string name = value.EndsWith('.') ? value[..^1] : value;
        string prefix = string.Empty;
        if (name.StartsWith("*.", StringComparison.Ordinal))
        {
            if (!allowWildcard)
            {
                throw HomeTunnelException.Invalid($"{errorPrefix}WildcardNotAllowed", $"{what} '{value}' is a wildcard; it is allowed only as an alias.", value);
            }
            prefix = "*.";
            name = name[2..];
        }
        if (name.Contains('*'))
        {
            throw HomeTunnelException.Invalid($"{errorPrefix}WildcardMisplaced", $"{what} '{value}' has '*' somewhere other than a whole first label.", value);
        }
        if (prefix.Length + name.Length > 253)
        {
            throw HomeTunnelException.Invalid($"{errorPrefix}TooLong", $"{what} '{value}' is {prefix.Length + name.Length} characters; DNS allows 253.", value);
        }
        foreach (string label in name.Split('.'))
        {
            if (label.Length > 63)
            {
                throw HomeTunnelException.Invalid($"{errorPrefix}LabelLength", $"{what} '{value}' has a label of {label.Length} characters; each must be 1 to 63.", value);
            }
        }
        string ascii;
        try
        {
            ascii = Idn.GetAscii(name).ToLowerInvariant();
        }
        catch (ArgumentException)
        {
            throw HomeTunnelException.Invalid($"{errorPrefix}Invalid", $"{what} '{value}' is not a valid DNS name (empty label, leading or trailing hyphen, or a label over 63 characters).", value);
        }
        string full = prefix + ascii;
        if (full.Length > 253)
        {
            throw HomeTunnelException.Invalid($"{errorPrefix}TooLong", $"{what} '{value}' is {full.Length} characters; DNS allows 253.", value);
        }
        foreach (string label in ascii.Split('.'))
        {
            if (label.Length is 0 or > 63)
            {
                throw HomeTunnelException.Invalid($"{errorPrefix}LabelLength", $"{what} '{value}' has a label of {label.Length} characters; each must be 1 to 63.", value);
            }
            if (label[0] == '-' || label[^1] == '-')
            {
                throw HomeTunnelException.Invalid($"{errorPrefix}Invalid", $"{what} '{value}' has a label that starts or ends with '-'.", value);
            }
            foreach (char c in label)
            {
                if (!(c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-'))
                {
                    throw HomeTunnelException.Invalid($"{errorPrefix}Invalid", $"{what} '{value}' has '{c}', which is not allowed in a DNS label.", value);
                }
            }
        }
        return full;
    }

    /// <summary>
    /// A name Apache may serve as a name-based VirtualHost: a DNS name whose last label is not all digits. An
    /// address (192.0.2.1) would make the site the relay's answer to every visitor who types its IP.
    /// </summary>
    /// <summary>Whether the text is a plain DNS name (no wildcard), and its normal form.</summary>
    public static bool TryNormalize(string? text, out string name)
    {
        try
        {
            name = Normalize(text, "Name");
            return true;
        }
        catch (HomeTunnelException)
        {
            name = string.Empty;
            return false;
        }
    }

    public static string SiteName(string? text, string what, string errorPrefix, bool allowWildcard = false)
    {
        string name = Normalize(text, what, errorPrefix, allowWildcard);
        string last = name[(name.LastIndexOf('.') + 1)..];
        if (last.All(char.IsAsciiDigit) || System.Net.IPAddress.TryParse(name, out _))
        {
            throw HomeTunnelException.Invalid($"{errorPrefix}IsIPAddress",
                $"{what} '{name}' is an IP address; a site is served by name. Use the DNS name visitors type.", name);
        }
        return name;
    }

    /// <summary>Makes control characters visible in a message so the message itself cannot break a line.</summary>
    public static string Printable(string s)
    {
        var sb = new System.Text.StringBuilder(s.Length);
        foreach (char c in s)
        {
            sb.Append(char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString());
        }
        return sb.ToString();
    }
}
