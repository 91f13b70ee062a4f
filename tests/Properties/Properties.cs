using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using CsCheck;
using HomeTunnel;
using HomeTunnel.Apache;
using HomeTunnel.Forwards;
using HomeTunnel.Hosts;

namespace HomeTunnel.Properties;

/// <summary>
/// Random inputs against the rules that must hold for every input: the relay's invariants (a forward never takes a
/// port the relay needs, never overlaps another, never leaves the tunnel; a site proxies only to its backend's host)
/// and the canonical types (an address is exactly an address, host text never carries a terminal control, a key
/// never survives redaction, a path never climbs). Each property throws (CsCheck's shrunk counterexample and seed)
/// when it fails; Properties.Tests.ps1 runs one It per property.
/// </summary>
public static class Properties
{
    private const int Iterations = 2000;

    public static string[] Names => typeof(Properties).GetMethods()
        .Where(m => m.IsStatic && m.ReturnType == typeof(void) && m.GetParameters().Length == 0)
        .Select(m => m.Name).OrderBy(n => n, StringComparer.Ordinal).ToArray();

    public static void Run(string name) => typeof(Properties).GetMethod(name)!.Invoke(null, null);

    private static readonly Gen<ForwardProtocol> Protocol = Gen.OneOfConst(ForwardProtocol.Tcp, ForwardProtocol.Udp);

    /// <summary>A port range in a small space, so that clashes are common: (from, to) with at most 20 ports.</summary>
    private static readonly Gen<(int From, int To)> Range =
        Gen.Select(Gen.Int[1, 200], Gen.Int[0, 20]).Select(t => (t.Item1, Math.Min(65535, t.Item1 + t.Item2)));

    private static string Proto(ForwardProtocol p) => p == ForwardProtocol.Tcp ? "tcp" : "udp";

    /// <summary>A relay's own needs as the agent sends them (Hosts/Contract): its listeners (ss) and its tunnel peers.</summary>
    private static HomeTunnel.Hosts.Contract.RelayNeedsText Relay(string ss, string wgAllowed) =>
        new(new HomeTunnel.Hosts.Contract.TunnelPeerText(string.Empty, wgAllowed, new Dictionary<string, string>()), true, ss, string.Empty, string.Empty);

    private static string Ports(int from, int to) => from == to ? $"{from}" : $"{from}-{to}";

    /// <summary>Whatever the relay's facts and the forwards already there, the guard lets a forward through only when
    /// its public ports hold no port the relay uses, overlap no other forward of its protocol, and it goes to a peer.</summary>
    public static void ForwardGuardKeepsTheRelaysPorts()
    {
        var listener = Gen.Select(Protocol, Gen.Int[1, 220], Gen.OneOfConst("sshd", "apache2", "wireguard-go", "node"));
        var existing = Gen.Select(Protocol, Range).Array[0, 4];
        Gen.Select(listener.Array[0, 6], existing, Protocol, Range, Gen.Bool).Sample(t =>
        {
            var (listeners, installed, protocol, range, peer) = t;
            string ss = string.Join("\n", listeners.Select(l =>
                $"{Proto(l.Item1)}   {(l.Item1 == ForwardProtocol.Tcp ? "LISTEN" : "UNCONN")} 0      128          0.0.0.0:{l.Item2}        0.0.0.0:*    users:((\"{l.Item3}\",pid=1,fd=3))"));
            RelayNeeds needs = RelayNeeds.From(Relay(ss, peer ? "wg0\tk=\t192.168.4.2/32\n" : string.Empty));
            string[] keys = installed.Select(i => $"{Proto(i.Item1)}-{Ports(i.Item2.From, i.Item2.To)}").ToArray();
            TunnelPortForward f = TunnelPortForward.Create(protocol, Ports(range.From, range.To), null, IPAddress.Parse("192.168.4.2"), "home", "wg0");
            HostPlan? refused = ForwardGuard.Check(new[] { f }, needs, keys);

            bool takesRelayPort = listeners.Any(l => l.Item1 == protocol && l.Item2 >= range.From && l.Item2 <= range.To);
            bool overlaps = installed.Any(i => i.Item1 == protocol && $"{Proto(i.Item1)}-{Ports(i.Item2.From, i.Item2.To)}" != f.Key
                && i.Item2.From <= range.To && range.From <= i.Item2.To);
            bool ok = !takesRelayPort && !overlaps && peer;
            if (ok != (refused is null))
            {
                return false;
            }
            // The refusal names the first reason in the guard's order: a relay port, then an overlap, then the target.
            return refused is null
                || (takesRelayPort ? refused.ErrorId!.StartsWith("ForwardPortInUse:", StringComparison.Ordinal)
                    : overlaps ? refused.ErrorId == "ForwardOverlaps" : refused.ErrorId == "ForwardTargetNotAPeer");
        }, iter: Iterations);
    }

    /// <summary>Several forwards in one command never overlap each other once the guard let them through.</summary>
    public static void ForwardGuardNeverLetsOverlapsThrough()
    {
        RelayNeeds needs = RelayNeeds.From(Relay(string.Empty, "wg0\tk=\t192.168.4.2/32\n"));
        Gen.Select(Protocol, Range).Array[1, 5].Sample(list =>
        {
            var forwards = list.Select(l => TunnelPortForward.Create(l.Item1, Ports(l.Item2.From, l.Item2.To), null, IPAddress.Parse("192.168.4.2"), "home", "wg0")).ToArray();
            if (ForwardGuard.Check(forwards, needs, Array.Empty<string>()) is not null)
            {
                return true;
            }
            for (int i = 0; i < forwards.Length; i++)
            {
                for (int j = i + 1; j < forwards.Length; j++)
                {
                    if (forwards[i].Protocol == forwards[j].Protocol && forwards[i].PublicPort <= forwards[j].PublicPortEnd && forwards[j].PublicPort <= forwards[i].PublicPortEnd)
                    {
                        return false;
                    }
                }
            }
            return true;
        }, iter: Iterations);
    }

    /// <summary>Every IPv4 address: the backend policy takes it exactly when it can be a single host of a tunnel.</summary>
    public static void BackendPolicyTakesOnlyTunnelHosts()
    {
        Gen.Byte.Array[4].Sample(b =>
        {
            string ip = string.Join('.', b);
            bool host = b[0] != 0 && b[0] != 127 && !(b[0] == 169 && b[1] == 254) && b[0] < 224;
            return (BackendPolicy.NotInTunnel(ip) is null) == host && BackendPolicy.NotInTunnel($"[::ffff:{ip}]") is null == host;
        }, iter: Iterations);
        Gen.String[Gen.Char['a', 'z'], 1, 20].Sample(name => BackendPolicy.NotInTunnel(name + ".example") is not null, iter: 200);
    }

    /// <summary>
    /// Imported text with ProxyPass and ProxyPassMatch in both forms, in and out of Location, RewriteRule [P], to any of
    /// several places: whatever the import takes proxies only to the site's own backend host.
    /// </summary>
    public static void ImportedSitesProxyOnlyToTheirBackend()
    {
        var place = Gen.OneOfConst("http://192.168.4.2:4000/", "http://127.0.0.1:22/", "http://169.254.169.254/", "http://10.9.9.9/",
            "http://localhost/", "unix:/run/docker.sock|http://192.168.4.2/", "fcgi://192.168.4.2:9000/", "!", "http://[::1]/", "ws://192.168.4.2/x");
        var line = Gen.Select(Gen.Int[0, 5], place).Select(t => t.Item1 switch
        {
            0 => $"    ProxyPass /x {t.Item2}",
            1 => $"    ProxyPassMatch ^/m(.*) {t.Item2}",
            2 => $"    <Location /l>\n        ProxyPass {t.Item2}\n    </Location>",
            3 => $"    <LocationMatch ^/lm>\n        ProxyPassMatch {t.Item2}\n    </LocationMatch>",
            4 => $"    RewriteRule ^/r(.*) {t.Item2} [P]",
            _ => $"    <IfModule mod_proxy.c>\n        <Location /n>\n            ProxyPass {t.Item2} retry=0\n        </Location>\n    </IfModule>",
        });
        line.Array[1, 3].Sample(lines =>
        {
            string text = "<VirtualHost *:80>\n    ServerName a.example.test\n    ProxyPass / http://192.168.4.2:3000/\n" + string.Join("\n", lines) + "\n</VirtualHost>\n";
            try
            {
                ApacheSiteParser.Parse(text, "property");
            }
            catch (HomeTunnelException)
            {
                return true;
            }
            // Taken: every place the text names is the backend's own host, or "!".
            return lines.All(l => l.Contains("192.168.4.2", StringComparison.Ordinal) && !l.Contains("unix:", StringComparison.Ordinal) && !l.Contains("fcgi:", StringComparison.Ordinal)
                || l.EndsWith(" !", StringComparison.Ordinal) || l.Contains(" !\n", StringComparison.Ordinal) || l.Contains(" ! ", StringComparison.Ordinal));
        }, iter: Iterations);
    }

    private static readonly Gen<string> Noise = Gen.OneOfConst("", "\n", "\r", " ", "\t", "\0", "\u2028", "\u00a0", "\u200f", "\u001b[2J", "%", "０");

    /// <summary>An address with one odd byte before, inside or after it is refused; one that is taken is exactly its text.</summary>
    public static void AddressesAreExact()
    {
        Gen.Select(Gen.Byte.Array[4], Gen.Int[0, 32], Noise, Gen.Int[0, 2], Gen.Bool).Sample(t =>
        {
            var (b, prefix, noise, where, v6) = t;
            string clean = v6 ? $"fd00::{b[2]:x}{b[3]:x2}/{prefix + 96}" : $"{string.Join('.', b)}/{prefix}";
            string input = where switch { 0 => noise + clean, 1 => clean.Insert(clean.IndexOf('/'), noise), _ => clean + noise };
            try
            {
                TunnelAddress a = TunnelAddress.Parse(input);
                return noise.Length == 0 && a.ToString() == TunnelAddress.Parse(a.ToString()).ToString() && TunnelAddress.Parse(a.ToString()).Equals(a);
            }
            catch (HomeTunnelException)
            {
                return noise.Length > 0;
            }
        }, iter: Iterations);
    }

    /// <summary>Host text never reaches a stream with a terminal control in it, and plain text is left as it is.</summary>
    public static void HostTextCarriesNoControl()
    {
        Gen.String[Gen.Char[(char)0, (char)0x2100], 0, 60].Sample(s =>
        {
            string shown = Redaction.Redact(s, Array.Empty<string>());
            return !shown.Any(c => HostText.IsControl(c)) && (s.Any(HostText.IsControl) || s.Contains('\r') || HostText.Printable(s) == s);
        }, iter: Iterations);
    }

    /// <summary>A WireGuard key under any name, in any line, never survives redaction (except on a PublicKey line).</summary>
    public static void KeysNeverSurviveRedaction()
    {
        var name = Gen.OneOfConst("PrivateKey = ", "privatekey=", "PrivateKey: ", "Private_Key = ", "PresharedKey = ", "key ", "", "# ", "PrivatKey = ", "x=");
        Gen.Select(Gen.Byte.Array[32], name, Gen.String[Gen.Char['a', 'z'], 0, 10]).Sample(t =>
        {
            string key = Convert.ToBase64String(t.Item1);
            string line = $"{t.Item2}{key} {t.Item3}";
            return !Redaction.Redact(line, Array.Empty<string>()).Contains(key, StringComparison.Ordinal);
        }, iter: Iterations);
    }

    /// <summary>A site path never climbs or hides a separator, by any spelling: taken means no segment is "." or "..".</summary>
    public static void PathsNeverClimb()
    {
        var segment = Gen.OneOfConst("a", "..", ".", "%2e%2e", "%2E.", ".%2e", "%2f", "%2F..", "b%20c", "~x", "%5c", "%00", "");
        segment.Array[1, 5].Sample(parts =>
        {
            string path = "/" + string.Join('/', parts) + "/";
            try
            {
                string normal = UrlPath.Normalize(path, "Path", "Path");
                return normal.Split('/').All(s =>
                {
                    string d = Uri.UnescapeDataString(s);
                    return d is not ("." or "..") && !d.Contains('/') && !d.Contains('\\') && !d.Contains('\0');
                });
            }
            catch (HomeTunnelException)
            {
                return true;
            }
        }, iter: Iterations);
    }

    /// <summary>An -AllowFrom list is refused as everyone exactly when its networks cover all of IPv4.</summary>
    public static void DoorsThatAreNoDoorsAreRefused()
    {
        Gen.Select(Gen.Int[0, 3], Gen.Int[0, 7]).Array[1, 6].Sample(list =>
        {
            var nets = list.Select(t => (Prefix: t.Item1, Index: t.Item2 % (1 << t.Item1))).Distinct().ToArray();
            string[] cidrs = nets.Select(n => $"{(n.Prefix == 0 ? 0 : n.Index << (8 - n.Prefix))}.0.0.0/{n.Prefix}").ToArray();
            // Independently: mark which of the 8 /3 blocks are covered.
            var covered = new bool[8];
            foreach (var n in nets)
            {
                int size = 8 >> n.Prefix;
                for (int i = 0; i < size; i++)
                {
                    covered[n.Index * size + i] = true;
                }
            }
            bool everyone = covered.All(c => c);
            try
            {
                SiteDoor.AllowList(cidrs);
                return !everyone;
            }
            catch (HomeTunnelException e)
            {
                return everyone && e.ErrorId == "AllowFromEveryone";
            }
        }, iter: Iterations);
    }
}
