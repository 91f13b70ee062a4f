using System;
using System.Collections.Generic;
using System.Linq;

namespace HomeTunnel.Apache;

/// <summary>
/// The names another site serves, read from its ServerName and ServerAlias lines (which are all that leave the
/// relay of another's file) with the module's own Apache reader: quotes as Apache reads them, a scheme and a port
/// taken off ("https://a.example.test:443"), a trailing dot too. A line that does not read as Apache config is read
/// by its words, so a name on it still counts: a name wrongly counted as taken refuses an install, one missed would
/// take another's site.
/// </summary>
public static class ApacheServedNames
{
    public static List<string> Of(string? lines)
    {
        var names = new List<string>();
        foreach (string line in (lines ?? string.Empty).Split('\n'))
        {
            if (line.Trim().Length == 0)
            {
                continue;
            }
            IEnumerable<string> args;
            try
            {
                args = ApacheConfigReader.Read(line, "ServerName line").SelectMany(d => d.Args);
            }
            catch (HomeTunnelException)
            {
                args = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(w => w.Trim('"', '\''));
            }
            names.AddRange(args.Select(Bare).Where(n => n.Length > 0));
        }
        return names;
    }

    private static string Bare(string name)
    {
        int scheme = name.IndexOf("://", StringComparison.Ordinal);
        string host = scheme >= 0 ? name[(scheme + 3)..] : name;
        int colon = host.LastIndexOf(':');
        if (colon > 0 && host[(colon + 1)..].All(char.IsAsciiDigit) && !host.StartsWith('['))
        {
            host = host[..colon];
        }
        return host.TrimEnd('.');
    }
}
