using System;
using System.IO;
using System.Management.Automation;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace HomeTunnel.DnsUpdate;

/// <summary>The HMAC a TSIG key signs with (RFC 8945); bind's tsig-keygen makes hmac-sha256 keys.</summary>
[Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
public enum TsigAlgorithm
{
    HmacSha256,
    HmacSha384,
    HmacSha512,
    HmacSha224,
    HmacSha1,
    HmacMd5,
}

/// <summary>
/// A TSIG key for RFC 2136 updates: a name, an algorithm and a secret. The secret is a secret like a private key:
/// no ToString, view, JSON or error shows it, and a key file it is read from must be readable by its owner only.
/// </summary>
public sealed class TsigKey
{
    private readonly byte[] _secret;

    private TsigKey(string name, TsigAlgorithm algorithm, byte[] secret)
    {
        Name = name;
        Algorithm = algorithm;
        _secret = secret;
    }

    /// <summary>The key's name, as the server knows it (bind: key "name" { ... }).</summary>
    public string Name { get; }

    public TsigAlgorithm Algorithm { get; }

    /// <summary>The secret's bytes, for signing only.</summary>
    internal byte[] RevealSecret() => (byte[])_secret.Clone();

    public override string ToString() => $"{Name} ({AlgorithmName(Algorithm)}, secret not shown)";

    /// <summary>
    /// The key from exactly one of a credential and a key file (-DnsKey, -DnsKeyFile); null when neither was given.
    /// <paramref name="path"/> turns the file parameter into a file system path.
    /// </summary>
    public static TsigKey? FromParameters(PSCredential? credential, string? file, TsigAlgorithm algorithm, Func<string, string> path)
    {
        if (credential is not null && file is not null)
        {
            throw HomeTunnelException.Invalid("DnsKeyConflict", "Give the TSIG key once: -DnsKey or -DnsKeyFile, not both.", "DnsKeyFile");
        }
        return credential is not null ? FromCredential(credential, algorithm) : file is not null ? FromFile(path(file)) : null;
    }

    /// <summary>From a credential: the user name is the key's name, the password its base64 secret (what Get-Secret returns).</summary>
    public static TsigKey FromCredential(PSCredential credential, TsigAlgorithm algorithm)
    {
        string name = KeyName(credential.UserName);
        IntPtr unmanaged = Marshal.SecureStringToGlobalAllocUnicode(credential.Password);
        char[] chars = new char[credential.Password.Length];
        try
        {
            Marshal.Copy(unmanaged, chars, 0, chars.Length);
            return new TsigKey(name, algorithm, Secret(chars, name));
        }
        finally
        {
            Array.Clear(chars);
            Marshal.ZeroFreeGlobalAllocUnicode(unmanaged);
        }
    }

    /// <summary>
    /// From a bind key file (what tsig-keygen and ddns-confgen write: key "name" { algorithm hmac-sha256; secret "…"; };).
    /// The file must be a regular file that only its owner may read or write (as ssh holds private key files); its text
    /// appears in no error.
    /// </summary>
    public static TsigKey FromFile(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new HomeTunnelException("DnsKeyFileNotFound", ErrorKind.ObjectNotFound, $"The TSIG key file '{path}' does not exist.", path);
        }
        if (info.LinkTarget is not null)
        {
            throw HomeTunnelException.Invalid("DnsKeyFileInvalid", $"The TSIG key file '{path}' is a symbolic link; give the file itself.", path);
        }
        if (!OperatingSystem.IsWindows() && (info.UnixFileMode & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite)) != 0)
        {
            throw new HomeTunnelException("DnsKeyFileTooOpen", ErrorKind.SecurityError,
                $"The TSIG key file '{path}' may be read or written by others; run 'chmod 600 {path}' (a key others can read lets them change your zone).", path);
        }
        if (info.Length > 4096)
        {
            throw HomeTunnelException.Invalid("DnsKeyFileInvalid", $"The TSIG key file '{path}' is larger than a key file is (4 KiB).", path);
        }
        string text = File.ReadAllText(path);
        // One key statement; comments and blank lines around it. Nothing of the text is quoted back.
        Match m = KeyFile.Match(Regex.Replace(text, @"(?m)^\s*(#|//).*$", string.Empty));
        if (!m.Success)
        {
            throw HomeTunnelException.Invalid("DnsKeyFileInvalid",
                $"The TSIG key file '{path}' is not one bind key statement (key \"name\" {{ algorithm hmac-sha256; secret \"...\"; }};).", path);
        }
        string name = KeyName(m.Groups["name"].Value);
        TsigAlgorithm algorithm = ParseAlgorithm(m.Groups["alg"].Value, path);
        char[] chars = m.Groups["secret"].Value.ToCharArray();
        try
        {
            return new TsigKey(name, algorithm, Secret(chars, name));
        }
        finally
        {
            Array.Clear(chars);
        }
    }

    private static readonly Regex KeyFile = new(
        @"\A\s*key\s+""(?<name>[A-Za-z0-9._-]{1,253})""\s*\{\s*(?:algorithm\s+(?<alg>[A-Za-z0-9-]{1,32})\s*;\s*secret\s+""(?<secret>[A-Za-z0-9+/=]{1,512})""\s*;|secret\s+""(?<secret>[A-Za-z0-9+/=]{1,512})""\s*;\s*algorithm\s+(?<alg>[A-Za-z0-9-]{1,32})\s*;)\s*\}\s*;\s*\z",
        RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture, TimeSpan.FromSeconds(1));

    private static string KeyName(string? name)
    {
        string trimmed = (name ?? string.Empty).TrimEnd('.');
        if (trimmed.Length is 0 or > 253 || !Regex.IsMatch(trimmed, @"\A[A-Za-z0-9_-]{1,63}(\.[A-Za-z0-9_-]{1,63})*\z", RegexOptions.CultureInvariant))
        {
            throw HomeTunnelException.Invalid("DnsKeyNameInvalid", $"TSIG key name '{name}' is not a DNS name (letters, digits, '-', '_' and dots).", name);
        }
        return trimmed.ToLowerInvariant();
    }

    /// <summary>The secret's bytes: base64 of at least 16 bytes (RFC 8945 asks for at least the hash's half).</summary>
    private static byte[] Secret(char[] base64, string name)
    {
        byte[] buffer = new byte[base64.Length];
        if (!Convert.TryFromBase64Chars(base64, buffer, out int length) || length < 16)
        {
            Array.Clear(buffer);
            throw HomeTunnelException.Invalid("DnsKeySecretInvalid", $"The secret of TSIG key '{name}' is not base64 of at least 16 bytes (tsig-keygen makes 32).", name);
        }
        byte[] secret = buffer.AsSpan(0, length).ToArray();
        Array.Clear(buffer);
        return secret;
    }

    /// <summary>bind's algorithm names (hmac-sha256) and the enum's (HmacSha256).</summary>
    internal static TsigAlgorithm ParseAlgorithm(string text, object target)
    {
        foreach (TsigAlgorithm a in Enum.GetValues<TsigAlgorithm>())
        {
            if (string.Equals(text, AlgorithmName(a), StringComparison.OrdinalIgnoreCase) || string.Equals(text, a.ToString(), StringComparison.OrdinalIgnoreCase))
            {
                return a;
            }
        }
        throw HomeTunnelException.Invalid("DnsKeyAlgorithmInvalid", $"TSIG algorithm '{text}' is not one of hmac-sha256, hmac-sha384, hmac-sha512, hmac-sha224, hmac-sha1, hmac-md5.", target);
    }

    internal static string AlgorithmName(TsigAlgorithm a) => a switch
    {
        TsigAlgorithm.HmacSha256 => "hmac-sha256",
        TsigAlgorithm.HmacSha384 => "hmac-sha384",
        TsigAlgorithm.HmacSha512 => "hmac-sha512",
        TsigAlgorithm.HmacSha224 => "hmac-sha224",
        TsigAlgorithm.HmacSha1 => "hmac-sha1",
        _ => "hmac-md5",
    };

    internal ARSoft.Tools.Net.Dns.TSigAlgorithm ToArsoft() => Algorithm switch
    {
        TsigAlgorithm.HmacSha256 => ARSoft.Tools.Net.Dns.TSigAlgorithm.Sha256,
        TsigAlgorithm.HmacSha384 => ARSoft.Tools.Net.Dns.TSigAlgorithm.Sha384,
        TsigAlgorithm.HmacSha512 => ARSoft.Tools.Net.Dns.TSigAlgorithm.Sha512,
        TsigAlgorithm.HmacSha224 => ARSoft.Tools.Net.Dns.TSigAlgorithm.Sha224,
        TsigAlgorithm.HmacSha1 => ARSoft.Tools.Net.Dns.TSigAlgorithm.Sha1,
        _ => ARSoft.Tools.Net.Dns.TSigAlgorithm.Md5,
    };
}
