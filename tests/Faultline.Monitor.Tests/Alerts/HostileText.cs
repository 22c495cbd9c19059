using System.Globalization;

namespace Faultline.Monitor.Tests.Alerts;

/// <summary>Text a probed server could send (a colour escape, CR LF, BEL, a C1 CSI) and the checks that it reached an output inert.</summary>
internal static class HostileText
{
    /// <summary>ESC [31m (red), CR LF (a forged second line), BEL, C1 CSI (U+009B) 2J (clear screen).</summary>
    public const string Text = "Bad \u001b[31mred\r\nforged line\u0007 \u009b2J end";

    /// <summary>How <see cref="Text"/>'s colour escape looks once escaped.</summary>
    public const string EscapedColour = "\\x1b[31m";

    /// <summary>An open alert whose server-derived parts all carry <see cref="Text"/>.</summary>
    public static AlertEvent Alert(params string[] channels)
    {
        var open = AlertSamples.Open(42, channels);
        return open with
        {
            Incident = open.Incident with
            {
                Target = "api/pg " + Text,
                Signature = "database/" + Text,
                Suppressed = ["chat " + Text],
            },
            Evidence = ["reason phrase: " + Text, "header X-Note: " + Text],
            Remedy = "restart " + Text,
            Summary = "api/pg: database infrastructure — HTTP 500 " + Text,
        };
    }

    /// <summary>No C0 control (other than <c>\n</c> when <paramref name="lineBreaks"/>), no DEL, no C1 control.</summary>
    public static void AssertInert(string text, bool lineBreaks = false)
    {
        foreach (var c in text)
        {
            if ((c < 0x20 && !(lineBreaks && c == '\n')) || c is >= '\u007f' and <= '\u009f')
            {
                Assert.Fail(string.Create(CultureInfo.InvariantCulture, $"raw U+{(int)c:X4} in: {text.Replace("\u001b", "<ESC>", StringComparison.Ordinal)}"));
            }
        }
    }

    /// <summary>Inert, and shows the colour escape as text.</summary>
    public static void AssertEscaped(string text, bool lineBreaks = false)
    {
        AssertInert(text, lineBreaks);
        Assert.Contains(EscapedColour, text, StringComparison.Ordinal);
    }
}
