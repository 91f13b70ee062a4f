using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation.Runspaces;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using HomeTunnel.Hosts;

namespace HomeTunnel.Probes;

/// <summary>
/// What a path check is asked, as plain values: Test-TunnelPath's parameters, or a registered check's data file.
/// <see cref="Options"/> turns it into the checker's options (hosts to open, roots to trust) the same way for both,
/// so a scheduled run calls <see cref="TunnelPathChecker"/> directly, with the same rules, and no cmdlet by name.
/// </summary>
public sealed partial class TunnelPathRequest
{
    public PSSession? RelaySession { get; init; }
    public PSSession? HomeSession { get; init; }
    public string? RelayHostName { get; init; }
    public string? HomeHostName { get; init; }
    public string? UserName { get; init; }
    public string? KeyFilePath { get; init; }
    public string? KnownHostsFile { get; init; }
    public int SshPort { get; init; } = 22;
    public bool LocalHome { get; init; }
    public HomeTunnel.Forwards.TunnelPortForward[] Forward { get; init; } = Array.Empty<HomeTunnel.Forwards.TunnelPortForward>();
    public string? UdpRequest { get; init; }
    public string? RelayAddress { get; init; }
    public string? DnsServer { get; init; }
    public int[]? Port { get; init; }
    public bool Https { get; init; }
    public string UrlPath { get; init; } = "/";
    public string InterfaceName { get; init; } = "wg0";
    public int TimeoutSeconds { get; init; } = 20;
    public int HandshakeWarnSeconds { get; init; } = 135;
    public int HandshakeFailSeconds { get; init; } = 180;
    public int CertificateWarnDays { get; init; } = 14;
    public int? NatTimeoutSeconds { get; init; }
    public string? TrustedCertificateFile { get; init; }
    public TunnelHop[] SkipHop { get; init; } = Array.Empty<TunnelHop>();

    // The bounds Test-TunnelPath's parameters declare (its ValidateRange/ValidatePattern name these constants), and so the
    // ones a check's data file is held to.
    public const int MaxPort = 65535, MaxTimeoutSeconds = 600, MaxHandshakeSeconds = 86400, MaxCertificateWarnDays = 3650;
    public const int MinNatTimeoutSeconds = 2, MaxNatTimeoutSeconds = 3600;
    public const string UrlPathPattern = @"\A/\S*\z";

    private static readonly Dictionary<string, (int Min, int Max)> Ranges = new(StringComparer.OrdinalIgnoreCase)
    {
        ["SshPort"] = (1, MaxPort), ["Port"] = (1, MaxPort), ["TimeoutSeconds"] = (1, MaxTimeoutSeconds), ["HandshakeWarnSeconds"] = (1, MaxHandshakeSeconds),
        ["HandshakeFailSeconds"] = (1, MaxHandshakeSeconds), ["CertificateWarnDays"] = (0, MaxCertificateWarnDays), ["NatTimeoutSeconds"] = (MinNatTimeoutSeconds, MaxNatTimeoutSeconds),
    };

    /// <summary>The parameters a registered check may fix: plain values that outlive the shell (no session, forward or hop list).</summary>
    public static readonly IReadOnlySet<string> CheckParameters = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "RelayHostName", "HomeHostName", "UserName", "KeyFilePath", "KnownHostsFile", "SshPort", "LocalHome", "RelayAddress",
        "DnsServer", "Port", "Https", "UrlPath", "InterfaceName", "TimeoutSeconds", "HandshakeWarnSeconds", "HandshakeFailSeconds",
        "CertificateWarnDays", "TrustedCertificateFile", "NatTimeoutSeconds",
    };

    [GeneratedRegex(UrlPathPattern)]
    private static partial Regex UrlPathShape();

    /// <summary>
    /// A registered check's fixed parameters (TunnelPathCheckPlan.CheckParameters' names and plain values), each held to
    /// the type and range Test-TunnelPath gives it; anything else is InvalidCheckParameterValue or UnknownCheckParameter.
    /// </summary>
    public static TunnelPathRequest FromCheck(IReadOnlyDictionary<string, object> parameters, TunnelHop[]? skip = null)
    {
        var p = new Dictionary<string, object>(parameters, StringComparer.OrdinalIgnoreCase);
        return new TunnelPathRequest
        {
            RelayHostName = Text(p, "RelayHostName"),
            HomeHostName = Text(p, "HomeHostName"),
            UserName = Text(p, "UserName"),
            KeyFilePath = Text(p, "KeyFilePath"),
            KnownHostsFile = Text(p, "KnownHostsFile"),
            SshPort = Number(p, "SshPort") ?? 22,
            LocalHome = Truth(p, "LocalHome"),
            RelayAddress = Text(p, "RelayAddress"),
            DnsServer = Text(p, "DnsServer"),
            Port = Ports(p, "Port"),
            Https = Truth(p, "Https"),
            UrlPath = Text(p, "UrlPath") ?? "/",
            InterfaceName = Text(p, "InterfaceName") ?? "wg0",
            TimeoutSeconds = Number(p, "TimeoutSeconds") ?? 20,
            HandshakeWarnSeconds = Number(p, "HandshakeWarnSeconds") ?? 135,
            HandshakeFailSeconds = Number(p, "HandshakeFailSeconds") ?? 180,
            CertificateWarnDays = Number(p, "CertificateWarnDays") ?? 14,
            NatTimeoutSeconds = Number(p, "NatTimeoutSeconds"),
            TrustedCertificateFile = Text(p, "TrustedCertificateFile"),
            SkipHop = skip ?? Array.Empty<TunnelHop>(),
        }.Checked(p.Keys);
    }

    private TunnelPathRequest Checked(IEnumerable<string> keys)
    {
        string? unknown = keys.FirstOrDefault(k => !CheckParameters.Contains(k));
        if (unknown is not null)
        {
            throw HomeTunnelException.Invalid("UnknownCheckParameter", $"'{unknown}' cannot be fixed in a scheduled check.", unknown);
        }
        if (!UrlPathShape().IsMatch(UrlPath))
        {
            throw HomeTunnelException.Invalid("InvalidCheckParameterValue", $"UrlPath '{DnsName.Printable(UrlPath)}' is not a path (it starts with / and holds no white space).", UrlPath);
        }
        if (HomeHostName is not null && RelayHostName is null)
        {
            throw HomeTunnelException.Invalid("InvalidCheckParameterValue", "HomeHostName needs RelayHostName: the check opens both hosts itself.", HomeHostName);
        }
        return this;
    }

    private static string? Text(Dictionary<string, object> p, string key) => p.TryGetValue(key, out object? v)
        ? v is string s && s.Length > 0 && !s.Any(char.IsControl) ? s : throw Bad(key, v)
        : null;

    private static int? Number(Dictionary<string, object> p, string key)
    {
        if (!p.TryGetValue(key, out object? v))
        {
            return null;
        }
        int n = v is int i ? i : v is long l && l is >= int.MinValue and <= int.MaxValue ? (int)l : throw Bad(key, v);
        (int min, int max) = Ranges[key];
        return n >= min && n <= max ? n : throw HomeTunnelException.Invalid("InvalidCheckParameterValue", $"{key} {n} is out of range ({min} to {max}).", n);
    }

    private static bool Truth(Dictionary<string, object> p, string key) =>
        p.TryGetValue(key, out object? v) && (v is bool b ? b : throw Bad(key, v));

    private static int[]? Ports(Dictionary<string, object> p, string key)
    {
        if (!p.TryGetValue(key, out object? v))
        {
            return null;
        }
        int[] ports = v switch
        {
            int i => new[] { i },
            int[] a => a,
            long[] a when a.All(x => x is >= 1 and <= 65535) => a.Select(x => (int)x).ToArray(),
            _ => throw Bad(key, v),
        };
        return ports.Length > 0 && ports.All(x => x is >= 1 and <= 65535) ? ports : throw Bad(key, v);
    }

    private static HomeTunnelException Bad(string key, object? v) =>
        HomeTunnelException.Invalid("InvalidCheckParameterValue", $"The value of '{key}' in the check's data is not what Test-TunnelPath takes for it ('{DnsName.Printable(v?.ToString() ?? "null")}').", v);

    /// <summary>The checker's options for the names' first, with the hosts to open (sessions, SSH, or this machine) and the roots to trust.</summary>
    /// <param name="path">Turns a file parameter into a file system path (the caller's current location).</param>
    public TunnelPathOptions Options(string firstName, Func<string, string> path)
    {
        if (HandshakeWarnSeconds > HandshakeFailSeconds)
        {
            throw HomeTunnelException.Invalid("HandshakeThresholdOrder", $"-HandshakeWarnSeconds ({HandshakeWarnSeconds}) must not exceed -HandshakeFailSeconds ({HandshakeFailSeconds}).", HandshakeWarnSeconds);
        }
        return new TunnelPathOptions
        {
            ServerName = firstName,
            RelayAddress = RelayAddress,
            DnsServer = DnsServer is null ? null : DnsProbe.ParseServer(DnsServer),
            Ports = Port ?? (Https ? new[] { 80, 443 } : new[] { 80 }),
            Https = Https,
            UrlPath = UrlPath,
            InterfaceName = Checks.InterfaceName(InterfaceName),
            Deadline = TimeSpan.FromSeconds(TimeoutSeconds),
            HandshakeWarn = TimeSpan.FromSeconds(HandshakeWarnSeconds),
            HandshakeFail = TimeSpan.FromSeconds(HandshakeFailSeconds),
            CertificateWarnDays = CertificateWarnDays,
            NatTimeoutSeconds = NatTimeoutSeconds,
            TrustedRoots = TrustedCertificateFile is null ? null : ReadRoots(path(TrustedCertificateFile)),
            SkipHops = SkipHop,
            Relay = RelaySession is not null ? ProbeHost.FromSession(RelaySession) : RelayHostName is not null ? Opened(RelayHostName, path) : null,
            Home = HomeSession is not null ? ProbeHost.FromSession(HomeSession) : HomeHostName is not null ? Opened(HomeHostName, path) : LocalHome ? ProbeHost.Local() : null,
            Forwards = Forward,
            UdpRequest = UdpRequest is null ? new TunnelPathOptions().UdpRequest : System.Text.Encoding.UTF8.GetBytes(UdpRequest),
        };
    }

    private static X509Certificate2Collection ReadRoots(string path)
    {
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(path);
        }
        catch (Exception e) when (e is System.IO.IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new HomeTunnelException("TrustedCertificateFileInvalid", ErrorKind.InvalidArgument, $"'{path}' is not a readable PEM file of certificates: {e.Message}", path);
        }
        if (roots.Count == 0)
        {
            throw new HomeTunnelException("TrustedCertificateFileInvalid", ErrorKind.InvalidArgument, $"'{path}' holds no certificate.", path);
        }
        return roots;
    }

    private ProbeHost Opened(string hostName, Func<string, string> path)
    {
        var target = new SshTarget(hostName, UserName, KeyFilePath is null ? null : path(KeyFilePath), SshPort,
            KnownHostsFile is null ? null : path(KnownHostsFile), Math.Max(1, Math.Min(10, TimeoutSeconds / 2)));
        OpenedSession? opened = null;
        return new ProbeHost
        {
            Name = hostName,
            Open = async cancel =>
            {
                opened = await SshSessionOpener.OpenAsync(target, cancel).ConfigureAwait(false);
                return opened.Session.Runspace;
            },
            Close = _ => opened?.Dispose(),
        };
    }
}
