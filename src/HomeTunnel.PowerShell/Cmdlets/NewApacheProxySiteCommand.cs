using System.Collections;
using System.Management.Automation;
using HomeTunnel.Apache;

namespace HomeTunnel.Cmdlets;

/// <summary>
/// A proxy VirtualHost for one service. The backend comes from a piped home peer's Address (with -Port),
/// from -Backend, or from CSV rows/objects/hashtables with the same property names.
/// </summary>
[Cmdlet(VerbsCommon.New, "ApacheProxySite")]
[OutputType(typeof(ApacheProxySite))]
public sealed class NewApacheProxySiteCommand : HomeTunnelCmdlet
{
    /// <summary>
    /// A piped object: a hashtable is read key by key; any other object (a peer, a CSV row) binds by
    /// property name to the parameters below.
    /// </summary>
    [Parameter(ValueFromPipeline = true)]
    public object? InputObject { get; set; }

    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    public string ServerName { get; set; } = string.Empty;

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string[]? ServerAlias { get; set; }

    /// <summary>The home peer's tunnel address (bound from a piped TunnelPeer).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? Address { get; set; }

    /// <summary>The home service's port.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [EmptyAsNull]
    public int? Port { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? Backend { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? Path { get; set; }

    [Parameter]
    public SwitchParameter Http { get; set; }

    [Parameter]
    public SwitchParameter Https { get; set; }

    /// <summary>With -Https alone, leave :80 out entirely instead of redirecting it (-Https -Http serves both).</summary>
    [Parameter]
    public SwitchParameter NoHttpRedirect { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? CertificateFile { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? CertificateKeyFile { get; set; }

    [Parameter]
    public SwitchParameter WebSocket { get; set; }

    [Parameter]
    public SwitchParameter PreserveHost { get; set; }

    [Parameter]
    public SwitchParameter ForwardedHeaders { get; set; }

    [Parameter]
    public SwitchParameter AcmeChallengeException { get; set; }

    /// <summary>Only these client networks (CIDRs, or single addresses) reach the site; others get 403.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string[]? AllowFrom { get; set; }

    /// <summary>Take an -AllowFrom list that lets every address in (0.0.0.0/0, ::/0): without it such a list is refused as no door.</summary>
    [Parameter]
    public SwitchParameter AllowEveryone { get; set; }

    /// <summary>The one user and password a visitor must give (basic auth); only the bcrypt hash reaches the relay.</summary>
    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>Take a door's password shorter than 12 characters (any non-empty one); only on the command line, never from data.</summary>
    [Parameter]
    public SwitchParameter AllowWeakPassword { get; set; }

    /// <summary>The basic-auth user without a password: an install keeps the hash already on the relay for this user.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? BasicAuthUser { get; set; }

    /// <summary>How the ACME CA checks the names: Http01 (default) or Dns01 (a TXT record HomeTunnel's hook on the relay writes over RFC 2136).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [EmptyAsNull]
    [StrictEnum(typeof(AcmeChallenge))]
    public AcmeChallenge? AcmeChallenge { get; set; }

    /// <summary>DNS-01: the zone's primary server that takes RFC 2136 updates (an IP address, optionally with :port).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? DnsServer { get; set; }

    /// <summary>DNS-01: the zone that holds the site's names on -DnsServer.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? Zone { get; set; }

    /// <summary>DNS-01: the TSIG key as a credential (key name, base64 secret); the relay's hook signs its updates with it.</summary>
    [Parameter]
    [Credential]
    public PSCredential? DnsKey { get; set; }

    /// <summary>DNS-01: the TSIG key as a bind key file readable by its owner only (instead of -DnsKey).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? DnsKeyFile { get; set; }

    /// <summary>The algorithm of a -DnsKey credential (a key file names its own).</summary>
    [Parameter]
    [StrictEnum(typeof(HomeTunnel.DnsUpdate.TsigAlgorithm))]
    public HomeTunnel.DnsUpdate.TsigAlgorithm DnsKeyAlgorithm { get; set; } = HomeTunnel.DnsUpdate.TsigAlgorithm.HmacSha256;

    [Parameter]
    public int? ConnectTimeout { get; set; }

    [Parameter]
    public int? Retry { get; set; }

    [Parameter]
    public int? ProxyTimeout { get; set; }

    protected override void Process()
    {
        if (Credential is not null && BasicAuthUser is not null && Credential.UserName != BasicAuthUser)
        {
            throw HomeTunnelException.Invalid("BasicAuthUserConflict",
                $"-BasicAuthUser '{BasicAuthUser}' and -Credential's user '{Credential.UserName}' differ; give one of them.", BasicAuthUser);
        }
        if ((InputObject is PSObject r ? r.BaseObject : InputObject) is WireGuard.TunnelPeer { Role: WireGuard.TunnelRole.Relay } relay && Backend is null)
        {
            // The relay's address as a backend would proxy the internet into the relay itself.
            throw HomeTunnelException.Invalid("RoleMismatch",
                $"Peer '{relay.Name}' is the relay: a site proxies to the home peer the service runs on. Pipe the Home peer instead ($homePeer | New-ApacheProxySite ...).", relay.Name);
        }
        if ((InputObject is PSObject p ? p.BaseObject : InputObject) is IDictionary table)
        {
            ApacheSiteSpec fromData = ApacheSiteSpec.FromDictionary(Unwrap(table));
            fromData.AllowWeakPassword = AllowWeakPassword;
            fromData.AcmeDnsKey = DnsKeyValue();
            WriteObject(Made(fromData));
            return;
        }
        WriteObject(Made(new ApacheSiteSpec
        {
            ServerName = ServerName,
            ServerAliases = ServerAlias,
            Address = Address,
            Port = Port,
            Backend = Backend,
            Path = Path,
            Http = Http,
            Https = Https,
            HttpRedirect = NoHttpRedirect ? false : null,
            CertificateFile = CertificateFile,
            CertificateKeyFile = CertificateKeyFile,
            // Switches whose default is on: -WebSocket:$false turns one off.
            WebSocket = Switch(nameof(WebSocket), WebSocket),
            PreserveHost = Switch(nameof(PreserveHost), PreserveHost),
            ForwardedHeaders = Switch(nameof(ForwardedHeaders), ForwardedHeaders),
            AcmeChallengeException = Switch(nameof(AcmeChallengeException), AcmeChallengeException),
            ConnectTimeout = ConnectTimeout,
            Retry = Retry,
            ProxyTimeout = ProxyTimeout,
            AllowFrom = AllowFrom,
            AllowEveryone = AllowEveryone,
            BasicAuthUser = Credential?.UserName ?? BasicAuthUser,
            BasicAuthPassword = Credential?.Password,
            AllowWeakPassword = AllowWeakPassword,
            AcmeChallenge = AcmeChallenge,
            AcmeDnsServer = DnsServer,
            AcmeDnsZone = Zone,
            AcmeDnsKey = DnsKeyValue(),
        }));
    }

    /// <summary>The TSIG key from -DnsKey or -DnsKeyFile (only from the command line, never from data), or null.</summary>
    private HomeTunnel.DnsUpdate.TsigKey? DnsKeyValue() =>
        HomeTunnel.DnsUpdate.TsigKey.FromParameters(DnsKey, DnsKeyFile, DnsKeyAlgorithm, FileSystemPath);

    private ApacheProxySite Made(ApacheSiteSpec spec)
    {
        ApacheProxySite site = ApacheProxySite.Create(spec);
        WarnWeak(this, spec.AllowWeakPassword, spec.BasicAuthUser, spec.BasicAuthPassword);
        return site;
    }

    /// <summary>Said once a door takes a short password under -AllowWeakPassword.</summary>
    internal static void WarnWeak(PSCmdlet cmdlet, bool allowWeak, string? user, System.Security.SecureString? password)
    {
        if (allowWeak && password is { } pw && pw.Length < BasicAuthFile.MinimumPasswordLength)
        {
            cmdlet.WriteWarning($"The door's password for '{user}' has {pw.Length} character(s), under {BasicAuthFile.MinimumPasswordLength}: anyone on the internet may guess at it for as long as the site stands.");
        }
    }

    private bool? Switch(string name, SwitchParameter value) =>
        MyInvocation.BoundParameters.ContainsKey(name) ? value.IsPresent : null;

    private static Hashtable Unwrap(IDictionary table)
    {
        var plain = new Hashtable(System.StringComparer.OrdinalIgnoreCase);
        foreach (DictionaryEntry e in table)
        {
            plain[e.Key] = e.Value is PSObject p ? p.BaseObject : e.Value;
        }
        return plain;
    }
}
