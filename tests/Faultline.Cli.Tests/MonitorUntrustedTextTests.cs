using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Faultline.Cli.Commands;
using Faultline.Core.Model;
using Faultline.Monitor;
using Faultline.Monitor.Engine;
using Faultline.TestSupport;
using Spectre.Console;

namespace Faultline.Cli.Tests;

/// <summary><c>faultline monitor</c>'s lines and live table show text from probed servers escaped; its JSON lines keep it exact.</summary>
public sealed class MonitorUntrustedTextTests
{
    /// <summary>ESC [31m (red), CR LF (a forged second line), BEL, C1 CSI (U+009B) 2J (clear screen).</summary>
    private const string Hostile = "Bad \u001b[31mred\r\nforged line\u0007 \u009b2J end";

    private const string EscapedColour = "\\x1b[31m";

    private static readonly DateTimeOffset At = new(2026, 11, 26, 3, 0, 30, TimeSpan.Zero);

    [Fact]
    public async Task ConsoleView_StateAndAlertLinesWithHostileText_OneEscapedLineEach()
    {
        using var output = new StringWriter();
        var view = new MonitorCommand.ConsoleView(output, Request(live: false));

        await view.StateAsync(State());
        await view.AlertAsync(Alert(), held: null);
        await view.AlertAsync(Alert(), held: "window " + Hostile);

        var text = output.ToString();
        AssertInert(text, lineBreaks: true);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.All(lines, l => Assert.Contains(EscapedColour, l, StringComparison.Ordinal));
        Assert.StartsWith("2026-11-26T03:00:30Z  state  api/pg Bad \\x1b[31mred forged line\\x07 \\x9b2J end: up -> down", lines[0], StringComparison.Ordinal);
        Assert.Contains("(held: window Bad \\x1b[31mred", lines[2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConsoleView_LiveTableWithHostileText_CellsAndRecentLinesEscapedMarkupShownAsText()
    {
        var view = new MonitorCommand.ConsoleView(TextWriter.Null, Request(live: true));
        await view.StateAsync(State());
        await view.AlertAsync(Alert(), held: null);
        var status = new TargetStatus
        {
            Name = "api/pg [red]x[/] " + Hostile,
            Owner = "api",
            State = TargetState.Down,
            Layer = Layer.Database,
            Side = Side.Infrastructure,
            LastChange = At,
            SuppressedBy = "db " + Hostile,
            Signatures = new Dictionary<string, int> { ["database/" + Hostile] = 3 },
        };

        using var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Out = new AnsiConsoleOutput(output),
        });
        console.Profile.Width = 600;
        console.Write(view.Render([status], At.AddSeconds(5)));

        var text = output.ToString();
        AssertInert(text, lineBreaks: true);
        Assert.Contains("api/pg [red]x[/] Bad \\x1b[31mred forged line", text, StringComparison.Ordinal);
        Assert.Contains("(by db Bad \\x1b[31mred", text, StringComparison.Ordinal);
        Assert.Contains("database/Bad \\x1b[31mred forged line\\x07 \\x9b2J end x3", text, StringComparison.Ordinal);
        var recent = text.Split('\n').Where(l => l.StartsWith("2026-11-26T03:00:30Z", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, recent.Count);
        Assert.All(recent, l => Assert.Contains(EscapedColour, l, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Monitor_RemoteServiceReportsHostileComponent_TableLinesEscapedJsonLinesExact()
    {
        // A remote target's health document names its components and their errors: both are the service's text.
        var document = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["service"] = "api",
            ["status"] = "unhealthy",
            ["components"] = new Dictionary<string, object>
            {
                ["pg " + Hostile] = new Dictionary<string, object>
                {
                    ["status"] = "unhealthy",
                    ["layer"] = "database",
                    ["side"] = "infrastructure",
                    ["errorKind"] = "connect-timeout",
                    ["message"] = "connect timed out: " + Hostile,
                },
            },
        });
        await using var server = TestServers.Http(TestServers.RawResponse(503, "Service Unavailable", document, "Content-Type: application/json"));
        using var dir = new CliHarness.TempDir();
        var file = dir.Write("m.yaml", $"""
            targets:
              - name: api
                kind: remote
                url: {server.BaseUrl}/health
                interval: 1s
                failureThreshold: 1

            """);

        var table = await RunUntilAsync(file, "table", l => l.Contains("  alert  open", StringComparison.Ordinal));
        AssertInert(table, lineBreaks: true);
        var lines = table.Split('\n');
        var down = lines.First(l => l.Contains("  state  api/pg", StringComparison.Ordinal) && l.Contains("-> down", StringComparison.Ordinal));
        Assert.Contains("api/pg Bad \\x1b[31mred forged line\\x07 \\x9b2J end: ", down, StringComparison.Ordinal);
        var open = lines.First(l => l.Contains("  alert  open", StringComparison.Ordinal));
        Assert.Contains("connect timed out: Bad \\x1b[31mred forged line\\x07 \\x9b2J end", open, StringComparison.Ordinal);

        var json = await RunUntilAsync(file, "json", l => l.Contains("\"type\":\"alert\"", StringComparison.Ordinal));
        AssertInert(json, lineBreaks: true);
        using var alert = JsonDocument.Parse(json.Split('\n').First(l => l.Contains("\"type\":\"alert\"", StringComparison.Ordinal)));
        Assert.Equal("api/pg " + Hostile, alert.RootElement.GetProperty("incident").GetProperty("target").GetString());
        Assert.Contains("connect timed out: " + Hostile, alert.RootElement.GetProperty("summary").GetString(), StringComparison.Ordinal);
    }

    private static MonitorCommand.MonitorRequest Request(bool live) =>
        new(ConfigPath: null, Store: "none", Format: "table", Quiet: false, Metrics: null, Color: false, Live: live, Verbose: false);

    private static StateEvent State() => new()
    {
        Target = "api/pg " + Hostile,
        At = At,
        From = TargetState.Up,
        To = TargetState.Down,
        IncidentId = 42,
        Signature = "database/" + Hostile,
        SuppressedBy = null,
    };

    private static AlertEvent Alert() => new()
    {
        Event = AlertEventKind.Open,
        At = At,
        Incident = new IncidentInfo
        {
            Id = 42,
            Target = "api/pg " + Hostile,
            Layer = Layer.Database,
            Side = Side.Infrastructure,
            Signature = "database/" + Hostile,
            StartedAt = At,
        },
        Evidence = ["reason phrase: " + Hostile],
        Summary = "api/pg: database infrastructure — HTTP 500 " + Hostile,
    };

    /// <summary>Runs the monitor (no store) until a line of its output matches, then stops it; returns the output.</summary>
    private static async Task<string> RunUntilAsync(string config, string format, Func<string, bool> until)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var writer = TextWriter.Synchronized(output);
        using var cts = new CancellationTokenSource();
        var request = new MonitorCommand.MonitorRequest(config, "none", format, Quiet: false, Metrics: null, Color: false, Live: false, Verbose: false);
        var run = MonitorCommand.RunAsync(request, writer, TextWriter.Synchronized(error), cts.Token);
        var watch = Stopwatch.StartNew();
        while (!Snapshot(writer, output).Split('\n').Any(until))
        {
            Assert.False(run.IsCompleted, "the monitor stopped early: " + error);
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), "no matching line in 30 s: " + Snapshot(writer, output));
            await Task.Delay(50);
        }

        await cts.CancelAsync();
        Assert.Equal(0, await run);
        return Snapshot(writer, output);
    }

    private static string Snapshot(TextWriter writer, StringWriter inner)
    {
        // SyncTextWriter's members lock the wrapper itself.
        lock (writer)
        {
            return inner.ToString();
        }
    }

    /// <summary>No C0 control (other than <c>\n</c> when <paramref name="lineBreaks"/>), no DEL, no C1 control.</summary>
    private static void AssertInert(string text, bool lineBreaks = false)
    {
        foreach (var c in text)
        {
            if ((c < 0x20 && !(lineBreaks && c == '\n')) || c is >= '\u007f' and <= '\u009f')
            {
                Assert.Fail(string.Create(CultureInfo.InvariantCulture, $"raw U+{(int)c:X4} in: {text.Replace("\u001b", "<ESC>", StringComparison.Ordinal)}"));
            }
        }
    }
}
