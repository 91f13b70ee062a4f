using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Security.Cryptography;

namespace HomeTunnel.Bootstrap;

/// <summary>A host's public key as ssh-keyscan gives it, with its SHA256 fingerprint as ssh-keygen -l shows it.</summary>
public sealed record ScannedHostKey(string Type, string Base64)
{
    public string Fingerprint => HostKeyTrust.FingerprintOf(Base64);
    public override string ToString() => $"{Fingerprint} ({Type})";
}

/// <summary>
/// Never trusts a host key silently: reads the keys a host offers, compares their fingerprints with the one the
/// user expects (or shows them for confirmation), and only then writes the chosen key to known_hosts.
/// </summary>
public static class HostKeyTrust
{
    public static string FingerprintOf(string base64)
    {
        byte[] blob = Convert.FromBase64String(base64);
        return "SHA256:" + Convert.ToBase64String(SHA256.HashData(blob)).TrimEnd('=');
    }

    /// <summary>"SHA256:abc", "abc" and "abc=" name the same fingerprint.</summary>
    public static bool SameFingerprint(string a, string b)
    {
        static string Norm(string f) => (f.StartsWith("SHA256:", StringComparison.OrdinalIgnoreCase) ? f[7..] : f).Trim().TrimEnd('=');
        return string.Equals(Norm(a), Norm(b), StringComparison.Ordinal);
    }

    public static string KnownHostsEntry(string hostName, int port) => port == 22 ? hostName : $"[{hostName}]:{port}";

    /// <summary>Parses ssh-keyscan's output; the strongest type first (ed25519, ecdsa, rsa).</summary>
    public static IReadOnlyList<ScannedHostKey> ParseScan(string output)
    {
        var keys = new List<ScannedHostKey>();
        foreach (string line in output.Split('\n'))
        {
            string[] f = line.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 3 || f[0].StartsWith('#'))
            {
                continue;
            }
            try
            {
                _ = Convert.FromBase64String(f[2]);
                keys.Add(new ScannedHostKey(f[1], f[2]));
            }
            catch (FormatException)
            {
            }
        }
        static int Rank(string t) => t == "ssh-ed25519" ? 0 : t.StartsWith("ecdsa", StringComparison.Ordinal) ? 1 : 2;
        return keys.GroupBy(k => k.Type).Select(g => g.First()).OrderBy(k => Rank(k.Type)).ToList();
    }

    /// <summary>Parses ssh-keygen -F's output (known_hosts lines, "# Host ... found" comments skipped), every key kept.</summary>
    public static IReadOnlyList<ScannedHostKey> ParseKnown(string output)
    {
        var keys = new List<ScannedHostKey>();
        foreach (string line in output.Split('\n'))
        {
            string[] f = line.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            // "host type key" or "@marker host type key": a revoked key is never a trusted one, and a CA's key is
            // not the key a host presents (the host's certificate is checked by ssh itself).
            if (f.Length >= 1 && f[0] is "@revoked" or "@cert-authority")
            {
                continue;
            }
            int at = f.Length >= 1 && f[0].StartsWith('@') ? 1 : 0;
            if (f.Length < at + 3 || f[0].StartsWith('#'))
            {
                continue;
            }
            try
            {
                _ = Convert.FromBase64String(f[at + 2]);
                keys.Add(new ScannedHostKey(f[at + 1], f[at + 2]));
            }
            catch (FormatException)
            {
            }
        }
        return keys;
    }

    public static IReadOnlyList<ScannedHostKey> Scan(string hostName, int port, int timeoutSeconds)
    {
        var psi = new ProcessStartInfo("ssh-keyscan") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { "-T", timeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-t", "ed25519,ecdsa,rsa", "--", hostName })
        {
            psi.ArgumentList.Add(a);
        }
        using Process p = Process.Start(psi) ?? throw new HomeTunnelException("SshNotFound", ErrorKind.NotInstalled, "ssh-keyscan is not installed on this machine.", "ssh-keyscan");
        _ = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return ParseScan(output);
    }

    /// <summary>Appends one key to a known_hosts file (made 0600, in a 0700 folder, when new).</summary>
    public static void Enrol(string knownHostsFile, string hostName, int port, ScannedHostKey key)
    {
        string? dir = Path.GetDirectoryName(knownHostsFile);
        if (!string.IsNullOrEmpty(dir) && !Directory.Exists(dir))
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(dir);
            }
            else
            {
                Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
        string line = $"{KnownHostsEntry(hostName, port)} {key.Type} {key.Base64}\n";
        var options = new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = Files.OwnerOnly;
        }
        using var stream = new FileStream(knownHostsFile, options);
        if (stream.Position > 0)
        {
            using var reader = new FileStream(knownHostsFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            reader.Seek(-1, SeekOrigin.End);
            if (reader.ReadByte() != '\n')
            {
                line = "\n" + line;
            }
        }
        byte[] bytes = System.Text.Encoding.ASCII.GetBytes(line);
        stream.Write(bytes, 0, bytes.Length);
    }
}
