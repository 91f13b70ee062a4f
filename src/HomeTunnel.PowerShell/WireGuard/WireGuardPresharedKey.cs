using System.Security.Cryptography;

namespace HomeTunnel.WireGuard;

/// <summary>A WireGuard preshared key ('wg genpsk'): 32 random bytes, as secret as a private key.</summary>
public sealed class WireGuardPresharedKey : SecretKey
{
    private WireGuardPresharedKey(byte[] bytes) : base(bytes) { }

    public static WireGuardPresharedKey Generate() => new(RandomNumberGenerator.GetBytes(KeyText.KeyLength));

    public static WireGuardPresharedKey Parse(string? text, string what = "PresharedKey") =>
        new(KeyText.DecodeSecret(text, what));
}
