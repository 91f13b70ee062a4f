using System.Management.Automation;
using System;

namespace HomeTunnel.WireGuard;

/// <summary>A private key and its public key; the private half stays redacted.</summary>
public sealed class TunnelKeyPair
{
    public TunnelKeyPair(WireGuardPrivateKey privateKey)
    {
        PrivateKey = privateKey;
    }

    public string PublicKey => PrivateKey.PublicKey;

    [Newtonsoft.Json.JsonIgnore, Hidden]
    public WireGuardPrivateKey PrivateKey { get; }

    public static TunnelKeyPair Generate() => new(WireGuardPrivateKey.Generate());

    /// <summary>Many pairs at once (see <see cref="WireGuardPrivateKey.Generate(int)"/>).</summary>
    public static TunnelKeyPair[] Generate(int count) => Array.ConvertAll(WireGuardPrivateKey.Generate(count), k => new TunnelKeyPair(k));
}
