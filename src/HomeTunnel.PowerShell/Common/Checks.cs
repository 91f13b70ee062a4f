using System.Text.RegularExpressions;

namespace HomeTunnel;

/// <summary>Range and shape checks shared by the models; each failure has its own error id.</summary>
public static partial class Checks
{
    [GeneratedRegex(@"\A[a-zA-Z0-9_=+.-]{1,15}\z")]
    private static partial Regex InterfaceNameShape();

    [GeneratedRegex(@"\A[A-Za-z0-9][A-Za-z0-9_.-]{0,62}\z")]
    private static partial Regex PeerNameShape();

    /// <summary>
    /// One name of an enum, exactly (any case): not a number, not a comma list that .NET would read as flags
    /// ("tcp,udp" is Tcp|Udp, which is Udp).
    /// </summary>
    public static T EnumName<T>(string? text, string what, string errorId) where T : struct, System.Enum =>
        (T)EnumName(typeof(T), text, what, errorId);

    public static object EnumName(System.Type type, string? text, string what, string errorId)
    {
        string v = text ?? string.Empty;
        foreach (string name in System.Enum.GetNames(type))
        {
            if (name.Equals(v, System.StringComparison.OrdinalIgnoreCase))
            {
                return System.Enum.Parse(type, name);
            }
        }
        throw HomeTunnelException.Invalid(errorId, $"{what} '{DnsName.Printable(v)}' is not one of {string.Join(", ", System.Enum.GetNames(type))}.", v);
    }

    /// <summary>
    /// A number written as plain ASCII digits and nothing else. int.TryParse with NumberStyles.None still forgives
    /// trailing NULs ("22\0"), and Unicode digits are not what a host reads: this takes exactly what it shows.
    /// </summary>
    public static bool TryDigits(string? text, out int value)
    {
        value = 0;
        if (string.IsNullOrEmpty(text) || text.Length > 9 || !System.Linq.Enumerable.All(text, char.IsAsciiDigit))
        {
            return false;
        }
        value = int.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
        return true;
    }

    public static int Port(int value, string what, string errorId = "PortOutOfRange")
    {
        if (value is < 1 or > 65535)
        {
            throw HomeTunnelException.Invalid(errorId, $"{what} {value} is out of range; a port is 1 to 65535.", value);
        }
        return value;
    }

    public static int Keepalive(int value)
    {
        if (value is < 0 or > 65535)
        {
            throw HomeTunnelException.Invalid("KeepaliveOutOfRange", $"PersistentKeepalive {value} is out of range; wg takes 0 (off) to 65535 seconds.", value);
        }
        return value;
    }

    public static int Mtu(int value)
    {
        // 576 is the smallest packet every IPv4 host takes whole (a tunnel carrying IPv6 needs 1280: MtuTooSmallForIPv6);
        // 9000 is a jumbo frame, as far as a tunnel over the internet can go.
        if (value is < 576 or > 9000)
        {
            throw HomeTunnelException.Invalid("MtuOutOfRange", $"MTU {value} is out of range; use 576 to 9000 (WireGuard's default is 1420; a tunnel with IPv6 addresses needs at least 1280).", value);
        }
        return value;
    }

    /// <summary>Interface names as wg-quick accepts them (it rejects anything else before running).</summary>
    public static string InterfaceName(string? value)
    {
        string v = value ?? string.Empty;
        if (!InterfaceNameShape().IsMatch(v) || v is "." or "..")
        {
            throw HomeTunnelException.Invalid("InterfaceNameInvalid",
                $"InterfaceName '{DnsName.Printable(v)}' is not valid: 1 to 15 of the characters a-z A-Z 0-9 _ = + . -", v);
        }
        return v;
    }

    /// <summary>Peer names end up in config comments and file names: keep them plain.</summary>
    public static string PeerName(string? value)
    {
        string v = value ?? string.Empty;
        if (!PeerNameShape().IsMatch(v))
        {
            throw HomeTunnelException.Invalid("PeerNameInvalid",
                $"Name '{DnsName.Printable(v)}' is not valid: 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit.", v);
        }
        return v;
    }
}
