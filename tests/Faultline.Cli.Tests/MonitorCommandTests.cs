using System.Diagnostics;
using System.Text.Json;
using Faultline.Cli.Commands;
using Faultline.TestSupport;
using static Faultline.Cli.Tests.MonitorHarness;

namespace Faultline.Cli.Tests;

public sealed class MonitorCommandTests
{
    [Fact]
    public async Task Monitor_NoConfig_ExitsTwoWithWhatToGive()
    {
        var (exit, _, error) = await CliHarness.RunAsync("monitor");

        Assert.Equal(2, exit);
        Assert.Contains("--config FILE", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Monitor_UnknownFormat_ExitsTwoListingTheFormats()
    {
        var (exit, _, error) = await CliHarness.RunAsync("monitor", "--config", "x.yaml", "--format", "junit");

        Assert.Equal(2, exit);
        Assert.Contains("json", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Monitor_MissingConfigFile_ExitsTwoNamingTheFile()
    {
        var (exit, _, error) = await CliHarness.RunAsync("monitor", "--config", "/nonexistent/faultline.yaml");

        Assert.Equal(2, exit);
        Assert.Contains("config file not found: /nonexistent/faultline.yaml", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Monitor_BadMetricsAddress_ExitsTwo()
    {
        using var dir = new CliHarness.TempDir();
        var file = dir.Write("m.yaml", Config("http://127.0.0.1:1/"));

        var (exit, _, error) = await CliHarness.RunAsync("monitor", "--config", file, "--metrics", "localhost");

        Assert.Equal(2, exit);
        Assert.Contains("--metrics", error, StringComparison.Ordinal);
        Assert.Contains("ADDRESS:PORT", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Monitor_InvalidConfig_ExitsTwoWithFileLineColumnAndNothingMonitored()
    {
        using var dir = new CliHarness.TempDir();
        var file = dir.Write("bad.yaml", """
            targets:
              - name: api
                kind: http
                url: http://127.0.0.1:1/
                intervall: 5s
            """);

        var (exit, output, error) = await CliHarness.RunAsync("monitor", "--config", file, "--store", "none");

        Assert.Equal(2, exit);
        Assert.Empty(output);
        Assert.Contains($"{file}:5:5", error, StringComparison.Ordinal);
        Assert.Contains("nothing is monitored", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Monitor_UnknownStoreKind_ExitsTwoWithoutEchoingTheSpec()
    {
        using var dir = new CliHarness.TempDir();
        var file = dir.Write("m.yaml", Config("http://127.0.0.1:1/"));

        var (exit, _, error) = await CliHarness.RunAsync("monitor", "--config", file, "--store", "mysql:user:s3cr3t-pw@db");

        Assert.Equal(2, exit);
        Assert.Contains("history store", error, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t-pw", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Monitor_PostgresStoreUnreachable_ExitsTwoWithoutThePassword()
    {
        using var dir = new CliHarness.TempDir();
        var file = dir.Write("m.yaml", Config("http://127.0.0.1:1/"));
        var store = $"postgres:Host=127.0.0.1;Port={TestServers.ClosedPort()};Username=faultline;Password=hunter2-not-shown;Database=history;Timeout=3";

        var (exit, output, error) = await CliHarness.RunAsync("monitor", "--config", file, "--store", store);

        Assert.Equal(2, exit);
        Assert.Empty(output);
        Assert.Contains("history store", error, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2-not-shown", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Monitor_JsonFormat_ResultStateAndAlertLinesThenExitZeroOnCancel()
    {
        await using var server = TestServers.Http(TestServers.RawResponse(200, "OK", "{\"status\":\"ok\"}", "Content-Type: application/json"));
        using var dir = new CliHarness.TempDir();
        var file = dir.Write("m.yaml", $"""
            targets:
              - name: web
                kind: http
                url: {server.BaseUrl}/health
                interval: 1s
                successThreshold: 1
              - name: gone
                kind: tcp
                host: 127.0.0.1
                port: {TestServers.ClosedPort()}
                interval: 1s
                failureThreshold: 1
            """);
        var db = Path.Combine(dir.Path, "history.db");
        using var output = new Captured();
        using var error = new Captured();
        using var cts = new CancellationTokenSource();
        var request = new MonitorCommand.MonitorRequest(file, "sqlite:" + db, "json", Quiet: false, Metrics: null, Color: false, Live: false, Verbose: false);

        var run = MonitorCommand.RunAsync(request, output.Writer, error.Writer, cts.Token);
        await WaitForAsync(() => Lines(output).Count(l => l.Contains("\"type\":\"result\"", StringComparison.Ordinal) && l.Contains("\"web\"", StringComparison.Ordinal)) >= 2
            && Lines(output).Any(l => l.Contains("\"type\":\"alert\"", StringComparison.Ordinal)), run, error);
        await cts.CancelAsync();
        var exit = await run;

        Assert.True(exit == 0, error.Text);
        var events = Lines(output).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var result = events.First(e => e.GetProperty("type").GetString() == "result" && e.GetProperty("target").GetString() == "web");
        Assert.Equal("pass", result.GetProperty("result").GetProperty("status").GetString());
        Assert.True(result.GetProperty("lagMs").GetDouble() >= 0);
        Assert.True(result.GetProperty("startedAt").GetDateTimeOffset() >= result.GetProperty("scheduledAt").GetDateTimeOffset());

        var up = events.First(e => e.GetProperty("type").GetString() == "state" && e.GetProperty("target").GetString() == "web");
        Assert.Equal(("pending", "up"), (up.GetProperty("from").GetString(), up.GetProperty("to").GetString()));

        var down = events.First(e => e.GetProperty("type").GetString() == "state" && e.GetProperty("target").GetString() == "gone");
        Assert.Equal("down", down.GetProperty("to").GetString());
        Assert.Equal("network/connection-refused", down.GetProperty("signature").GetString());

        var alert = events.First(e => e.GetProperty("type").GetString() == "alert");
        Assert.Equal("open", alert.GetProperty("event").GetString());
        Assert.Equal(JsonValueKind.Null, alert.GetProperty("held").ValueKind);
        Assert.Equal("gone", alert.GetProperty("incident").GetProperty("target").GetString());
        Assert.Equal("network", alert.GetProperty("incident").GetProperty("layer").GetString());
        Assert.Equal(down.GetProperty("incidentId").GetInt64(), alert.GetProperty("incident").GetProperty("id").GetInt64());
        Assert.True(File.Exists(db));
        Assert.Contains("stopped", error.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Monitor_ConfigChangedWhileRunning_InvalidRejectedValidApplied()
    {
        await using var server = TestServers.Http(TestServers.RawResponse(200, "OK", "ok"));
        using var dir = new CliHarness.TempDir();
        var file = dir.Write("m.yaml", Config(server.BaseUrl + "/a", "first"));
        using var output = new Captured();
        using var error = new Captured();
        using var cts = new CancellationTokenSource();
        var request = new MonitorCommand.MonitorRequest(file, "none", "json", Quiet: false, Metrics: null, Color: false, Live: false, Verbose: false);
        var run = MonitorCommand.RunAsync(request, output.Writer, error.Writer, cts.Token);
        await WaitForAsync(() => Lines(output).Any(l => l.Contains("\"target\":\"first\"", StringComparison.Ordinal)), run, error);

        File.WriteAllText(file, Config(server.BaseUrl + "/a", "first") + "    tiemout: 2s\n");
        await WaitForAsync(() => error.Text.Contains("still running the previous config", StringComparison.Ordinal), run, error);
        Assert.True(error.Text.Contains($"{file}:7:5", StringComparison.Ordinal), error.Text);
        Assert.Contains("tiemout", error.Text, StringComparison.Ordinal);

        File.WriteAllText(file, Config(server.BaseUrl + "/b", "second"));
        await WaitForAsync(() => Lines(output).Any(l => l.Contains("\"target\":\"second\"", StringComparison.Ordinal)), run, error);
        await cts.CancelAsync();

        Assert.Equal(0, await run);
        Assert.Contains("config reloaded", error.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Monitor_TableRedirected_PrintsStateChangesAsLines()
    {
        await using var server = TestServers.Http(TestServers.RawResponse(200, "OK", "ok"));
        using var dir = new CliHarness.TempDir();
        var file = dir.Write("m.yaml", Config(server.BaseUrl + "/", "web"));
        using var output = new Captured();
        using var error = new Captured();
        using var cts = new CancellationTokenSource();
        var request = new MonitorCommand.MonitorRequest(file, "none", "table", Quiet: false, Metrics: null, Color: false, Live: false, Verbose: false);

        var run = MonitorCommand.RunAsync(request, output.Writer, error.Writer, cts.Token);
        await WaitForAsync(() => output.Text.Contains("web: pending -> up", StringComparison.Ordinal), run, error);
        await cts.CancelAsync();

        Assert.Equal(0, await run);
        Assert.DoesNotContain("{", output.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Monitor_QuietJsonWithMetrics_NoResultLinesAndMetricsServed()
    {
        await using var server = TestServers.Http(TestServers.RawResponse(200, "OK", "ok"));
        using var dir = new CliHarness.TempDir();
        var file = dir.Write("m.yaml", Config(server.BaseUrl + "/", "web"));
        using var output = new Captured();
        using var error = new Captured();
        using var cts = new CancellationTokenSource();
        var request = new MonitorCommand.MonitorRequest(file, "none", "json", Quiet: true, Metrics: "127.0.0.1:0", Color: false, Live: false, Verbose: false);

        var run = MonitorCommand.RunAsync(request, output.Writer, error.Writer, cts.Token);
        await WaitForAsync(() => Lines(output).Any(l => l.Contains("\"type\":\"state\"", StringComparison.Ordinal)), run, error);
        var url = error.Text.Split(' ', '\n', ';', ',').First(w => w.StartsWith("http://127.0.0.1:", StringComparison.Ordinal));
        using var http = new HttpClient();
        var metrics = await http.GetStringAsync(new Uri(url));
        await cts.CancelAsync();

        Assert.Equal(0, await run);
        Assert.Contains("faultline_", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain(Lines(output), l => l.Contains("\"type\":\"result\"", StringComparison.Ordinal));
    }

    private static string Config(string url, string name = "api") => $"""
        targets:
          - name: {name}
            kind: http
            url: {url}
            interval: 1s
            successThreshold: 1

        """;
}
