using Faultline.Core.Model;
using Faultline.Core.Reporting;

namespace Faultline.Core.Tests.Reporting;

/// <summary>Server-controlled text never reaches a terminal or a text format raw.</summary>
public sealed class SafeTextTests
{
    private static readonly DateTimeOffset Started = new(2026, 12, 3, 9, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("Bad \u001b[31mthing", "Bad \\x1b[31mthing")]
    [InlineData("bell\u0007 and del\u007f and c1\u009b", "bell\\x07 and del\\x7f and c1\\x9b")]
    [InlineData("admin\u202etxt.exe", "admin\\u202etxt.exe")]
    [InlineData("zero\u200bwidth", "zero\\u200bwidth")]
    [InlineData("two\r\nlines", "two lines")]
    [InlineData("plain text, ünïcödé, 日本", "plain text, ünïcödé, 日本")]
    public void OneLine_ControlAndReorderingCharacters_AreEscaped(string raw, string shown)
    {
        Assert.Equal(shown, SafeText.OneLine(raw));
    }

    /// <summary>A server whose reason phrase, error message and evidence carry escape sequences: every text format shows them as text.</summary>
    [Fact]
    public void Writers_EscapeSequencesFromAServer_AreShownNotObeyed()
    {
        const string Hostile = "Bad \u001b[31mthing\u001b]0;pwned\u0007";
        var result = ReportBuilderTests.Fail("api", Layer.Application, Side.Application) with
        {
            Kind = "http",
            Error = new ResultError("unexpected-status", "HTTP 500 " + Hostile),
            Evidence = ["reason phrase: " + Hostile, "header X-Note: \u001b[2J"],
            Remedy = "read the logs",
        };
        var report = ReportBuilder.Build("lab", Started, TimeSpan.Zero, [result]);

        foreach (var format in new[] { "table", "markdown", "junit" })
        {
            using var output = new StringWriter();
            ReportWriters.Create(format, color: false).Write(report, output);
            var text = output.ToString();

            Assert.DoesNotContain('\u001b', text);
            Assert.DoesNotContain('\u0007', text);
            if (format == "table")
            {
                Assert.Contains("\\x1b[31mthing", text, StringComparison.Ordinal);
            }
            else if (format == "markdown")
            {
                // Markdown escapes the backslash and the bracket in turn: \\x1b\[31mthing.
                Assert.Contains("x1b\\[31mthing", text, StringComparison.Ordinal);
            }
        }

        using var json = new StringWriter();
        ReportWriters.Create("json", color: false).Write(report, json);
        Assert.Contains("\\u001B[31mthing", json.ToString(), StringComparison.OrdinalIgnoreCase);
    }
}
