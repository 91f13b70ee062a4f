using System;
using System.Security.Cryptography;
using NSec.Cryptography;

namespace HomeTunnel.WireGuard;

/// <summary>An X25519 private key as WireGuard uses it (clamped like 'wg genkey'), with its public key.</summary>
public sealed class WireGuardPrivateKey : SecretKey
{
    private static readonly KeyAgreementAlgorithm X25519 = KeyAgreementAlgorithm.X25519;

    private WireGuardPrivateKey(byte[] bytes, string publicKey) : base(bytes)
    {
        PublicKey = publicKey;
    }

    /// <summary>The matching public key, as 'wg pubkey' prints it.</summary>
    public string PublicKey { get; }

    /// <summary>A fresh key from the system's CSPRNG, clamped as 'wg genkey' does.</summary>
    public static WireGuardPrivateKey Generate()
    {
        byte[] bytes = RandomNumberGenerator.GetBytes(KeyText.KeyLength);
        Clamp(bytes);
        return FromBytes(bytes);
    }

    /// <summary>
    /// Many fresh keys: one CSPRNG read for all, public keys through <see cref="X25519Bulk"/> on every core
    /// (NSec when that is not available). Same keys and public keys as <see cref="Generate()"/> gives.
    /// </summary>
    public static WireGuardPrivateKey[] Generate(int count)
    {
        var keys = new WireGuardPrivateKey[count];
        byte[] random = RandomNumberGenerator.GetBytes(count * KeyText.KeyLength);
        try
        {
            void Make(int i)
            {
                byte[] bytes = random.AsSpan(i * KeyText.KeyLength, KeyText.KeyLength).ToArray();
                Clamp(bytes);
                if (X25519Bulk.Available)
                {
                    Span<byte> pub = stackalloc byte[KeyText.KeyLength];
                    X25519Bulk.PublicKey(bytes, pub);
                    keys[i] = new WireGuardPrivateKey(bytes, Convert.ToBase64String(pub));
                }
                else
                {
                    keys[i] = FromBytes(bytes);
                }
            }
            if (count < 256)
            {
                for (int i = 0; i < count; i++)
                {
                    Make(i);
                }
            }
            else
            {
                System.Threading.Tasks.Parallel.For(0, count, Make);
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(random);
        }
        return keys;
    }

    public static WireGuardPrivateKey Parse(string? text, string what = "PrivateKey") =>
        FromBytes(KeyText.DecodeSecret(text, what));

    /// <summary>A key kept as a SecureString (a SecretManagement vault's Get-Secret): its base64 text, read whole.</summary>
    public static WireGuardPrivateKey Parse(System.Security.SecureString secret, string what = "PrivateKey")
    {
        IntPtr unmanaged = System.Runtime.InteropServices.Marshal.SecureStringToGlobalAllocUnicode(secret);
        var chars = new char[secret.Length];
        try
        {
            System.Runtime.InteropServices.Marshal.Copy(unmanaged, chars, 0, chars.Length);
            return Parse(new string(chars), what);
        }
        finally
        {
            Array.Clear(chars);
            System.Runtime.InteropServices.Marshal.ZeroFreeGlobalAllocUnicode(unmanaged);
        }
    }

    private static WireGuardPrivateKey FromBytes(byte[] bytes)
    {
        // libsodium clamps the scalar itself, as 'wg pubkey' does, so an unclamped key maps to the same public key.
        using Key key = Key.Import(X25519, bytes, KeyBlobFormat.RawPrivateKey);
        string publicKey = Convert.ToBase64String(key.PublicKey.Export(KeyBlobFormat.RawPublicKey));
        return new WireGuardPrivateKey(bytes, publicKey);
    }

    private static void Clamp(byte[] k)
    {
        k[0] &= 248;
        k[31] = (byte)((k[31] & 127) | 64);
    }
}
