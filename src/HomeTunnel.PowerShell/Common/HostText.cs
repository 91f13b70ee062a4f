using System.Text;

namespace HomeTunnel;

/// <summary>
/// Text that came from a host or a receiver is data: before it reaches any stream, terminal control characters
/// (C0 but line feed and tab, DEL, C1, and the Unicode line and direction controls a console obeys) are written
/// as \uXXXX escapes, so a host's text can neither move the admin's cursor, recolour or retitle their terminal,
/// nor hide a line or reverse one.
/// </summary>
public static class HostText
{
    public static bool IsControl(char c) =>
        (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f || (c >= 0x80 && c <= 0x9f)
        || c is '\u2028' or '\u2029' or '\u200e' or '\u200f' or >= '\u202a' and <= '\u202e' or >= '\u2066' and <= '\u2069';

    /// <summary>The text with every control character escaped; a carriage return before a line feed is dropped.</summary>
    public static string Printable(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text ?? string.Empty;
        }
        StringBuilder? sb = null;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            bool crlf = c == '\r' && i + 1 < text.Length && text[i + 1] == '\n';
            if (!IsControl(c) && !crlf)
            {
                sb?.Append(c);
                continue;
            }
            sb ??= new StringBuilder(text, 0, i, text.Length + 16);
            if (!crlf)
            {
                sb.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        return sb?.ToString() ?? text;
    }
}
