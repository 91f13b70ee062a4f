using System;
using System.Linq;
using System.Runtime.InteropServices;
using System.Security;
using System.Text.RegularExpressions;

namespace HomeTunnel.Apache;

/// <summary>
/// The htpasswd file behind a site's basic-auth door: one per site under /etc/apache2/hometunnel, 0640
/// root:www-data, HomeTunnel's marker as a comment (mod_authn_file skips '#' lines) and one
/// "user:$2y$..." line. Only the bcrypt hash is ever written; the password lives in a SecureString and is
/// in plain memory only while it is hashed or checked against the hash already on the relay, which is
/// kept when it matches, so a re-apply changes nothing.
/// </summary>
public static partial class BasicAuthFile
{
    public const string Folder = ApacheLayout.HomeTunnelFolder;

    /// <summary>Apache checks the hash on every request (mod_authn_file caches nothing): 10 is OWASP's floor and ≈ 60 ms in C.</summary>
    public const int WorkFactor = 10;

    [GeneratedRegex(@"\A\$2[abxy]\$(?<cost>\d\d)\$[./A-Za-z0-9]{53}\z")]
    private static partial Regex BcryptHash();

    public static string PathFor(string serverName) => $"{Folder}/{serverName}.htpasswd";

    /// <summary>The file's first line: HomeTunnel's marker, as a comment mod_authn_file skips.</summary>
    private static string Header(string serverName) => $"{Hosts.HostPlan.Marker}: the basic-auth user of {serverName}\n";

    /// <summary>The file for a user and a password: hashed with a new salt.</summary>
    public static string Text(string serverName, string user, SecureString password) =>
        $"{Header(serverName)}{user}:{Hash(password)}\n";

    /// <summary>What a diff shows for the file: never a hash, whatever it is.</summary>
    public static string Display(string serverName, string user) =>
        $"{Header(serverName)}{user}:(a new bcrypt hash)\n";

    /// <summary>Whether the file on the relay is HomeTunnel's, names this user, and (with a password) holds its hash.</summary>
    public static bool Holds(string? current, string serverName, string user, SecureString? password)
    {
        if (current is null || !current.StartsWith(Hosts.HostPlan.Marker, StringComparison.Ordinal))
        {
            return false;
        }
        string[] lines = current.Split('\n').Where(l => l.Length > 0 && l[0] != '#').ToArray();
        if (lines.Length != 1 || !lines[0].StartsWith(user + ":", StringComparison.Ordinal))
        {
            return false;
        }
        string hash = lines[0][(user.Length + 1)..];
        Match m = BcryptHash().Match(hash);
        // A cost out of range is not ours: checking a planted $2y$31$ would take days.
        if (!m.Success || int.Parse(m.Groups["cost"].Value, System.Globalization.CultureInfo.InvariantCulture) is < 4 or > 14)
        {
            return false;
        }
        bool same = current == $"{Header(serverName)}{user}:{hash}\n";
        return same && (password is null || WithPlain(password, plain => BCrypt.Net.BCrypt.Verify(plain, hash)));
    }

    private static string Hash(SecureString password) =>
        WithPlain(password, plain => BCrypt.Net.BCrypt.HashPassword(plain, BCrypt.Net.BCrypt.GenerateSalt(WorkFactor, 'y')));

    private static T WithPlain<T>(SecureString password, Func<string, T> use)
    {
        IntPtr p = Marshal.SecureStringToGlobalAllocUnicode(password);
        try
        {
            // The SecureString's full length: read up to the first NUL, "\0secret" would be the empty password.
            return use(Marshal.PtrToStringUni(p, password.Length));
        }
        finally
        {
            Marshal.ZeroFreeGlobalAllocUnicode(p);
        }
    }

    /// <summary>
    /// The fewest characters a door's password may have: a door on the internet is guessed at from anywhere for as
    /// long as the site stands, with no second factor (NIST SP 800-63B's floor is 8 where attempts are limited;
    /// Apache's basic auth limits none). -AllowWeakPassword takes any non-empty one.
    /// </summary>
    public const int MinimumPasswordLength = 12;

    /// <summary>A password a door can use: not empty, at least <see cref="MinimumPasswordLength"/> characters (unless <paramref name="allowWeak"/>), no line break (it is typed at a browser's prompt).</summary>
    public static SecureString Check(SecureString? password, string user, bool allowWeak = false)
    {
        if (password is null || password.Length == 0)
        {
            throw HomeTunnelException.Invalid("BasicAuthPasswordEmpty", $"The password for basic-auth user '{user}' is empty; give -Credential with a password.", user);
        }
        if (password.Length < MinimumPasswordLength && !allowWeak)
        {
            // A door on the internet is guessed at, from anywhere, for as long as the site stands.
            throw HomeTunnelException.Invalid("BasicAuthPasswordTooShort",
                $"The password for basic-auth user '{user}' has {password.Length} character(s); a door on the internet is guessed at, so it takes at least {MinimumPasswordLength} (a passphrase of a few words is better), or -AllowWeakPassword.", user);
        }
        string? why = WithPlain(password, plain =>
            plain.Any(c => char.IsControl(c) || HostText.IsControl(c)) ? "has a control character (a NUL, a line break, DEL), which a browser's prompt cannot send and a hash would not keep"
            // bcrypt reads 72 bytes and ignores the rest: a longer one would seem stronger than it is.
            : System.Text.Encoding.UTF8.GetByteCount(plain) > 72 ? "is longer than the 72 bytes bcrypt reads (the rest would be ignored)"
            : null);
        if (why is not null)
        {
            throw HomeTunnelException.Invalid("BasicAuthPasswordInvalid", $"The password for basic-auth user '{user}' {why}; use another.", user);
        }
        SecureString copy = password.Copy();
        copy.MakeReadOnly();
        return copy;
    }
}
