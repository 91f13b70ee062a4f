using System;
using System.Security.Cryptography;

namespace HomeTunnel.WireGuard;

/// <summary>
/// Key material that must not leak: it has no property that holds the key, ToString() says
/// "(redacted)", and the text comes out only through <see cref="RevealBase64"/>, a call made on purpose.
/// </summary>
public abstract class SecretKey : IEquatable<SecretKey>
{
    public const string Redacted = "(redacted)";

    private readonly byte[] _bytes;

    private protected SecretKey(byte[] bytes)
    {
        if (bytes.Length != KeyText.KeyLength)
        {
            throw new ArgumentException("A WireGuard key is 32 bytes.", nameof(bytes));
        }
        _bytes = bytes;
    }

    /// <summary>The key as wg writes it. Only for writing a config file or when the user asks for it.</summary>
    public string RevealBase64() => Convert.ToBase64String(_bytes);

    private protected ReadOnlySpan<byte> Bytes => _bytes;

    public override string ToString() => Redacted;

    public bool Equals(SecretKey? other) =>
        other is not null && other.GetType() == GetType() && CryptographicOperations.FixedTimeEquals(_bytes, other._bytes);

    public override bool Equals(object? obj) => Equals(obj as SecretKey);

    public override int GetHashCode() => BitConverter.ToInt32(SHA256.HashData(_bytes), 0);
}
