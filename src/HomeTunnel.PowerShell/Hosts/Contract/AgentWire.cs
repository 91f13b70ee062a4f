using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Json;

namespace HomeTunnel.Hosts.Contract;

/// <summary>
/// The host link's wire: one JSON string each way. A request (built as plain values by <see cref="AgentRequest"/>)
/// is written here; the agent reads it with .NET's own JSON reader and answers with one JSON string, which
/// <see cref="AgentAnswer.Parse"/> and <see cref="AgentContract"/> read into the answer's contract. Nothing crosses as PowerShell's serialized objects,
/// so no shape depends on remoting's guesses (a lone item for a list, numbers as text, a depth that cuts values).
/// </summary>
public static class AgentWire
{
    /// <summary>A request as the agent reads it: dictionaries as objects, lists as arrays, numbers and booleans as such.</summary>
    public static string Write(IDictionary request)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            WriteValue(w, request);
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteValue(Utf8JsonWriter w, object? value)
    {
        switch (value)
        {
            case null:
                w.WriteNullValue();
                break;
            case string s:
                w.WriteStringValue(s);
                break;
            case bool b:
                w.WriteBooleanValue(b);
                break;
            case int or long or short or byte or uint or ushort:
                w.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case double or float or decimal:
                w.WriteNumberValue(Convert.ToDouble(value, CultureInfo.InvariantCulture));
                break;
            case Enum e:
                w.WriteStringValue(e.ToString());
                break;
            case IDictionary d:
                w.WriteStartObject();
                foreach (DictionaryEntry entry in d)
                {
                    w.WritePropertyName(Convert.ToString(entry.Key, CultureInfo.InvariantCulture)!);
                    WriteValue(w, entry.Value);
                }
                w.WriteEndObject();
                break;
            case IEnumerable items:
                w.WriteStartArray();
                foreach (object? item in items)
                {
                    WriteValue(w, item);
                }
                w.WriteEndArray();
                break;
            default:
                w.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }
}
