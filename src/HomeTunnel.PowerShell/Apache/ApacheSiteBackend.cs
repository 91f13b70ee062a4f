using System;
using System.Collections.Generic;
using System.Linq;

namespace HomeTunnel.Apache;

/// <summary>
/// Where a VirtualHost of a relay's site file proxies to, read with the module's own Apache reader (the relay hands
/// back the file's text; it parses nothing itself): the section the listing names by its line, its ProxyPass of "/"
/// (or, when it has none, its first ProxyPass to a URL, a &lt;Location&gt;'s included). The file is the host's text and
/// may be anyone's site: a file that does not read as Apache config, or a backend that is not a plain http(s) URL,
/// is a reason, never an exception.
/// </summary>
public static class ApacheSiteBackend
{
    public sealed record Found(ProxyBackend? Backend, string? Why);

    public static Found Find(string text, string file, int line)
    {
        IReadOnlyList<ApacheDirective> directives;
        try
        {
            directives = ApacheConfigReader.Read(text, file);
        }
        catch (HomeTunnelException e)
        {
            return new Found(null, $"{file} does not read as Apache config: {e.Message}");
        }
        ApacheDirective? section = Sections(directives).FirstOrDefault(d => d.Is("VirtualHost") && d.Line == line);
        if (section is null)
        {
            return new Found(null, $"{file} has no <VirtualHost> at line {line}, where apache2ctl -S says it is (the file changed since Apache read it?)");
        }
        var passes = section.Children!.Where(d => d.Is("ProxyPass") && d.Args.Count >= 2 && d.Args[1] != "!").Select(d => (Path: d.Args[0], Url: d.Args[1]))
            .Concat(section.Children!.Where(d => d.Is("Location") && d.Args.Count >= 1)
                .SelectMany(l => l.Children!.Where(d => d.Is("ProxyPass") && d.Args.Count >= 1 && d.Args[0] != "!").Select(d => (Path: l.Args[0], Url: d.Args[0]))))
            .ToList();
        if (passes.Count == 0)
        {
            return new Found(null, null);
        }
        (string _, string url) = passes.FirstOrDefault(p => p.Path == "/") is { Url: not null } root ? root : passes[0];
        try
        {
            return new Found(ProxyBackend.Parse(url), null);
        }
        catch (HomeTunnelException e)
        {
            return new Found(null, $"{file} proxies to {DnsName.Printable(url)}, which HomeTunnel does not check: {e.Message}");
        }
    }

    /// <summary>Every section, nested ones included (a VirtualHost inside an IfModule or IfDefine).</summary>
    private static IEnumerable<ApacheDirective> Sections(IEnumerable<ApacheDirective> directives) =>
        directives.Where(d => d.IsSection).SelectMany(d => new[] { d }.Concat(Sections(d.Children!)));
}
