using System;

namespace HomeTunnel.WireGuard;

/// <summary>
/// Validation of WireGuard's key text: 32 bytes as canonical base64, exactly as wg accepts it.
/// .NET's decoder is more lenient than wg (white space, non-zero padding bits), so canonical form
/// is checked by re-encoding.
/// </summary>
public static class KeyText
{
    public const int KeyLength = 32;
    public const int Base64Length = 44;

    /// <summary>Decodes key text or throws; when <paramref name="secret"/> is set, the value never enters the error.</summary>
    public static byte[] Decode(string? text, string what, bool secret)
    {
        object target = secret ? $"{what}: (redacted)" : (object?)text ?? "(null)";
        if (string.IsNullOrEmpty(text))
        {
            throw new HomeTunnelException("KeyMissing", ErrorKind.InvalidArgument, $"{what} is empty.", target);
        }
        string shown = secret ? "(redacted)" : $"'{text}'";
        if (text.IndexOfAny(new[] { '<', '>' }) >= 0 || text.Contains("goes here", StringComparison.OrdinalIgnoreCase))
        {
            throw new HomeTunnelException("KeyIsPlaceholder", ErrorKind.InvalidArgument,
                $"{what} {shown} is placeholder text, not a key. Make one with New-TunnelKeyPair or 'wg genkey'.", target);
        }
        foreach (char c in text)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c))
            {
                throw new HomeTunnelException("KeyHasWhiteSpace", ErrorKind.InvalidArgument,
                    $"{what} {shown} contains white space or a control character; wg would refuse it.", target);
            }
        }
        if (text.Length != Base64Length || text[^1] != '=' || text[^2] == '=')
        {
            throw new HomeTunnelException("KeyWrongLength", ErrorKind.InvalidArgument,
                $"{what} {shown} is {text.Length} characters; a WireGuard key is 32 bytes written as 44 base64 characters ending in one '='.", target);
        }
        foreach (char c in text.AsSpan(0, Base64Length - 1))
        {
            if (!(c is >= 'A' and <= 'Z' or >= 'a' and <= 'z' or >= '0' and <= '9' or '+' or '/'))
            {
                throw new HomeTunnelException("KeyNotBase64", ErrorKind.InvalidArgument,
                    $"{what} {shown} has a character outside base64.", target);
            }
        }
        byte[] bytes = Convert.FromBase64String(text);
        if (!string.Equals(Convert.ToBase64String(bytes), text, StringComparison.Ordinal))
        {
            Array.Clear(bytes);
            throw new HomeTunnelException("KeyNotCanonical", ErrorKind.InvalidArgument,
                $"{what} {shown} is not canonical base64 (its last character carries bits wg rejects).", target);
        }
        return bytes;
    }

    /// <summary>
    /// Validates public key text and returns it (public keys are not secret: they appear in errors). A point of
    /// small order (libsodium's list, top bit ignored as X25519 ignores it) gives an all-zero shared secret: wg
    /// would take it and never handshake, or handshake with anyone. Such keys are refused.
    /// </summary>
    public static string Public(string? text, string what = "PublicKey")
    {
        byte[] bytes = Decode(text, what, secret: false);
        bytes[31] &= 0x7f;
        foreach (string low in SmallOrderPoints)
        {
            if (Convert.ToHexString(bytes).Equals(low, StringComparison.OrdinalIgnoreCase))
            {
                throw new HomeTunnelException("KeyLowOrder", ErrorKind.SecurityError,
                    $"{what} '{text}' is a point of small order on Curve25519, not a real public key: a peer with it would share an all-zero secret.", text);
            }
        }
        return text!;
    }

    /// <summary>Rejects an all-zero secret: wg reads a zero private or preshared key as "no key" and runs without it.</summary>
    public static byte[] DecodeSecret(string? text, string what)
    {
        byte[] bytes = Decode(text, what, secret: true);
        if (Array.TrueForAll(bytes, b => b == 0))
        {
            throw new HomeTunnelException("KeyAllZero", ErrorKind.SecurityError,
                $"{what} (redacted) is all zero bytes; wg takes that as no key at all. Make one with New-TunnelKeyPair.", $"{what}: (redacted)");
        }
        return bytes;
    }

    private static readonly string[] SmallOrderPoints =
    {
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "E0EB7A7C3B41B8AE1656E3FAF19FC46ADA098DEB9C32B1FD866205165F49B800",
        "5F9C95BCA3508C24B1D0B1559C83EF5B04445CC4581C8E86D8224EDDD09F1157",
        "ECFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF7F",
        "EDFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF7F",
        "EEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF7F",
    };
}
