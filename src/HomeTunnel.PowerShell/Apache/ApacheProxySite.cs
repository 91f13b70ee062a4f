using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace HomeTunnel.Apache;

/// <summary>
/// One service on the relay: name-based VirtualHost(s) that proxy a public name to a home backend. The
/// rendered <see cref="Text"/> is the whole sites-available file; <see cref="RequiredModules"/> says what
/// Apache must have enabled for it. Settings that are null are simply not written (as in a parsed file).
/// </summary>
public sealed class ApacheProxySite
{
    public const int DefaultConnectTimeout = 5;
    public const int DefaultRetry = 0;
    public const int DefaultProxyTimeout = 60;

    internal ApacheProxySite() { }

    public string ServerName { get; init; } = string.Empty;
    public IReadOnlyList<string> ServerAliases { get; init; } = Array.Empty<string>();
    /// <summary>The home service's URL ("http://192.168.4.2:3000/"), as text.</summary>
    public string Backend => BackendValue.ToString();
    internal ProxyBackend BackendValue { get; init; } = null!;
    public string Path { get; init; } = "/";
    public bool Http { get; init; }
    public bool Https { get; init; }

    /// <summary>With HTTPS: the :80 VirtualHost only redirects to https.</summary>
    public bool HttpRedirect { get; init; }
    public TlsMode Tls { get; init; }
    public string? CertificateFile { get; init; }
    public string? CertificateKeyFile { get; init; }
    public bool WebSocket { get; init; }
    public bool? PreserveHost { get; init; }

    /// <summary>"ProxyRequests Off" written out: never an open forward proxy.</summary>
    public bool ProxyRequestsOff { get; init; }

    /// <summary>"TraceEnable Off" written out: the relay answers TRACE with 405 itself, whatever the host's defaults.</summary>
    public bool TraceDisabled { get; init; }

    /// <summary>The relay sets X-Forwarded-Proto and drops a client's own X-Forwarded-For before mod_proxy adds the real one.</summary>
    public bool ForwardedHeaders { get; init; }
    public int? ConnectTimeout { get; init; }
    public int? Retry { get; init; }
    public int? ProxyTimeout { get; init; }

    /// <summary>"ProxyPass /.well-known/acme-challenge/ !" so certificate renewals are answered by the relay.</summary>
    public bool AcmeChallengeException { get; init; }

    /// <summary>How the ACME CA checks the names (with Tls Acme): Http01, or Dns01 through HomeTunnel's hook and <see cref="AcmeDns"/>.</summary>
    public AcmeChallenge AcmeChallenge => AcmeDns is null ? AcmeChallenge.Http01 : AcmeChallenge.Dns01;

    /// <summary>DNS-01: the zone's primary server the relay's hook updates ("ip:port").</summary>
    public string? AcmeDnsServer => AcmeDns?.Server.ToString();

    /// <summary>DNS-01: the zone the names are in.</summary>
    public string? AcmeDnsZone => AcmeDns?.Zone;

    /// <summary>DNS-01: the site's TSIG key file on the relay (0600, Apache's user's).</summary>
    public string? AcmeDnsKeyFile => AcmeDns is null ? null : AcmeDns01.KeyPathFor(ServerName);

    /// <summary>DNS-01 settings with the key (internal: no formatter, JSON or CLIXML sees the key).</summary>
    internal AcmeDns01? AcmeDns { get; init; }

    /// <summary>The client networks let through the site's door (canonical CIDRs); empty: everyone.</summary>
    public IReadOnlyList<string> AllowFrom { get; init; } = Array.Empty<string>();

    /// <summary>The one user the door lets in with a password (basic auth over HomeTunnel's htpasswd file); null: no password.</summary>
    public string? BasicAuthUser { get; init; }

    /// <summary>The htpasswd file on the relay behind the door, when there is a user.</summary>
    public string? PasswordFile => BasicAuthUser is null ? null : BasicAuthFile.PathFor(ServerName);

    /// <summary>
    /// The password, only as given to New-ApacheProxySite -Credential; internal, so no formatter, JSON or
    /// CLIXML sees it. Null for a site read back from text: an install keeps the hash already on the relay.
    /// </summary>
    internal System.Security.SecureString? BasicAuthPassword { get; init; }

    /// <summary>Directives of a parsed VirtualHost the model does not interpret, kept in order (a nested section is one entry).</summary>
    public IReadOnlyList<string> ExtraDirectives { get; init; } = Array.Empty<string>();

    /// <summary>Directives of a parsed file outside any VirtualHost that the model does not interpret.</summary>
    public IReadOnlyList<string> ExtraGlobalDirectives { get; init; } = Array.Empty<string>();

    /// <summary>ProxyPass parameters the model does not interpret (key=value), kept in order.</summary>
    public IReadOnlyList<string> ExtraProxyParameters { get; init; } = Array.Empty<string>();

    /// <summary>Directives the user let through the import allow-list by name (-AllowDirective), kept so a re-check before install agrees.</summary>
    public IReadOnlyList<string> AllowedDirectives { get; init; } = Array.Empty<string>();

    /// <summary>Where it was read from, when it was parsed.</summary>
    public string? Source { get; init; }

    /// <summary>The file name in sites-available: the server name, which validation keeps to [a-z0-9.-].</summary>
    public string FileName => ServerName + ".conf";

    /// <summary>The Apache modules the file needs, in the order a2enmod should enable them.</summary>
    public IReadOnlyList<string> RequiredModules
    {
        get
        {
            var list = new List<string> { "proxy", "proxy_http" };
            if (ForwardedHeaders)
            {
                list.Add("headers");
            }
            if (HttpRedirect)
            {
                list.Add("alias");
            }
            if (Https)
            {
                list.Add("ssl");
            }
            if (Tls == TlsMode.Acme)
            {
                list.Add("md");
            }
            if (AllowFrom.Count > 0)
            {
                list.Add("authz_host");
            }
            if (BasicAuthUser is not null)
            {
                list.AddRange(new[] { "authn_core", "authn_file", "auth_basic", "authz_user" });
            }
            return list.Distinct().ToArray();
        }
    }

    public string Text => ApacheSiteWriter.Write(this);

    /// <summary>
    /// What must hold before this site reaches a relay, however the object was made: its file passes the
    /// import allow-list (with the directives the user named) and parses back to the same one site.
    /// </summary>
    public void EnsureInstallable()
    {
        string text = Text;
        IReadOnlyList<ApacheProxySite> again = ApacheSiteParser.Parse(text, $"the site {ServerName}", AllowedDirectives, ownBackend: true);
        if (again.Count != 1 || again[0].ServerName != ServerName || !string.Equals(again[0].Text, text, StringComparison.Ordinal))
        {
            throw new HomeTunnelException("SiteNotStable", ErrorKind.InvalidData,
                $"The site {ServerName} does not read back as written; nothing was changed.", ServerName);
        }
    }

    public override string ToString() => $"{ServerName} -> {Backend}";

    /// <summary>The site files the distribution's apache2 package ships (Debian: sites-available/000-default.conf and default-ssl.conf).</summary>
    private static readonly System.Collections.Generic.HashSet<string> ReservedFileNames = new(StringComparer.OrdinalIgnoreCase) { "000-default", "default-ssl", "default" };

    /// <summary>Refuses a ServerName whose file would be one of the distribution's own sites (ServerNameReserved).</summary>
    internal static void EnsureNotReserved(string serverName)
    {
        if (ReservedFileNames.Contains(serverName))
        {
            throw HomeTunnelException.Invalid("ServerNameReserved",
                $"ServerName '{serverName}' would be the file name of the distribution's own site ({serverName}.conf in sites-available); a site of HomeTunnel never takes it over. Use the service's real DNS name.", serverName);
        }
    }

    public static ApacheProxySite Create(ApacheSiteSpec spec)
    {
        string serverName = DnsName.SiteName(spec.ServerName, "ServerName", "ServerName");
        EnsureNotReserved(serverName);
        string[] aliases = (spec.ServerAliases ?? Array.Empty<string>())
            .Select(a => DnsName.SiteName(a, "ServerAlias", "ServerAlias", allowWildcard: true))
            .Where(a => a != serverName)
            .Distinct()
            .ToArray();

        ProxyBackend backend;
        if (!string.IsNullOrEmpty(spec.Backend))
        {
            backend = ProxyBackend.Parse(spec.Backend); // wins over a piped peer's Address
        }
        else if (spec.Address is not null)
        {
            if (spec.Port is not int port)
            {
                throw HomeTunnelException.Invalid("PortMissing", $"ServerName '{serverName}': a backend address '{spec.Address}' needs -Port (the home service's port).", spec.Address);
            }
            backend = ProxyBackend.FromAddress(spec.Address, port);
        }
        else
        {
            throw HomeTunnelException.Invalid("BackendMissing", $"ServerName '{serverName}' has no backend: pipe a home peer (its Address) with -Port, or give -Backend.", serverName);
        }

        BackendPolicy.Ensure(backend, serverName);

        string path = UrlPath.Normalize(spec.Path ?? "/", "Path", "Path");
        bool hasFiles = spec.CertificateFile is not null || spec.CertificateKeyFile is not null;
        bool https = spec.Https || hasFiles;
        bool redirect = https && !spec.Http && spec.HttpRedirect != false;
        bool http = spec.Http || !https || redirect;
        TlsMode tls = !https ? TlsMode.None : hasFiles ? TlsMode.Files : TlsMode.Acme;
        string? cert = null, key = null;
        if (tls == TlsMode.Files)
        {
            if (spec.CertificateFile is null || spec.CertificateKeyFile is null)
            {
                throw HomeTunnelException.Invalid("TlsFilesIncomplete", $"ServerName '{serverName}': give both -CertificateFile and -CertificateKeyFile, or neither (ACME).", spec.CertificateFile ?? spec.CertificateKeyFile);
            }
            cert = CertificatePath(spec.CertificateFile, "CertificateFile");
            key = CertificatePath(spec.CertificateKeyFile, "CertificateKeyFile");
        }
        AcmeDns01? dns01 = Dns01(spec, tls, serverName, aliases);
        if (tls == TlsMode.Acme && dns01 is null && aliases.Any(a => a.StartsWith("*.", StringComparison.Ordinal)))
        {
            string wildcard = aliases.First(a => a.StartsWith("*.", StringComparison.Ordinal));
            throw HomeTunnelException.Invalid("WildcardNeedsDnsChallenge",
                $"ServerAlias '{wildcard}' cannot get an ACME certificate over HTTP (wildcards need a DNS challenge); use -AcmeChallenge Dns01, -CertificateFile, or drop the wildcard.", wildcard);
        }

        string? user = spec.BasicAuthUser is null ? null : SiteDoor.UserName(spec.BasicAuthUser);
        if (spec.BasicAuthPassword is not null && user is null)
        {
            throw HomeTunnelException.Invalid("BasicAuthUserMissing", $"ServerName '{serverName}': a basic-auth password needs its user; give -Credential (user and password).", serverName);
        }
        System.Security.SecureString? password = user is null || spec.BasicAuthPassword is null ? null : BasicAuthFile.Check(spec.BasicAuthPassword, user, spec.AllowWeakPassword);

        return new ApacheProxySite
        {
            ServerName = serverName,
            ServerAliases = Array.AsReadOnly(aliases),
            BackendValue = backend,
            Path = path,
            Http = http,
            Https = https,
            HttpRedirect = redirect,
            Tls = tls,
            CertificateFile = cert,
            CertificateKeyFile = key,
            WebSocket = spec.WebSocket ?? true,
            PreserveHost = spec.PreserveHost ?? true,
            ProxyRequestsOff = true,
            TraceDisabled = true,
            ForwardedHeaders = spec.ForwardedHeaders ?? true,
            ConnectTimeout = Seconds(spec.ConnectTimeout ?? DefaultConnectTimeout, "ConnectTimeout", 1, 300),
            Retry = Seconds(spec.Retry ?? DefaultRetry, "Retry", 0, 3600),
            ProxyTimeout = Seconds(spec.ProxyTimeout ?? DefaultProxyTimeout, "ProxyTimeout", 1, 86400),
            AcmeChallengeException = spec.AcmeChallengeException ?? true,
            AcmeDns = dns01,
            AllowFrom = SiteDoor.AllowList(spec.AllowFrom, spec.AllowEveryone),
            BasicAuthUser = user,
            BasicAuthPassword = password,
        };
    }

    /// <summary>
    /// DNS-01 settings from the spec, checked: only with certificates from ACME; a server, a zone that holds every
    /// name of the site; the key, or (a site from data) none: an install then keeps the key file already on the relay.
    /// </summary>
    private static AcmeDns01? Dns01(ApacheSiteSpec spec, TlsMode tls, string serverName, string[] aliases)
    {
        if ((spec.AcmeChallenge ?? AcmeChallenge.Http01) == AcmeChallenge.Http01)
        {
            string? stray = spec.AcmeDnsServer ?? spec.AcmeDnsZone ?? spec.AcmeDnsKey?.Name;
            if (stray is not null)
            {
                throw HomeTunnelException.Invalid("AcmeDnsSettingWithoutDns01", $"ServerName '{serverName}': the DNS server, zone and key are for -AcmeChallenge Dns01; add it, or leave them out.", stray);
            }
            return null;
        }
        if (tls != TlsMode.Acme)
        {
            throw HomeTunnelException.Invalid("AcmeChallengeNeedsAcme",
                $"ServerName '{serverName}': -AcmeChallenge Dns01 is how an ACME certificate is obtained; give -Https without -CertificateFile/-CertificateKeyFile.", spec.AcmeChallenge);
        }
        if (string.IsNullOrEmpty(spec.AcmeDnsServer))
        {
            throw HomeTunnelException.Invalid("AcmeDnsServerMissing", $"ServerName '{serverName}': -AcmeChallenge Dns01 needs -DnsServer, the zone's primary server that takes RFC 2136 updates.", serverName);
        }
        System.Net.IPEndPoint server = HomeTunnel.Probes.DnsProbe.ParseServer(spec.AcmeDnsServer);
        if (string.IsNullOrEmpty(spec.AcmeDnsZone))
        {
            throw HomeTunnelException.Invalid("AcmeDnsZoneMissing", $"ServerName '{serverName}': -AcmeChallenge Dns01 needs -Zone, the zone that holds the name on -DnsServer.", serverName);
        }
        string zone = DnsName.Normalize(spec.AcmeDnsZone, "Zone", "Zone");
        foreach (string n in aliases.Prepend(serverName).Select(a => a.StartsWith("*.", StringComparison.Ordinal) ? a[2..] : a))
        {
            if (n != zone && !n.EndsWith("." + zone, StringComparison.Ordinal))
            {
                throw HomeTunnelException.Invalid("DnsNameOutsideZone", $"{n} is not in zone {zone}: the DNS-01 hook writes only inside the zone.", n);
            }
        }
        return new AcmeDns01(server, zone, spec.AcmeDnsKey, spec.AcmeDnsKey?.Name);
    }

    private static int Seconds(int value, string what, int min, int max) =>
        value >= min && value <= max
            ? value
            : throw HomeTunnelException.Invalid($"{what}OutOfRange", $"{what} {value} is out of range; use {min} to {max} seconds.", value);

    /// <summary>Certificate paths go into the config unquoted: absolute, and only plain path characters.</summary>
    internal static string CertificatePath(string value, string what)
    {
        bool plain = value.Length > 1 && value[0] == '/' && value.All(c => c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '/' or '.' or '_' or '-' or '+' or '@');
        if (!plain || value.Split('/').Any(s => s == ".."))
        {
            throw HomeTunnelException.Invalid($"{what}Invalid", $"{what} '{DnsName.Printable(value)}' must be an absolute path of letters, digits and / . _ - + @ (no '..').", value);
        }
        return value;
    }
}
