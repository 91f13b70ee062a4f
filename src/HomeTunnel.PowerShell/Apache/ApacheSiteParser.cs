using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace HomeTunnel.Apache;

/// <summary>
/// Turns VirtualHost blocks into <see cref="ApacheProxySite"/>s: the :80 and :443 blocks of one ServerName
/// become one site. Values go through the same validation as New-ApacheProxySite; directives the model does
/// not know are kept in order as data. "ProxyRequests On" (an open proxy) is refused.
/// </summary>
public static partial class ApacheSiteParser
{
    private sealed class VHost
    {
        public int Port;
        public int Line;
        public ApacheDirective Section = null!;
        public string? ServerName;
        public readonly List<string> Aliases = new();
        public bool ProxyRequestsOff, TraceOff, Ssl, AcmeException;
        public ApacheDirective? Redirect;
        public bool? PreserveHost;
        public int? ProxyTimeout;
        public string? CertFile, KeyFile;
        public ApacheDirective? Pass, XffUnset, XfpSet;
        public readonly List<ApacheDirective> Passes = new();
        public readonly List<ApacheDirective> Reverses = new();
        public readonly List<ApacheDirective> Extras = new();

        /// <summary>The door section read as the model's (SiteDoor), and the ACME opening beside it.</summary>
        public ApacheDirective? Door, AcmeOpening;
        public IReadOnlyList<string> DoorAllow = Array.Empty<string>();
        public string? DoorUser;

        /// <summary>Sections that are the model's own rendering: the import policy does not judge them as imported text.</summary>
        public readonly HashSet<ApacheDirective> Own = new();
    }

    /// <param name="ownBackend">The text is HomeTunnel's own rendering of a site whose backend the user chose
    /// (New-ApacheProxySite -Backend may name a service on the relay itself); imported text may not.</param>
    public static IReadOnlyList<ApacheProxySite> Parse(string text, string? source = null, IEnumerable<string>? allowDirectives = null, bool ownBackend = false)
    {
        try
        {
            return ParseCore(text, source, allowDirectives, ownBackend);
        }
        catch (Exception e) when (e is not HomeTunnelException)
        {
            // A defect of ours, never a crash for the caller: the fuzz suite fails on this id.
            throw new HomeTunnelException("ApacheTextUnreadable", ErrorKind.InvalidData, $"{source ?? "Apache config text"} cannot be read ({e.GetType().Name}).", source ?? "Apache config text", e);
        }
    }

    private static IReadOnlyList<ApacheProxySite> ParseCore(string text, string? source, IEnumerable<string>? allowDirectives, bool ownBackend)
    {
        string where = source ?? "Apache config text";
        var allow = new HashSet<string>(allowDirectives ?? Array.Empty<string>(), StringComparer.OrdinalIgnoreCase);
        var globals = new List<string>();
        var mdomains = new List<string>();
        var dns01 = new Dictionary<string, AcmeDns01>(StringComparer.Ordinal);
        var vhosts = new List<VHost>();
        foreach (ApacheDirective d in ApacheConfigReader.Read(text, where))
        {
            if (d.IsSection && d.Is("VirtualHost"))
            {
                vhosts.Add(ReadVHost(d, where));
            }
            else if (d.Is("MDomain"))
            {
                string[] names = d.Args.Select(a => a.ToLowerInvariant()).ToArray();
                mdomains.AddRange(names);
                if (d.IsSection && names.Length > 0)
                {
                    AcmeDns01 settings = ReadDns01(d, names[0], where);
                    foreach (string n in names)
                    {
                        dns01[n] = settings;
                    }
                }
            }
            else
            {
                ApacheImportPolicy.CheckOutside(d, where, allow);
                globals.Add(d.Render());
            }
        }
        var sites = new List<ApacheProxySite>();
        string[] allowed = allow.Order(StringComparer.OrdinalIgnoreCase).ToArray();
        foreach (var group in vhosts.GroupBy(v => v.ServerName!))
        {
            ApacheProxySite site = Build(group.ToList(), globals, mdomains, dns01, where, source, allowed);
            foreach (VHost v in group)
            {
                ApacheImportPolicy.CheckVirtualHost(v.Section, where, allow, site.BackendValue, ownBackend, v.Own);
            }
            sites.Add(site);
            globals = new List<string>(); // file-level extras belong to the first site of the file
        }
        return sites;
    }

    private static VHost ReadVHost(ApacheDirective section, string where)
    {
        string address = section.Args.Count == 1 ? section.Args[0] : string.Join(' ', section.Args);
        var v = new VHost { Line = section.Line, Section = section };
        v.Port = address switch
        {
            "*:80" => 80,
            "*:443" => 443,
            _ => throw ApacheConfigReader.Error("VirtualHostAddressNotSupported", where, section.Line, "is not *:80 or *:443, the only VirtualHost addresses HomeTunnel manages", address),
        };
        foreach (ApacheDirective d in section.Children!)
        {
            At(where, d.Line, () => Consume(v, d, where));
        }
        if (v.ServerName is null)
        {
            throw ApacheConfigReader.Error("VirtualHostWithoutServerName", where, section.Line, "has no ServerName; name-based hosting needs one", section.Text);
        }
        if (v.Passes.Count > 0)
        {
            v.Pass = v.Passes[^1]; // the catch-all comes last; earlier, more specific ones stay in front of it
            v.Extras.InsertRange(0, v.Passes.Take(v.Passes.Count - 1));
        }
        if (v.XffUnset is null ^ v.XfpSet is null)
        {
            v.Extras.Add((v.XffUnset ?? v.XfpSet)!); // half of the pair is just a directive
            v.XffUnset = v.XfpSet = null;
        }
        return v;
    }

    private static void Consume(VHost v, ApacheDirective d, string where)
    {
        IReadOnlyList<string> a = d.Args;
        if (d.IsSection && v.Door is null && v.ServerName is not null && SiteDoor.TryRead(d, v.ServerName, out IReadOnlyList<string> allow, out string? user))
        {
            v.Door = d;
            v.DoorAllow = allow;
            v.DoorUser = user;
        }
        else if (d.IsSection && v.AcmeOpening is null && SiteDoor.IsAcmeOpening(d))
        {
            v.AcmeOpening = d;
        }
        else if (d.IsSection)
        {
            v.Extras.Add(d);
        }
        else if (d.Is("ServerName") && a.Count == 1)
        {
            v.ServerName = DnsName.SiteName(a[0], "ServerName", "ServerName");
        }
        else if (d.Is("ServerAlias"))
        {
            v.Aliases.AddRange(a.Select(x => DnsName.SiteName(x, "ServerAlias", "ServerAlias", allowWildcard: true)));
        }
        else if (d.Is("ProxyRequests") && a.Count == 1)
        {
            if (!a[0].Equals("Off", StringComparison.OrdinalIgnoreCase))
            {
                throw new HomeTunnelException($"ApacheOpenProxy:{d.Name}:{d.Line}", ErrorKind.SecurityError,
                    $"{where}, line {d.Line}: 'ProxyRequests {a[0]}' makes the relay an open proxy for anyone on the internet.", d.Text);
            }
            v.ProxyRequestsOff = true;
        }
        else if (d.Is("TraceEnable") && a.Count == 1 && a[0].Equals("Off", StringComparison.OrdinalIgnoreCase))
        {
            v.TraceOff = true;
        }
        else if (d.Is("ProxyPreserveHost") && a.Count == 1)
        {
            v.PreserveHost = a[0].Equals("On", StringComparison.OrdinalIgnoreCase);
        }
        else if (d.Is("ProxyTimeout") && a.Count == 1 && Checks.TryDigits(a[0], out int timeout))
        {
            v.ProxyTimeout = timeout;
        }
        else if (d.Is("RequestHeader") && v.XffUnset is null && a.Count == 3 && a[0].Equals("unset", StringComparison.OrdinalIgnoreCase)
                 && a[1].Equals("X-Forwarded-For", StringComparison.OrdinalIgnoreCase) && a[2].Equals("early", StringComparison.OrdinalIgnoreCase))
        {
            v.XffUnset = d;
        }
        else if (d.Is("RequestHeader") && v.XfpSet is null && a.Count == 3 && a[0].Equals("set", StringComparison.OrdinalIgnoreCase)
                 && a[1].Equals("X-Forwarded-Proto", StringComparison.OrdinalIgnoreCase) && a[2] == (v.Port == 443 ? "https" : "http"))
        {
            v.XfpSet = d;
        }
        else if (d.Is("ProxyPass") && a.Count == 2 && a[0] == "/.well-known/acme-challenge/" && a[1] == "!")
        {
            v.AcmeException = true;
        }
        else if (d.Is("ProxyPass") && a.Count >= 2 && a[1] != "!")
        {
            v.Passes.Add(d);
        }
        else if (d.Is("ProxyPassReverse"))
        {
            v.Reverses.Add(d);
        }
        else if (d.Is("SSLEngine") && a.Count == 1 && a[0].Equals("on", StringComparison.OrdinalIgnoreCase))
        {
            v.Ssl = true;
        }
        else if (d.Is("SSLCertificateFile") && a.Count == 1)
        {
            v.CertFile = a[0];
        }
        else if (d.Is("SSLCertificateKeyFile") && a.Count == 1)
        {
            v.KeyFile = a[0];
        }
        else if (d.Is("Redirect") && v.Redirect is null && a.Count == 3 && a[0] is "permanent" or "301" && a[1] == "/" && v.ServerName is not null && a[2] == $"https://{v.ServerName}/")
        {
            v.Redirect = d;
        }
        else
        {
            v.Extras.Add(d);
        }
    }

    /// <summary>
    /// An &lt;MDomain&gt; section is read only as HomeTunnel writes it for DNS-01: "MDCAChallenges dns-01" and
    /// "MDChallengeDns01 &lt;HomeTunnel's hook&gt; &lt;server&gt; &lt;port&gt; &lt;zone&gt; &lt;the site's key file&gt;". Anything else in it
    /// (another hook: a command Apache would run; another key file; another directive) is refused, never kept.
    /// </summary>
    private static AcmeDns01 ReadDns01(ApacheDirective section, string serverName, string where)
    {
        ApacheDirective[] children = section.Children!.ToArray();
        ApacheDirective? challenges = children.FirstOrDefault(c => c.Is("MDCAChallenges"));
        ApacheDirective? hook = children.FirstOrDefault(c => c.Is("MDChallengeDns01"));
        ApacheDirective? other = children.FirstOrDefault(c => !ReferenceEquals(c, challenges) && !ReferenceEquals(c, hook));
        if (other is not null)
        {
            throw ApacheConfigReader.Error("MDomainDirectiveNotAllowed", where, other.Line, "stands in an <MDomain> section, where HomeTunnel writes only MDCAChallenges dns-01 and its own MDChallengeDns01 hook", other.Text);
        }
        if (challenges is null || challenges.Args.Count != 1 || challenges.Args[0] != "dns-01")
        {
            throw ApacheConfigReader.Error("MDomainDirectiveNotAllowed", where, challenges?.Line ?? section.Line, "is not the <MDomain> section HomeTunnel writes (MDCAChallenges dns-01 with its MDChallengeDns01 hook)", challenges?.Text ?? section.Text);
        }
        if (hook is null || hook.Args.Count != 5 || hook.Args[0] != AcmeDns01.HookPath || hook.Args[4] != AcmeDns01.KeyPathFor(serverName))
        {
            throw ApacheConfigReader.Error("MDomainHookNotAllowed", where, hook?.Line ?? section.Line,
                $"is not HomeTunnel's DNS-01 hook ({AcmeDns01.HookPath} <server> <port> <zone> {AcmeDns01.KeyPathFor(serverName)}): a hook is a command Apache runs", hook?.Text ?? section.Text);
        }
        return At(where, hook.Line, () =>
        {
            bool port = Checks.TryDigits(hook.Args[2], out int p) && p is >= 1 and <= 65535;
            if (!System.Net.IPAddress.TryParse(hook.Args[1], out System.Net.IPAddress? ip) || ip.ToString() != hook.Args[1] || !port)
            {
                throw HomeTunnelException.Invalid("InvalidDnsServer", $"'{hook.Args[1]} {hook.Args[2]}' is not a DNS server address and port.", hook.Args[1]);
            }
            string zone = DnsName.Normalize(hook.Args[3], "Zone", "Zone");
            return new AcmeDns01(new System.Net.IPEndPoint(ip, p), zone, key: null, keyName: null);
        });
    }

    private static ApacheProxySite Build(List<VHost> group, List<string> globals, List<string> mdomains, Dictionary<string, AcmeDns01> dns01, string where, string? source, string[] allowed)
    {
        string name = group[0].ServerName!;
        ApacheProxySite.EnsureNotReserved(name);
        foreach (var dup in group.GroupBy(v => v.Port).Where(g => g.Count() > 1))
        {
            throw ApacheConfigReader.Error("DuplicateVirtualHost", where, dup.Last().Line, $"is a second *:{dup.Key} VirtualHost for {name}", name);
        }
        VHost? http = group.FirstOrDefault(v => v.Port == 80);
        VHost? https = group.FirstOrDefault(v => v.Port == 443);
        VHost? proxy = https?.Pass is not null ? https : http?.Pass is not null ? http : null;
        if (proxy is null)
        {
            throw ApacheConfigReader.Error("NotAProxySite", where, group[0].Line, "has no ProxyPass to a backend, so it is not a proxy site", name);
        }
        ApacheDirective pass = proxy.Pass!;
        string path = At(where, pass.Line, () => UrlPath.Normalize(pass.Args[0], "ProxyPass path", "Path"));
        ProxyBackend backend = At(where, pass.Line, () => ProxyBackend.Parse(pass.Args[1]));
        int? connect = null, retry = null;
        bool websocket = false;
        var extraParams = new List<string>();
        foreach (string p in pass.Args.Skip(2))
        {
            string[] kv = p.Split('=', 2);
            string key = kv[0].ToLowerInvariant();
            if (kv.Length == 2 && key == "connectiontimeout" && Checks.TryDigits(kv[1], out int ct))
            {
                connect = ct;
            }
            else if (kv.Length == 2 && key == "retry" && Checks.TryDigits(kv[1], out int r))
            {
                retry = r;
            }
            else if (kv.Length == 2 && key == "upgrade" && kv[1].Equals("websocket", StringComparison.OrdinalIgnoreCase))
            {
                websocket = true;
            }
            else
            {
                extraParams.Add(p);
            }
        }
        TlsMode tls = TlsMode.None;
        if (https is not null)
        {
            if (https.CertFile is not null && https.KeyFile is not null)
            {
                tls = TlsMode.Files;
            }
            else if (mdomains.Contains(name))
            {
                tls = TlsMode.Acme;
            }
            else
            {
                throw ApacheConfigReader.Error("HttpsWithoutCertificate", where, https.Line, "serves HTTPS with neither SSLCertificateFile/SSLCertificateKeyFile nor an MDomain", name);
            }
        }
        bool httpRedirect = http is not null && https is not null && http.Redirect is not null && http.Pass is null;
        var extras = new List<string>();
        foreach (VHost v in group)
        {
            // The door is the proxying VirtualHost's; a door elsewhere that says something else stays as written.
            bool sameDoor = proxy.Door is not null && v.Door is not null && v.DoorUser == proxy.DoorUser && v.DoorAllow.SequenceEqual(proxy.DoorAllow);
            if (v.Door is not null && (sameDoor || ReferenceEquals(v, proxy)))
            {
                v.Own.Add(v.Door);
            }
            else if (v.Door is not null)
            {
                v.Extras.Add(v.Door);
            }
            if (v.AcmeOpening is not null && v.Door is not null && v.Own.Contains(v.Door) && proxy.AcmeException)
            {
                v.Own.Add(v.AcmeOpening);
            }
            else if (v.AcmeOpening is not null)
            {
                v.Extras.Add(v.AcmeOpening);
            }
            if (v.Redirect is not null && !(ReferenceEquals(v, http) && httpRedirect))
            {
                v.Extras.Add(v.Redirect); // a redirect the model does not write stays as it was
            }
            // The model writes one ProxyPassReverse for its ProxyPass: the first that means the same (after the
            // same normalisation) is that one; any other stays as written, so a render parses back the same.
            // The last one written as the model writes it (the model writes it last) is the model's, so a render parses back to itself.
            string canonical = $"ProxyPassReverse {path} {backend}";
            ApacheDirective? mine = v.Pass is null ? null
                : v.Reverses.LastOrDefault(r => r.Text == canonical) ?? v.Reverses.LastOrDefault(r => r.Args.Count == 2 && SameTarget(r, path, backend));
            v.Extras.AddRange(v.Reverses.Where(r => !ReferenceEquals(r, mine)));
            // Kept in the order they were written, wherever the model picked its own lines out.
            var ordered = v.Extras.OrderBy(x => x.Line).ToList();
            v.Extras.Clear();
            v.Extras.AddRange(ordered);
            foreach (string e in v.Extras.Select(x => x.Render()).Where(e => !extras.Contains(e)))
            {
                extras.Add(e);
            }
        }
        // Extras are written into every VirtualHost of the site, after the model's own lines. A forwarded-
        // headers pair that ends up among them would be read back as the model's pair, so it is taken as
        // that here: the site renders the same way after any number of round trips.
        bool forwarded = proxy.XffUnset is not null;
        if (!forwarded)
        {
            int unset = extras.FindIndex(e => XffUnsetText().IsMatch(e));
            int proto = extras.FindIndex(e => XfpSetText().IsMatch(e));
            if (unset >= 0 && proto >= 0)
            {
                forwarded = true;
                extras.RemoveAt(Math.Max(unset, proto));
                extras.RemoveAt(Math.Min(unset, proto));
            }
        }
        return new ApacheProxySite
        {
            ServerName = name,
            ServerAliases = Array.AsReadOnly(group.SelectMany(v => v.Aliases).Where(a => a != name).Distinct().ToArray()),
            BackendValue = backend,
            Path = path,
            Http = http is not null,
            Https = https is not null,
            HttpRedirect = httpRedirect,
            Tls = tls,
            // The same rule as a typed path: a path HomeTunnel would write back differently (a space, which its quotes
            // carried) is refused, never changed on the way.
            CertificateFile = tls == TlsMode.Files ? ApacheProxySite.CertificatePath(https!.CertFile!, "SSLCertificateFile") : null,
            CertificateKeyFile = tls == TlsMode.Files ? ApacheProxySite.CertificatePath(https!.KeyFile!, "SSLCertificateKeyFile") : null,
            WebSocket = websocket,
            PreserveHost = proxy.PreserveHost,
            ProxyRequestsOff = proxy.ProxyRequestsOff,
            TraceDisabled = proxy.TraceOff,
            ForwardedHeaders = forwarded,
            ConnectTimeout = connect,
            Retry = retry,
            ProxyTimeout = proxy.ProxyTimeout,
            AcmeChallengeException = proxy.AcmeException,
            AcmeDns = tls == TlsMode.Acme && dns01.TryGetValue(name, out AcmeDns01? d01) ? d01 : null,
            AllowFrom = proxy.DoorAllow,
            BasicAuthUser = proxy.DoorUser,
            ExtraDirectives = extras.AsReadOnly(),
            ExtraGlobalDirectives = globals.AsReadOnly(),
            ExtraProxyParameters = extraParams.AsReadOnly(),
            AllowedDirectives = Array.AsReadOnly(allowed),
            Source = source,
        };
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"(?i)\ARequestHeader\s+unset\s+X-Forwarded-For\s+early\z")]
    private static partial System.Text.RegularExpressions.Regex XffUnsetText();

    [System.Text.RegularExpressions.GeneratedRegex(@"(?i)\ARequestHeader\s+set\s+X-Forwarded-Proto\s+(""https?""|'https?'|https?)\z")]
    private static partial System.Text.RegularExpressions.Regex XfpSetText();

    private static bool SameTarget(ApacheDirective reverse, string path, ProxyBackend backend)
    {
        try
        {
            return UrlPath.Normalize(reverse.Args[0], "ProxyPassReverse path", "Path") == path
                && ProxyBackend.Parse(reverse.Args[1]).ToString() == backend.ToString();
        }
        catch (HomeTunnelException)
        {
            return false;
        }
    }

    private static T At<T>(string where, int line, Func<T> f)
    {
        try
        {
            return f();
        }
        catch (HomeTunnelException e) when (!e.Message.StartsWith(where, StringComparison.Ordinal))
        {
            throw new HomeTunnelException(e.ErrorId, e.Kind, $"{where}, line {line}: {e.Message}", e.Target, e);
        }
    }

    private static void At(string where, int line, Action f) => At(where, line, () => { f(); return 0; });
}
