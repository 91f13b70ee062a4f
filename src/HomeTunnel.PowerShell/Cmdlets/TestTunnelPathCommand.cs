using System;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Tasks;
using HomeTunnel.Hosts;
using HomeTunnel.Probes;

namespace HomeTunnel.Cmdlets;

/// <summary>
/// Checks a name's whole path — DNS, relay, certificate, Apache, tunnel, home service, end to end — and
/// says which hop broke and what to do. Never prompts; a global deadline bounds the run.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "TunnelPath", DefaultParameterSetName = "Session")]
[OutputType(typeof(TunnelPathResult), typeof(bool))]
public sealed class TestTunnelPathCommand : HomeTunnelCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] ServerName { get; set; } = Array.Empty<string>();

    [Parameter(ParameterSetName = "Session")]
    public PSSession? RelaySession { get; set; }

    [Parameter(ParameterSetName = "Session")]
    public PSSession? HomeSession { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = "HostName")]
    [ValidateNotNullOrEmpty]
    public string RelayHostName { get; set; } = string.Empty;

    [Parameter(ParameterSetName = "HostName")]
    [ValidateNotNullOrEmpty]
    public string? HomeHostName { get; set; }

    [Parameter(ParameterSetName = "HostName")]
    [ValidateNotNullOrEmpty]
    public string? UserName { get; set; }

    [Parameter(ParameterSetName = "HostName")]
    [ValidateNotNullOrEmpty]
    public string? KeyFilePath { get; set; }

    [Parameter(ParameterSetName = "HostName")]
    [ValidateNotNullOrEmpty]
    public string? KnownHostsFile { get; set; }

    [Parameter(ParameterSetName = "HostName")]
    [ValidateRange(1, TunnelPathRequest.MaxPort)]
    public int SshPort { get; set; } = 22;

    /// <summary>Check the home side of the tunnel on this machine (a scheduled task on the home computer).</summary>
    [Parameter]
    public SwitchParameter LocalHome { get; set; }

    /// <summary>Port forwards to check too, end to end from here through the relay (a Forward hop each).</summary>
    [Parameter]
    [ValidateNotNull]
    public HomeTunnel.Forwards.TunnelPortForward[]? Forward { get; set; }

    /// <summary>The text a UDP forward's probe sends; the home service must answer it.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? UdpRequest { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? RelayAddress { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? DnsServer { get; set; }

    [Parameter]
    [ValidateRange(1, TunnelPathRequest.MaxPort)]
    public int[]? Port { get; set; }

    [Parameter]
    public SwitchParameter Https { get; set; }

    [Parameter]
    [ValidatePattern(TunnelPathRequest.UrlPathPattern)]
    public string UrlPath { get; set; } = "/";

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(InterfaceNameCompleter))]
    public string InterfaceName { get; set; } = "wg0";

    [Parameter]
    [ValidateRange(1, TunnelPathRequest.MaxTimeoutSeconds)]
    public int TimeoutSeconds { get; set; } = 20;

    [Parameter]
    [ValidateRange(1, TunnelPathRequest.MaxHandshakeSeconds)]
    public int HandshakeWarnSeconds { get; set; } = 135;

    [Parameter]
    [ValidateRange(1, TunnelPathRequest.MaxHandshakeSeconds)]
    public int HandshakeFailSeconds { get; set; } = 180;

    [Parameter]
    [ValidateRange(0, TunnelPathRequest.MaxCertificateWarnDays)]
    public int CertificateWarnDays { get; set; } = 14;

    /// <summary>How long the home side's NAT keeps an idle UDP mapping (Measure-TunnelNat's IdleSurvivedSeconds): the Tunnel hop warns when the home's keepalive is longer or off.</summary>
    [Parameter]
    [ValidateRange(TunnelPathRequest.MinNatTimeoutSeconds, TunnelPathRequest.MaxNatTimeoutSeconds)]
    public int? NatTimeoutSeconds { get; set; }

    /// <summary>A PEM file of root certificates to trust besides the system's (a private or test CA).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? TrustedCertificateFile { get; set; }

    /// <summary>Hops not to judge (reported as Skipped), e.g. Certificate while a certificate is being issued.</summary>
    [Parameter]
    [StrictEnum(typeof(TunnelHop))]
    public TunnelHop[]? SkipHop { get; set; }

    [Parameter]
    public SwitchParameter Quiet { get; set; }

    private readonly System.Collections.Generic.List<string> _names = new();

    protected override void Process()
    {
        foreach (string raw in ServerName)
        {
            string name = DnsName.Normalize(raw, "ServerName", "ServerName");
            if (!_names.Contains(name))
            {
                _names.Add(name);
            }
        }
    }

    /// <summary>All names at once: one session and one agent call per host, however many names (TunnelPathChecker.CheckMany).</summary>
    protected override void End()
    {
        if (_names.Count == 0)
        {
            return;
        }
        var request = new TunnelPathRequest
        {
            RelaySession = RelaySession,
            HomeSession = HomeSession,
            RelayHostName = ParameterSetName == "HostName" ? RelayHostName : null,
            HomeHostName = HomeHostName,
            UserName = UserName,
            KeyFilePath = KeyFilePath,
            KnownHostsFile = KnownHostsFile,
            SshPort = SshPort,
            LocalHome = LocalHome,
            Forward = Forward ?? Array.Empty<HomeTunnel.Forwards.TunnelPortForward>(),
            UdpRequest = UdpRequest,
            RelayAddress = RelayAddress,
            DnsServer = DnsServer,
            Port = Port,
            Https = Https,
            UrlPath = UrlPath,
            InterfaceName = InterfaceName,
            TimeoutSeconds = TimeoutSeconds,
            HandshakeWarnSeconds = HandshakeWarnSeconds,
            HandshakeFailSeconds = HandshakeFailSeconds,
            CertificateWarnDays = CertificateWarnDays,
            NatTimeoutSeconds = NatTimeoutSeconds,
            TrustedCertificateFile = TrustedCertificateFile,
            SkipHop = SkipHop ?? Array.Empty<TunnelHop>(),
        };
        TunnelPathOptions options = request.Options(_names[0], FileSystemPath);
        WriteVerbose($"Checking the path to {string.Join(", ", _names)} (deadline {TimeoutSeconds} s).");
        foreach (TunnelPathResult result in TunnelPathChecker.CheckMany(options, _names, StopToken))
        {
            foreach (TunnelPathHopResult hop in result.Hops)
            {
                WriteVerbose($"{result.ServerName}: {hop.Hop}: {hop.Status} in {hop.DurationMs} ms: {hop.Detail}");
            }
            if (Quiet)
            {
                WriteObject(result.Status != HopStatus.Fail);
            }
            else
            {
                WriteObject(result);
            }
        }
    }
}
