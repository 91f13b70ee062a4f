using System;
using System.Collections.Generic;
using System.Linq;

namespace HomeTunnel.Apache;

/// <summary>
/// What imported Apache text may say. An allow-list, inspected recursively through every section: a
/// directive that runs a program, loads code, reads or writes other files, proxies anywhere but the site's
/// own backend, exposes the relay's file system, or stands outside the &lt;VirtualHost&gt; is refused with
/// a SecurityError whose id names the class, the directive and the line
/// (<c>ApacheRunsProgram:CustomLog:7</c>). A directive the user names in <c>-AllowDirective</c> passes,
/// as the wg parser's refusal of PostUp can only be lifted by writing the file by hand.
/// </summary>
public static class ApacheImportPolicy
{
    /// <summary>Directives a proxy VirtualHost may carry: each does its work inside the request, on the relay's own terms.</summary>
    private static readonly HashSet<string> Allowed = new(StringComparer.OrdinalIgnoreCase)
    {
        "ServerName", "ServerAlias", "ServerAdmin", "ProxyRequests", "TraceEnable", "ProxyPreserveHost", "ProxyTimeout",
        "ProxyPass", "ProxyPassMatch", "ProxyPassReverse", "ProxyPassReverseCookieDomain", "ProxyPassReverseCookiePath",
        "ProxyAddHeaders", "ProxyErrorOverride", "ProxyVia", "ProxyBadHeader", "ProxyIOBufferSize", "ProxyPassInterpolateEnv",
        "RequestHeader", "Header", "SSLEngine", "SSLCertificateFile", "SSLCertificateKeyFile", "SSLCertificateChainFile",
        "SSLProxyEngine", "SSLProxyVerify", "SSLProxyCheckPeerName", "SSLProxyCheckPeerCN", "SSLProxyCheckPeerExpire",
        "SSLProtocol", "SSLCipherSuite", "SSLHonorCipherOrder", "Protocols",
        "Redirect", "RedirectMatch", "RedirectPermanent", "RedirectTemp",
        "RewriteEngine", "RewriteCond", "RewriteRule", "RewriteOptions",
        "LogLevel", "LogFormat", "ErrorLogFormat", "ErrorLog", "CustomLog", "TransferLog",
        "KeepAlive", "KeepAliveTimeout", "MaxKeepAliveRequests", "Timeout", "LimitRequestBody", "LimitRequestFields",
        "LimitRequestFieldSize", "LimitRequestLine", "ServerSignature", "UseCanonicalName", "AllowEncodedSlashes",
        "AddDefaultCharset", "SetEnv", "UnsetEnv", "SetEnvIf", "SetEnvIfNoCase", "BrowserMatch", "BrowserMatchNoCase",
        "ErrorDocument", "Require", "AuthType", "AuthName", "AuthBasicProvider", "AuthUserFile", "MDomain",
    };

    /// <summary>Sections whose content is inspected like the VirtualHost's own.</summary>
    private static readonly HashSet<string> Containers = new(StringComparer.OrdinalIgnoreCase)
    {
        "IfModule", "IfDefine", "IfVersion", "IfDirective", "IfSection", "IfFile", "If", "ElseIf", "Else",
        "Location", "LocationMatch", "Limit", "LimitExcept", "RequireAll", "RequireAny", "RequireNone",
    };

    private static readonly HashSet<string> LoadsCode = new(StringComparer.OrdinalIgnoreCase)
    {
        "LoadModule", "LoadFile", "LuaHookTranslateName", "LuaHookFixups", "LuaHookAccessChecker", "LuaHookAuthChecker",
        "LuaHookCheckUserID", "LuaHookMapToStorage", "LuaHookTypeChecker", "LuaHookInsertFilter", "LuaHookLog", "LuaHookPreTranslate",
        "LuaMapHandler", "LuaQuickHandler", "LuaAuthzProvider", "LuaInputFilter", "LuaOutputFilter", "LuaPackagePath", "LuaPackageCPath",
        "PerlModule", "PerlRequire", "PythonHandler", "WSGIScriptAlias", "WSGIImportScript",
    };

    private static readonly HashSet<string> RunsProgram = new(StringComparer.OrdinalIgnoreCase)
    {
        "ExtFilterDefine", "SSLPassPhraseDialog", "ScriptAlias", "ScriptAliasMatch", "Action", "Script", "ScriptLog", "ScriptSock",
        "FcgidWrapper", "SuexecUserGroup", "PipedLogger", "RewriteMap", "AddHandler", "SetHandler", "CGIPassAuth", "DefineExternalAuth",
        // mod_md's hooks: commands Apache runs (HomeTunnel's own DNS-01 hook is read only in its own <MDomain> section).
        "MDChallengeDns01", "MDMessageCmd", "MDNotifyCmd",
    };

    private static readonly HashSet<string> ReadsFile = new(StringComparer.OrdinalIgnoreCase)
    {
        "Include", "IncludeOptional", "AccessFileName", "AuthGroupFile", "AuthDBMUserFile", "AuthDBMGroupFile", "Define", "Use", "UndefMacro",
        "SSLOpenSSLConfCmd", "SSLCACertificatePath", "SSLCARevocationPath", "SSLCARevocationFile", "SSLCACertificateFile",
        "SSLProxyMachineCertificateFile", "SSLProxyMachineCertificatePath", "SSLProxyCACertificateFile", "SSLProxyCACertificatePath",
    };

    private static readonly HashSet<string> ExposesFiles = new(StringComparer.OrdinalIgnoreCase)
    {
        "Alias", "AliasMatch", "DocumentRoot", "UserDir", "Options", "AllowOverride", "AllowOverrideList", "DirectoryIndex", "DirectorySlash",
        "IndexOptions", "EnableSendfile", "XSendFile", "XSendFilePath", "Dav", "DavLockDB", "Allow", "Satisfy", "Order",
        "Directory", "DirectoryMatch", "Files", "FilesMatch",
    };

    private static readonly HashSet<string> ForwardProxy = new(StringComparer.OrdinalIgnoreCase)
    {
        "ProxyRemote", "ProxyRemoteMatch", "ProxyBlock", "ProxyDomain", "AllowCONNECT", "Proxy", "ProxyMatch", "BalancerMember",
        "ProxySet", "ProxyHCExpr", "ProxyHCTemplate",
    };

    private static readonly HashSet<string> LogDirectives = new(StringComparer.OrdinalIgnoreCase)
    {
        "ErrorLog", "CustomLog", "TransferLog", "GlobalLog", "ForensicLog", "CookieLog", "RewriteLog",
    };

    /// <summary>Checks the directives of a file outside any VirtualHost: only MDomain (the site's own ACME domain) stands there.</summary>
    public static void CheckOutside(ApacheDirective d, string where, ISet<string> allow)
    {
        if (allow.Contains(d.Name))
        {
            return;
        }
        if (d.Is("ProxyRequests"))
        {
            CheckProxyRequests(d, where);
        }
        if (d.Is("MDomain"))
        {
            return;
        }
        string? cls = ClassOf(d);
        if (cls is not null && cls != "ApacheDirectiveNotAllowed")
        {
            throw Refuse(cls, d, where, Reason(cls));
        }
        throw Refuse("ApacheOutsideVirtualHost", d, where, "stands outside the <VirtualHost>, where it would change the whole relay rather than this site");
    }

    /// <summary>Checks the children of a VirtualHost (recursively) against the allow-list.</summary>
    /// <param name="own">Sections the parser read as the model's own rendering (a site's door): written by HomeTunnel from validated values, not imported text.</param>
    public static void CheckVirtualHost(ApacheDirective vhost, string where, ISet<string> allow, ProxyBackend? backend, bool ownBackend = false, IReadOnlySet<ApacheDirective>? own = null)
    {
        if (backend is not null && !ownBackend && !allow.Contains("ProxyPass") && BackendPolicy.NotInTunnel(backend.Host) is { } what)
        {
            // A site whose backend is the relay itself or the cloud's metadata service hands the internet
            // what only the relay should reach (admin ports, instance credentials).
            ApacheDirective pass = vhost.Children!.FirstOrDefault(d => d.Is("ProxyPass") && d.Args.Count >= 2 && d.Args[1] != "!") ?? vhost;
            throw Refuse("ApacheOpenProxy", pass, where, $"proxies the internet to {what} ({backend})");
        }
        foreach (ApacheDirective d in (vhost.Children ?? Array.Empty<ApacheDirective>()).Where(d => own is null || !own.Contains(d)))
        {
            Check(d, where, allow, backend, insideLocation: false);
        }
    }

    private static void Check(ApacheDirective d, string where, ISet<string> allow, ProxyBackend? backend, bool insideLocation)
    {
        if (allow.Contains(d.Name))
        {
            return;
        }
        if (d.IsSection)
        {
            if (!Containers.Contains(d.Name))
            {
                string cls = ClassOf(d) ?? "ApacheDirectiveNotAllowed";
                throw Refuse(cls, d, where, cls == "ApacheDirectiveNotAllowed" ? "is a section HomeTunnel does not take from an imported site" : Reason(cls));
            }
            CheckArguments(d, where);
            bool location = insideLocation || d.Is("Location") || d.Is("LocationMatch");
            foreach (ApacheDirective child in d.Children!)
            {
                Check(child, where, allow, backend, location);
            }
            return;
        }
        if (d.Is("ProxyRequests"))
        {
            CheckProxyRequests(d, where);
        }
        if (LogDirectives.Contains(d.Name))
        {
            CheckLog(d, where); // a piped log is a program, whichever log directive it is
        }
        string? refused = ClassOf(d);
        if (refused is not null)
        {
            throw Refuse(refused, d, where, refused == "ApacheDirectiveNotAllowed"
                ? "is not on the list of directives HomeTunnel takes from an imported site"
                : Reason(refused));
        }
        CheckArguments(d, where);
        if (d.Is("ProxyPass") || d.Is("ProxyPassMatch"))
        {
            CheckProxyPass(d, where, backend, insideLocation);
        }
        else if (d.Is("RewriteRule"))
        {
            CheckRewrite(d, where, backend);
        }
        else if (d.Is("Require") && Grants(d.Args))
        {
            throw Refuse("ApacheExposesFiles", d, where, "grants access outright; with the relay's own paths behind it, it could expose the relay's files");
        }
        else if (d.Is("AuthUserFile") && (d.Args.Count != 1 || !UnderFolder(d.Args[0], "/etc/apache2/")))
        {
            throw Refuse("ApacheReadsFile", d, where, "reads a password file outside /etc/apache2/");
        }
    }

    private static void CheckProxyRequests(ApacheDirective d, string where)
    {
        if (d.Args.Count != 1 || !d.Args[0].Equals("Off", StringComparison.OrdinalIgnoreCase))
        {
            throw new HomeTunnelException($"ApacheOpenProxy:{d.Name}:{d.Line}", ErrorKind.SecurityError,
                $"{where}, line {d.Line}: '{DnsName.Printable(d.Text)}' makes the relay an open proxy for anyone on the internet.", d.Text);
        }
    }

    /// <summary>The refusal class of a directive, or null when it is on the allow-list.</summary>
    private static string? ClassOf(ApacheDirective d)
    {
        string n = d.Name;
        if (LoadsCode.Contains(n) || n.StartsWith("Lua", StringComparison.OrdinalIgnoreCase) || n.StartsWith("Perl", StringComparison.OrdinalIgnoreCase)
            || n.StartsWith("Python", StringComparison.OrdinalIgnoreCase) || n.StartsWith("WSGI", StringComparison.OrdinalIgnoreCase))
        {
            return "ApacheLoadsCode";
        }
        if (RunsProgram.Contains(n) || n.StartsWith("Fcgid", StringComparison.OrdinalIgnoreCase) || n.EndsWith("FilterDefine", StringComparison.OrdinalIgnoreCase))
        {
            return "ApacheRunsProgram";
        }
        if (ReadsFile.Contains(n))
        {
            return "ApacheReadsFile";
        }
        if (ExposesFiles.Contains(n))
        {
            return "ApacheExposesFiles";
        }
        if (ForwardProxy.Contains(n))
        {
            return "ApacheOpenProxy";
        }
        if (n.Equals("VirtualHost", StringComparison.OrdinalIgnoreCase) || n.Equals("Macro", StringComparison.OrdinalIgnoreCase))
        {
            return "ApacheDirectiveNotAllowed";
        }
        return Allowed.Contains(n) || Containers.Contains(n) ? null : "ApacheDirectiveNotAllowed";
    }

    private static string Reason(string cls) => cls switch
    {
        "ApacheLoadsCode" => "loads code into Apache, which runs as root at start",
        "ApacheRunsProgram" => "runs a program on the relay",
        "ApacheReadsFile" => "reads another file of the relay into the configuration",
        "ApacheExposesFiles" => "exposes the relay's file system",
        "ApacheOpenProxy" => "turns the relay into a proxy to other places than the site's backend",
        _ => "is not allowed in an imported site",
    };

    /// <summary>ap_expr's file(), filesize() and filemod() read any file Apache can: refused in every argument.</summary>
    private static void CheckArguments(ApacheDirective d, string where)
    {
        string all = string.Join(' ', d.Args).ToLowerInvariant();
        foreach (string f in new[] { "file(", "filesize(", "filemod(", "%{file:" })
        {
            int i = all.IndexOf(f, StringComparison.Ordinal);
            if (i >= 0 && (i == 0 || !char.IsLetterOrDigit(all[i - 1]) && all[i - 1] != '_'))
            {
                throw Refuse("ApacheReadsFile", d, where, $"uses the expression function {f.TrimEnd('(')}(), which reads files of the relay");
            }
        }
        foreach (string a in d.Args)
        {
            if (a.Contains("osenv(", StringComparison.OrdinalIgnoreCase))
            {
                throw Refuse("ApacheReadsFile", d, where, "reads the relay's process environment (osenv)");
            }
        }
    }

    private static void CheckLog(ApacheDirective d, string where)
    {
        if (d.Args.Count == 0)
        {
            return;
        }
        string target = d.Args[0];
        if (target.StartsWith('|') || target.StartsWith("\"|", StringComparison.Ordinal) || target.StartsWith("||", StringComparison.Ordinal))
        {
            throw Refuse("ApacheRunsProgram", d, where, "pipes its log into a program, which Apache starts as root");
        }
        if (target.StartsWith("syslog", StringComparison.OrdinalIgnoreCase) && d.Is("ErrorLog"))
        {
            return;
        }
        if (!UnderFolder(target, "${APACHE_LOG_DIR}/") && !UnderFolder(target, "/var/log/apache2/"))
        {
            throw Refuse("ApacheWritesFile", d, where, "writes its log outside ${APACHE_LOG_DIR} (/var/log/apache2), where Apache, as root, would create or append to any file");
        }
    }

    private static bool UnderFolder(string path, string folder) =>
        path.StartsWith(folder, StringComparison.Ordinal) && path.Length > folder.Length
        && !path.Split('/').Any(s => s is ".." or ".") && !path.Contains('\\') && path.IndexOf('$', folder.Length) < 0;

    private static bool Grants(IReadOnlyList<string> args)
    {
        if (args.Count == 0)
        {
            return false;
        }
        string first = args[0].ToLowerInvariant();
        return first switch
        {
            "all" => args.Count > 1 && args[1].Equals("granted", StringComparison.OrdinalIgnoreCase),
            "env" or "expr" or "method" => true,
            _ => false,
        };
    }

    /// <summary>
    /// Both forms of ProxyPass and ProxyPassMatch: "path url [key=value ...]" anywhere, and "url [key=value ...]"
    /// inside a Location or LocationMatch, where the path is the section's. The target must be the site's own
    /// backend host, and so must any other argument that names a place (a URL, a unix: socket); a target that
    /// cannot be read is refused, never passed.
    /// </summary>
    private static void CheckProxyPass(ApacheDirective d, string where, ProxyBackend? backend, bool insideLocation)
    {
        int at = insideLocation ? 0 : 1;
        if (d.Args.Count <= at)
        {
            throw Refuse("ApacheOpenProxy", d, where, "names no target HomeTunnel can read, so it cannot tell where it proxies");
        }
        string target = d.Args[at];
        if (target != "!" && !SameHost(target, backend))
        {
            throw Refuse("ApacheOpenProxy", d, where, $"proxies to '{target}', which is not the site's own backend ({backend?.ToString() ?? "none"})");
        }
        foreach (string a in d.Args.Skip(at + 1))
        {
            if (NamesPlace(a) && !SameHost(a[(a.IndexOf('=') + 1)..], backend))
            {
                throw Refuse("ApacheOpenProxy", d, where, $"carries '{a}', which names another place than the site's own backend ({backend?.ToString() ?? "none"})");
            }
        }
    }

    /// <summary>An argument that names where a request may go: a URL or a unix: socket, also as a key=value parameter's value.</summary>
    private static bool NamesPlace(string arg) =>
        arg.Contains("://", StringComparison.Ordinal) || arg.Contains("unix:", StringComparison.OrdinalIgnoreCase);

    private static void CheckRewrite(ApacheDirective d, string where, ProxyBackend? backend)
    {
        if (d.Args.Count < 2)
        {
            return;
        }
        string target = d.Args[1];
        string flags = d.Args.Count > 2 ? d.Args[2].Trim('[', ']').ToLowerInvariant() : string.Empty;
        string[] flagList = flags.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        bool proxy = flagList.Any(f => f is "p" or "proxy");
        bool redirect = flagList.Any(f => f is "r" or "redirect" || f.StartsWith("r=", StringComparison.Ordinal) || f.StartsWith("redirect=", StringComparison.Ordinal));
        bool forbidden = flagList.Any(f => f is "f" or "forbidden" or "g" or "gone");
        if (flagList.Any(f => f.StartsWith("h=", StringComparison.Ordinal) || f.StartsWith("handler=", StringComparison.Ordinal)))
        {
            // [H=proxy:fcgi://127.0.0.1:9000] hands the request to any handler, a proxy to anywhere among them.
            throw Refuse("ApacheOpenProxy", d, where, "sets the request's handler (flag H), which can proxy it anywhere or run a program");
        }
        if (proxy)
        {
            if (!SameHost(target, backend))
            {
                throw Refuse("ApacheOpenProxy", d, where, $"proxies (flag P) to '{target}', which is not the site's own backend ({backend?.ToString() ?? "none"})");
            }
            return;
        }
        if (target == "-" || forbidden || redirect || target.Contains("://", StringComparison.Ordinal))
        {
            return; // no substitution, a refusal, or an external redirect: nothing on the relay is served
        }
        throw Refuse("ApacheExposesFiles", d, where, $"rewrites to '{target}' on the relay itself, where a path can name a file of the relay");
    }

    private static bool SameHost(string url, ProxyBackend? backend)
    {
        if (backend is null || !Uri.TryCreate(url.Replace("$", "%24", StringComparison.Ordinal), UriKind.Absolute, out Uri? u))
        {
            return false;
        }
        if (u.Scheme is not ("http" or "https" or "ws" or "wss") || !string.IsNullOrEmpty(u.UserInfo))
        {
            return false;
        }
        string host = u.Host.Trim('[', ']');
        return host.Equals(backend.Host.Trim('[', ']'), StringComparison.OrdinalIgnoreCase);
    }

    private static HomeTunnelException Refuse(string cls, ApacheDirective d, string where, string why) =>
        new($"{cls}:{d.Name}:{d.Line}", ErrorKind.SecurityError,
            $"{where}, line {d.Line}: '{d.Name}' {why}. HomeTunnel refuses it in an imported site; if you mean it, pass -AllowDirective {d.Name}.",
            d.Text);
}
