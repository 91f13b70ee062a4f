using System;
using System.Net;
using System.Management.Automation.Runspaces;
using System.Threading;
using System.Threading.Tasks;

namespace HomeTunnel.Probes;

/// <summary>Where a host-side probe runs: a runspace to borrow, or one to open (and close) for this check.</summary>
public sealed class ProbeHost
{
    public string Name { get; init; } = string.Empty;
    public Func<CancellationToken, Task<Runspace>> Open { get; init; } = null!;
    public Action<Runspace>? Close { get; init; }

    /// <summary>A session the caller owns: used as it is, never closed here.</summary>
    public static ProbeHost FromSession(System.Management.Automation.Runspaces.PSSession session) => new()
    {
        Name = session.ComputerName,
        Open = _ => session.Runspace.RunspaceStateInfo.State == RunspaceState.Opened
            ? Task.FromResult(session.Runspace)
            : Task.FromException<Runspace>(new HomeTunnelException("SessionNotOpen", ErrorKind.ConnectionError,
                $"the session to {session.ComputerName} is {session.Runspace.RunspaceStateInfo.State}; open a new one", session.ComputerName)),
    };

    /// <summary>This machine, in a runspace of its own.</summary>
    public static ProbeHost Local() => new()
    {
        Name = "localhost",
        Open = _ => Task.Run(() =>
        {
            Runspace rs = RunspaceFactory.CreateRunspace();
            rs.Open();
            return rs;
        }),
        Close = rs => rs.Dispose(),
    };
}

/// <summary>Everything Test-TunnelPath needs to judge one name's path.</summary>
public sealed record TunnelPathOptions
{
    public string ServerName { get; init; } = string.Empty;
    /// <summary>The relay's public address: given, or the relay session's host; null to take the DNS answer.</summary>
    public string? RelayAddress { get; init; }
    public IPEndPoint? DnsServer { get; init; }
    public int[] Ports { get; init; } = { 80 };
    public bool Https { get; init; }
    public string UrlPath { get; init; } = "/";
    public string InterfaceName { get; init; } = "wg0";
    public TimeSpan Deadline { get; init; } = TimeSpan.FromSeconds(20);
    public TimeSpan HandshakeWarn { get; init; } = TimeSpan.FromSeconds(135);
    public TimeSpan HandshakeFail { get; init; } = TimeSpan.FromSeconds(180);
    public int CertificateWarnDays { get; init; } = 14;
    /// <summary>How long the home side's NAT keeps an idle UDP mapping (Measure-TunnelNat); null: not compared.</summary>
    public int? NatTimeoutSeconds { get; init; }
    /// <summary>Roots to trust besides the system's (a private CA's PEM bundle).</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2Collection? TrustedRoots { get; init; }
    public TunnelHop[] SkipHops { get; init; } = Array.Empty<TunnelHop>();
    public ProbeHost? Relay { get; init; }
    public ProbeHost? Home { get; init; }
    /// <summary>Port forwards to check end to end from here, through the relay's public address.</summary>
    public HomeTunnel.Forwards.TunnelPortForward[] Forwards { get; init; } = Array.Empty<HomeTunnel.Forwards.TunnelPortForward>();
    /// <summary>What a UDP forward's probe sends; the service must answer it (UDP has no connection to see).</summary>
    public byte[] UdpRequest { get; init; } = System.Text.Encoding.ASCII.GetBytes("hometunnel-probe\n");
}
