using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace HomeTunnel.Cmdlets;

/// <summary>Completes interface names from the configs in /etc/wireguard and the live WireGuard sockets.</summary>
public sealed class InterfaceNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var names = new SortedSet<string> { "wg0" };
        foreach (string dir in new[] { "/etc/wireguard", "/run/wireguard" })
        {
            try
            {
                foreach (string f in Directory.EnumerateFiles(dir))
                {
                    string ext = Path.GetExtension(f);
                    if (ext is ".conf" or ".sock")
                    {
                        names.Add(Path.GetFileNameWithoutExtension(f));
                    }
                }
            }
            catch (System.Exception e) when (e is IOException or System.UnauthorizedAccessException)
            {
                // Not readable here: the default name is still offered.
            }
        }
        return names.Where(n => n.StartsWith(wordToComplete, System.StringComparison.OrdinalIgnoreCase))
            .Select(n => new CompletionResult(n, n, CompletionResultType.ParameterValue, n));
    }
}
