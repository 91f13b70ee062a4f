using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace HomeTunnel;

/// <summary>
/// Strict IP parsing. .NET's IPAddress.TryParse also takes "1", "10.1" or "010.0.0.1" (octal), which
/// wg, Apache and people read differently, so IPv4 must be four plain decimal octets.
/// </summary>
public static partial class IPText
{
    [GeneratedRegex(@"\A(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}\z")]
    private static partial Regex IPv4();

    public static bool TryParse(string? text, out IPAddress address)
    {
        address = IPAddress.None;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }
        foreach (char c in text)
        {
            // .NET's parser forgives a trailing line break or space ("fd00::2\n"); no host reads the same bytes so.
            if (char.IsWhiteSpace(c) || char.IsControl(c))
            {
                return false;
            }
        }
        if (text.Contains(':'))
        {
            // No zone ids ("fe80::1%eth0"): they have no meaning on another host.
            if (text.Contains('%') || !IPAddress.TryParse(text, out IPAddress? v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
            {
                return false;
            }
            address = v6;
            return true;
        }
        if (!IPv4().IsMatch(text))
        {
            return false;
        }
        address = IPAddress.Parse(text);
        return true;
    }
}
