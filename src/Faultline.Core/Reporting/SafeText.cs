using System.Globalization;
using System.Text;

namespace Faultline.Core.Reporting;

/// <summary>
/// Text from probed servers (status lines, headers, bodies, frames, DNS answers) is untrusted: before it
/// reaches a terminal or a text format it is shown, not obeyed. Control characters (C0, DEL, C1) and the
/// Unicode format characters that reorder or hide text (bidi overrides and isolates, zero-width marks)
/// are written as escapes — <c>\x1b</c>, <c>\u202e</c> — so an escape sequence in a reason phrase prints as
/// text instead of colouring, moving the cursor or rewriting the line. JSON output stays exact (its own
/// string escaping already makes them inert).
/// </summary>
public static class SafeText
{
    /// <summary>One line: line breaks become spaces, the rest of the dangerous characters escapes; trimmed.</summary>
    public static string OneLine(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Escape(text.ReplaceLineEndings(" ")).Trim();
    }

    /// <summary>Every control or text-reordering character written as an escape; everything else unchanged.</summary>
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var i = 0;
        while (i < text.Length && !Dangerous(text[i]))
        {
            i++;
        }

        if (i == text.Length)
        {
            return text;
        }

        var builder = new StringBuilder(text.Length + 16).Append(text, 0, i);
        for (; i < text.Length; i++)
        {
            var c = text[i];
            if (!Dangerous(c))
            {
                builder.Append(c);
            }
            else if (c <= 0xFF)
            {
                builder.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}");
            }
            else
            {
                builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
        }

        return builder.ToString();
    }

    private static bool Dangerous(char c) =>
        c < 0x20 || c is >= '\u007f' and <= '\u009f'
        || c is >= '\u200b' and <= '\u200f' || c is >= '\u202a' and <= '\u202e' || c is >= '\u2066' and <= '\u2069'
        || c == '\ufeff';
}
