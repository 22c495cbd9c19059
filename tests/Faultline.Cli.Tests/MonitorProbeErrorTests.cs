using System.Globalization;
using System.Text.Json;
using Faultline.Cli.Commands;
using Faultline.Monitor;
using Faultline.Monitor.Engine;
using Faultline.TestSupport;
using Spectre.Console;
using static Faultline.Cli.Tests.MonitorHarness;

namespace Faultline.Cli.Tests;

/// <summary><c>faultline monitor</c> when it cannot probe a target itself: the <c>error</c> state everywhere it shows states, a counter, an alert, and recovery.</summary>
public sealed class MonitorProbeErrorTests
{
    private const string Hostile = "Bad \u001b[31mred\r\nforged line\u0007 end";

    private static readonly DateTimeOffset At = new(2026, 11, 26, 3, 0, 30, TimeSpan.Zero);

    [Fact]
    public async Task Monitor_ProbeFunctionThrows_ErrorStateLineMetricAndAlertThenUpAgain()
    {
        await using var server = TestServers.Http(TestServers.RawResponse(200, "OK", "ok"));
        await using var receiver = await WebhookReceiver.StartAsync();
        using var dir = new CliHarness.TempDir();
        var file = dir.Write("m.yaml", $$"""
            alerts:
              - { name: ops, kind: webhook, url: "{{receiver.Url("/hook")}}" }
            targets:
              - name: web
                kind: http
                url: {{server.BaseUrl}}/health
                interval: 1s
                failureThreshold: 1
                successThreshold: 1
                alerts: [ops]
            """);
        using var output = new Captured();
        using var error = new Captured();
        using var cts = new CancellationTokenSource();
        using var http = new HttpClient();
        var failing = 1;
        var request = new MonitorCommand.MonitorRequest(file, "none", "json", Quiet: false, Metrics: "127.0.0.1:0", Color: false, Live: false, Verbose: false);

        var run = MonitorCommand.RunAsync(
            request,
            output.Writer,
            error.Writer,
            real => (config, target, ct) => Volatile.Read(ref failing) == 1 ? throw new InvalidOperationException("probe exploded") : real(config, target, ct),
            cts.Token);
        await WaitForAsync(() => Events(output, "alert").Any(), run, error);
        var url = error.Text.Split(' ', '\n', ';', ',').First(w => w.StartsWith("http://127.0.0.1:", StringComparison.Ordinal));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (await MetricAsync(http, url, "faultline_target_errors_total", "target=\"web\"") is not >= 2.0)
        {
            Assert.False(run.IsCompleted || watch.Elapsed > TimeSpan.FromSeconds(30), "faultline_target_errors_total{target=\"web\"} did not reach 2; stderr: " + error.Text);
            await Task.Delay(100);
        }

        var state = Assert.Single(Events(output, "state"));
        Assert.Equal(("pending", "error"), (state.GetProperty("from").GetString(), state.GetProperty("to").GetString()));
        Assert.Equal("InvalidOperationException: probe exploded", state.GetProperty("reason").GetString());
        Assert.Equal("monitor/probe-error", state.GetProperty("signature").GetString());
        var open = Assert.Single(Events(output, "alert"));
        Assert.Equal("open", open.GetProperty("event").GetString());
        Assert.Equal("monitor/probe-error", open.GetProperty("incident").GetProperty("signature").GetString());
        Assert.Equal("unknown", open.GetProperty("incident").GetProperty("layer").GetString());
        Assert.Equal(state.GetProperty("incidentId").GetInt64(), open.GetProperty("incident").GetProperty("id").GetInt64());
        await receiver.WaitForAsync(1);
        Assert.Equal(1, await MetricAsync(http, url, "faultline_target_state", "target=\"web\"", "state=\"error\""));
        Assert.DoesNotContain(Events(output, "result"), r => r.GetProperty("target").GetString() == "web");

        Volatile.Write(ref failing, 0);
        await WaitForAsync(() => Events(output, "alert").Count() >= 2 && Events(output, "state").Count() >= 2, run, error);
        await receiver.WaitForAsync(2);
        await cts.CancelAsync();

        Assert.Equal(0, await run);
        var up = Events(output, "state").ElementAt(1);
        Assert.Equal(("error", "up"), (up.GetProperty("from").GetString(), up.GetProperty("to").GetString()));
        Assert.Equal(JsonValueKind.Null, up.GetProperty("reason").ValueKind);
        var resolve = Events(output, "alert").ElementAt(1);
        Assert.Equal("resolve", resolve.GetProperty("event").GetString());
        Assert.Equal(open.GetProperty("incident").GetProperty("id").GetInt64(), resolve.GetProperty("incident").GetProperty("id").GetInt64());
        Assert.Contains(Events(output, "result"), r => r.GetProperty("target").GetString() == "web" && r.GetProperty("result").GetProperty("status").GetString() == "pass");
        Assert.Equal(["open", "resolve"], receiver.Requests.Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("event").GetString()));
    }

    [Fact]
    public async Task ConsoleView_ErrorStateWithHostileReason_OneEscapedLineWithTheReason()
    {
        using var output = new StringWriter();
        var view = new MonitorCommand.ConsoleView(output, Request(live: false));

        await view.StateAsync(new StateEvent
        {
            Target = "web",
            At = At,
            From = TargetState.Up,
            To = TargetState.Error,
            Signature = MonitorEngine.ProbeErrorSignature,
            Reason = "InvalidOperationException: " + Hostile,
        });

        var line = Assert.Single(output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("2026-11-26T03:00:30Z  state  web: up -> error  monitor/probe-error  (InvalidOperationException: Bad \\x1b[31mred forged line\\x07 end)", line.TrimEnd('\r'));
    }

    [Fact]
    public void ConsoleView_LiveTableErrorRow_StateCellShowsTheReasonEscaped()
    {
        var view = new MonitorCommand.ConsoleView(TextWriter.Null, Request(live: true));
        var status = new TargetStatus
        {
            Name = "web",
            Owner = "web",
            State = TargetState.Error,
            ProbeError = "InvalidOperationException: [red]" + Hostile,
            LastChange = At,
        };

        using var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Out = new AnsiConsoleOutput(output),
        });
        console.Profile.Width = 300;
        console.Write(view.Render([status], At.AddSeconds(5)));

        var text = output.ToString();
        Assert.Contains("error: InvalidOperationException: [red]Bad \\x1b[31mred forged line", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b", text, StringComparison.Ordinal);
    }

    private static IEnumerable<JsonElement> Events(Captured output, string type) =>
        Lines(output)
            .Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.GetProperty("type").GetString() == type)
            .ToList();

    /// <summary>The value of the sample <paramref name="name"/> carrying every label given, scraped from the metrics endpoint; null when there is none.</summary>
    private static async Task<double?> MetricAsync(HttpClient http, string url, string name, params string[] labels)
    {
        var text = await http.GetStringAsync(new Uri(url));
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(name + "{", StringComparison.Ordinal) && labels.All(label => l.Contains(label, StringComparison.Ordinal)));
        return line is null ? null : double.Parse(line[(line.LastIndexOf('}') + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }

    private static MonitorCommand.MonitorRequest Request(bool live) =>
        new(ConfigPath: "m.yaml", Store: "none", Format: "table", Quiet: false, Metrics: null, Color: false, Live: live, Verbose: false);
}
