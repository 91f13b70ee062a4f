using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;

namespace HomeTunnel.Hosts;

/// <summary>
/// Reading the values of an agent's answer: what crossed a session arrives wrapped in PSObject, lists
/// as ArrayList or a lone item, numbers as text. One place for that, for every reader of answers.
/// </summary>
internal static class AgentValue
{
    public static object? Unwrap(object? value) => value is PSObject p ? p.BaseObject : value;

    public static string Text(object? value) => Unwrap(value)?.ToString() ?? string.Empty;

    public static bool Truth(object? value) => Unwrap(value) is bool b && b;

    public static IEnumerable<object?> Items(object? value) => Unwrap(value) switch
    {
        null => Array.Empty<object?>(),
        string s => new object?[] { s },
        IDictionary d => new object?[] { d },
        IEnumerable e => e.Cast<object?>(),
        object single => new[] { single },
    };

    /// <summary>The host's clock as Unix seconds (handshake ages are taken against it), or ours when absent.</summary>
    public static long UnixTime(object? value) =>
        long.TryParse(Text(value), NumberStyles.Integer, CultureInfo.InvariantCulture, out long n) ? n : DateTimeOffset.UtcNow.ToUnixTimeSeconds();
}
