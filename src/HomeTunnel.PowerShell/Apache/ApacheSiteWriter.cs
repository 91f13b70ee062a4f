using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace HomeTunnel.Apache;

/// <summary>
/// Renders a site as one sites-available file, in a fixed order with '\n' line ends. Every value written
/// here was validated to contain no white space, quote or line break, so none can start a directive.
/// </summary>
internal static class ApacheSiteWriter
{
    private const string Indent = "    ";

    public static string Write(ApacheProxySite s)
    {
        var sb = new StringBuilder(1024);
        sb.Append(Ownership.Marker).Append(": ").Append(s.ServerName).Append(" -> ").Append(s.Backend).Append('\n');
        foreach (string d in s.ExtraGlobalDirectives)
        {
            sb.Append(d).Append('\n');
        }
        if (s.Tls == TlsMode.Acme)
        {
            sb.Append(s.AcmeDns is null ? "MDomain " : "<MDomain ").Append(s.ServerName);
            foreach (string a in s.ServerAliases)
            {
                sb.Append(' ').Append(a);
            }
            if (s.AcmeDns is { } dns01)
            {
                // DNS-01 for this domain only: the CA reads a TXT record HomeTunnel's hook writes (mod_md runs it as Apache's user).
                sb.Append(">\n");
                Line(sb, "MDCAChallenges dns-01");
                Line(sb, $"MDChallengeDns01 {AcmeDns01.HookPath} {dns01.HookArguments(s.ServerName)}");
                sb.Append("</MDomain>");
            }
            sb.Append('\n');
        }
        if (s.Http)
        {
            sb.Append('\n');
            OpenVirtualHost(sb, s, 80);
            if (s.HttpRedirect)
            {
                Line(sb, $"Redirect permanent / https://{s.ServerName}/");
            }
            else
            {
                Proxy(sb, s, "http");
            }
            sb.Append("</VirtualHost>\n");
        }
        if (s.Https)
        {
            sb.Append('\n');
            OpenVirtualHost(sb, s, 443);
            Line(sb, "SSLEngine on");
            if (s.Tls == TlsMode.Files)
            {
                Line(sb, "SSLCertificateFile " + s.CertificateFile);
                Line(sb, "SSLCertificateKeyFile " + s.CertificateKeyFile);
            }
            Proxy(sb, s, "https");
            sb.Append("</VirtualHost>\n");
        }
        return sb.ToString();
    }

    private static void OpenVirtualHost(StringBuilder sb, ApacheProxySite s, int port)
    {
        sb.Append("<VirtualHost *:").Append(port.ToString(CultureInfo.InvariantCulture)).Append(">\n");
        Line(sb, "ServerName " + s.ServerName);
        if (s.ServerAliases.Count > 0)
        {
            Line(sb, "ServerAlias " + string.Join(' ', s.ServerAliases));
        }
    }

    private static void Proxy(StringBuilder sb, ApacheProxySite s, string proto)
    {
        if (s.ProxyRequestsOff)
        {
            Line(sb, "ProxyRequests Off");
        }
        if (s.TraceDisabled)
        {
            Line(sb, "TraceEnable Off");
        }
        if (s.PreserveHost is bool preserve)
        {
            Line(sb, "ProxyPreserveHost " + (preserve ? "On" : "Off"));
        }
        if (s.ProxyTimeout is int timeout)
        {
            Line(sb, "ProxyTimeout " + timeout.ToString(CultureInfo.InvariantCulture));
        }
        if (s.ForwardedHeaders)
        {
            // "early" runs before mod_proxy appends the real client address, so a forged value never reaches home.
            Line(sb, "RequestHeader unset X-Forwarded-For early");
            Line(sb, $"RequestHeader set X-Forwarded-Proto \"{proto}\"");
        }
        foreach (string d in s.ExtraDirectives)
        {
            foreach (string line in d.Split('\n'))
            {
                Line(sb, line);
            }
        }
        if (s.AcmeChallengeException)
        {
            Line(sb, "ProxyPass /.well-known/acme-challenge/ !");
        }
        var pass = new StringBuilder("ProxyPass ").Append(s.Path).Append(' ').Append(s.Backend);
        foreach (string p in Parameters(s))
        {
            pass.Append(' ').Append(p);
        }
        Line(sb, pass.ToString());
        Line(sb, $"ProxyPassReverse {s.Path} {s.Backend}");
        if (s.AllowFrom.Count > 0 || s.BasicAuthUser is not null)
        {
            foreach (string line in SiteDoor.Lines(s.ServerName, s.AllowFrom, s.BasicAuthUser))
            {
                Line(sb, line);
            }
            if (s.AcmeChallengeException)
            {
                foreach (string line in SiteDoor.AcmeLines())
                {
                    Line(sb, line);
                }
            }
        }
    }

    private static IEnumerable<string> Parameters(ApacheProxySite s)
    {
        if (s.ConnectTimeout is int ct)
        {
            yield return "connectiontimeout=" + ct.ToString(CultureInfo.InvariantCulture);
        }
        if (s.Retry is int retry)
        {
            yield return "retry=" + retry.ToString(CultureInfo.InvariantCulture);
        }
        if (s.WebSocket)
        {
            yield return "upgrade=websocket";
        }
        foreach (string p in s.ExtraProxyParameters)
        {
            yield return p;
        }
    }

    private static void Line(StringBuilder sb, string text) => sb.Append(Indent).Append(text).Append('\n');
}
