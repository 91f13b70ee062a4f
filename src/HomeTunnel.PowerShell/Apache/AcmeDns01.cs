using System;
using System.Globalization;
using System.IO;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using HomeTunnel.DnsUpdate;

namespace HomeTunnel.Apache;

/// <summary>
/// A site's ACME DNS-01 settings: the zone's primary server that takes RFC 2136 updates, the zone, and the TSIG key
/// the relay signs them with. On the relay they are three things: the site's &lt;MDomain&gt; section naming HomeTunnel's
/// hook with the server, port, zone and key file as its arguments (public, in the site's file); the hook
/// (<see cref="HookPath"/>, root's, 0755, one for every site); and the site's key file (<see cref="KeyPathFor"/>, 0600,
/// Apache's user's, since mod_md runs the hook as that user). The key's secret is a secret like a private key: it is
/// only in <see cref="Key"/> (internal) and in the key file's text made for the agent.
/// </summary>
public sealed class AcmeDns01
{
    /// <summary>HomeTunnel's hook on the relay, beside the sites' htpasswd files.</summary>
    public const string HookPath = BasicAuthFile.Folder + "/acme-dns01";

    /// <summary>The user mod_md runs the hook as (Debian's Apache runs its children as www-data).</summary>
    public const string HookUser = "www-data";

    public AcmeDns01(IPEndPoint server, string zone, TsigKey? key, string? keyName)
    {
        Server = server;
        Zone = zone;
        Key = key;
        KeyName = keyName;
    }

    /// <summary>The zone's primary server, where the hook sends its updates.</summary>
    public IPEndPoint Server { get; }

    /// <summary>The zone the site's names are in (no trailing dot).</summary>
    public string Zone { get; }

    /// <summary>The TSIG key's name (not secret); null for a site read back (its key is in the key file on the relay).</summary>
    public string? KeyName { get; }

    /// <summary>The key with its secret; null for a site read back from the relay (an install keeps the key file there).</summary>
    internal TsigKey? Key { get; }

    public static string KeyPathFor(string serverName) => $"{BasicAuthFile.Folder}/{serverName}.dns01.key";

    /// <summary>The hook's text (embedded, fixed: values reach it only as mod_md's arguments).</summary>
    public static string HookText => Hook.Value;

    private static readonly Lazy<string> Hook = new(() =>
    {
        using Stream stream = typeof(AcmeDns01).Assembly.GetManifestResourceStream("HomeTunnel.acme-dns01.sh")
            ?? throw new InvalidOperationException("The DNS-01 hook is not embedded in the assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    /// <summary>The arguments of the site's MDChallengeDns01 line after the hook: server, port, zone, key file.</summary>
    public string HookArguments(string serverName) =>
        $"{Server.Address} {Server.Port.ToString(CultureInfo.InvariantCulture)} {Zone} {KeyPathFor(serverName)}";

    /// <summary>The site's key file for nsupdate -k: HomeTunnel's marker, then one bind key statement. Holds the secret.</summary>
    internal static string KeyFileText(string serverName, TsigKey key)
    {
        byte[] secret = key.RevealSecret();
        try
        {
            return $"{KeyFileHeader(serverName)}key \"{key.Name}\" {{\n\talgorithm {TsigKey.AlgorithmName(key.Algorithm)};\n\tsecret \"{Convert.ToBase64String(secret)}\";\n}};\n";
        }
        finally
        {
            Array.Clear(secret);
        }
    }

    /// <summary>What a diff shows for the key file: its name and algorithm, never the secret.</summary>
    public static string KeyFileDisplay(string serverName, string? keyName) =>
        $"{KeyFileHeader(serverName)}key \"{keyName ?? "(the key on the relay)"}\" {{ (the secret is not shown) }};\n";

    private static string KeyFileHeader(string serverName) => $"{Ownership.Marker}: the DNS-01 key of {serverName} (mod_md's hook signs with it)\n";

    /// <summary>What the agent reports of a key file instead of its text: a SHA-256 of the bytes (the secret never leaves the relay).</summary>
    public static string Digest(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>The key's secret as base64, for the change's list of secrets to redact.</summary>
    internal string? SecretText()
    {
        if (Key is null)
        {
            return null;
        }
        byte[] secret = Key.RevealSecret();
        try
        {
            return Convert.ToBase64String(secret);
        }
        finally
        {
            Array.Clear(secret);
        }
    }

    public override string ToString() => $"dns-01 via {Server} ({Zone}{(KeyName is null ? string.Empty : ", key " + KeyName)})";
}
