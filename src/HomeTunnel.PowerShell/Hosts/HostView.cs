using System.Collections.Generic;
using System.Linq;

namespace HomeTunnel.Hosts;

/// <summary>
/// How one change is shown: its kind and name, the files it wants, and its secrets. Everything a host
/// answered passes through here before it reaches a diff, a message or an ErrorRecord.
/// </summary>
public sealed class HostView
{
    public HostView(string kind, string name, IReadOnlyDictionary<string, string?> wanted, IReadOnlyCollection<string> secrets)
    {
        Kind = kind;
        Name = name;
        Wanted = wanted;
        Secrets = secrets;
    }

    public string Kind { get; }
    public string Name { get; }
    public IReadOnlyDictionary<string, string?> Wanted { get; }
    public IReadOnlyCollection<string> Secrets { get; }

    /// <summary>Host text made fit for an error: redacted, and no line of a file HomeTunnel did not write.</summary>
    public string Safe(string? text) => Redaction.ForError(text, Secrets, Wanted.Keys.ToArray());
}
