using System.Text.Json;
using Faultline.Core.Config;
using Faultline.Monitor.Alerts;
using Microsoft.Extensions.Time.Testing;

namespace Faultline.Monitor.Tests.Alerts;

public sealed class CommandChannelTests : IDisposable
{
    private readonly HttpClient http = new();
    private readonly CapturingLoggerFactory logs = new();
    private readonly string dir = Directory.CreateTempSubdirectory("faultline-alert-cmd-").FullName;

    public void Dispose()
    {
        http.Dispose();
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public async Task Enqueue_CommandChannel_RunsScriptWithTheAlertInItsEnvironment()
    {
        var envFile = Path.Combine(dir, "env.txt");
        var script = WriteScript("notify.sh", $"env | grep '^FAULTLINE_' | grep -v '^FAULTLINE_JSON=' | grep -v '^FAULTLINE_EVIDENCE=' > '{envFile}'\nprintf '%s' \"$FAULTLINE_JSON\" > '{envFile}.json'\necho notified");
        var spec = new AlertSpec { Name = "pager", Kind = AlertKinds.Command, Run = script };
        await using var dispatcher = new AlertDispatcher([spec], http, TimeProvider.System, logs);

        dispatcher.Enqueue(AlertSamples.Resolve(42, "pager"));
        await dispatcher.FlushAsync(TimeSpan.FromSeconds(20));

        var env = File.ReadAllLines(envFile)
            .Select(l => l.Split('=', 2))
            .ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        Assert.Equal("resolve", env["FAULTLINE_EVENT"]);
        Assert.Equal("db", env["FAULTLINE_TARGET"]);
        Assert.Equal("database", env["FAULTLINE_LAYER"]);
        Assert.Equal("infrastructure", env["FAULTLINE_SIDE"]);
        Assert.Equal("42", env["FAULTLINE_INCIDENT"]);
        Assert.Equal("db: resolved after 5m0s", env["FAULTLINE_SUMMARY"]);
        Assert.Equal("database/connection-refused", env["FAULTLINE_SIGNATURE"]);
        Assert.Equal("2026-11-26T03:00:00.000Z", env["FAULTLINE_STARTED_AT"]);
        Assert.Equal("2026-11-26T03:05:00.000Z", env["FAULTLINE_RESOLVED_AT"]);
        Assert.Equal("api", env["FAULTLINE_SUPPRESSED"]);
        Assert.Equal("0", env["FAULTLINE_SEQUENCE"]);
        using var json = JsonDocument.Parse(File.ReadAllText(envFile + ".json"));
        Assert.Equal(42, json.RootElement.GetProperty("incident").GetProperty("id").GetInt64());

        var delivered = Assert.Single(logs.WithEventId(6103));
        Assert.Equal("exit 0", delivered.Values["Detail"]);
        Assert.Equal("notified", Assert.Single(logs.WithEventId(6121)).Values["Stdout"]);
    }

    [Fact]
    public async Task Enqueue_RelativeCommand_RunsInTheConfigDirectory()
    {
        WriteScript("notify.sh", "pwd > where.txt");
        var spec = new AlertSpec { Name = "pager", Kind = AlertKinds.Command, Run = "./notify.sh", WorkingDirectory = dir };
        await using var dispatcher = new AlertDispatcher([spec], http, TimeProvider.System, logs);

        dispatcher.Enqueue(AlertSamples.Open(7, "pager"));
        await dispatcher.FlushAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(Path.GetFullPath(dir), File.ReadAllText(Path.Combine(dir, "where.txt")).Trim());
    }

    [Fact]
    public async Task Enqueue_CommandFailsOnce_IsRetriedAndItsOutputLogged()
    {
        var time = new FakeTimeProvider(AlertSamples.Start);
        var counter = Path.Combine(dir, "count");
        var script = WriteScript("flaky.sh", $"echo x >> '{counter}'\nif [ \"$(wc -l < '{counter}')\" -lt 2 ]; then echo 'receiver busy' >&2; exit 7; fi");
        var spec = new AlertSpec { Name = "pager", Kind = AlertKinds.Command, Run = script, Retries = 2, Timeout = TimeSpan.FromHours(1) };
        await using var dispatcher = new AlertDispatcher([spec], http, time, logs);

        dispatcher.Enqueue(AlertSamples.Open(1, "pager"));
        await AlertSamples.PumpUntilAsync(time, () => logs.WithEventId(6103).Count == 1);

        Assert.Equal(2, File.ReadAllLines(counter).Length);
        Assert.Equal("exit 7", Assert.Single(logs.WithEventId(6104)).Values["Detail"]);
        var output = logs.WithEventId(6121).First(e => (int)e.Values["ExitCode"]! == 7);
        Assert.Equal("receiver busy", output.Values["Stderr"]);
    }

    [Fact]
    public async Task Enqueue_CommandHangs_IsKilledAtItsTimeout()
    {
        var pidFile = Path.Combine(dir, "pid");
        var spec = new AlertSpec { Name = "pager", Kind = AlertKinds.Command, Run = $"echo $$ > '{pidFile}'; echo started; exec sleep 60", Retries = 0, Timeout = TimeSpan.FromMilliseconds(500) };
        await using var dispatcher = new AlertDispatcher([spec], http, TimeProvider.System, logs);

        dispatcher.Enqueue(AlertSamples.Open(1, "pager"));
        await dispatcher.FlushAsync(TimeSpan.FromSeconds(20));

        var gaveUp = Assert.Single(logs.WithEventId(6105));
        Assert.Equal("no answer within 500 ms", gaveUp.Values["Detail"]);
        Assert.Equal("started", Assert.Single(logs.WithEventId(6122)).Values["Stdout"]);
        var pid = File.ReadAllText(pidFile).Trim();
        await AlertSamples.WaitUntilAsync(() => !Directory.Exists($"/proc/{pid}"), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Enqueue_CommandPrintsALot_LogKeepsABoundedPrefix()
    {
        var spec = new AlertSpec { Name = "pager", Kind = AlertKinds.Command, Run = "head -c 200000 /dev/zero | tr '\\0' 'a'" };
        await using var dispatcher = new AlertDispatcher([spec], http, TimeProvider.System, logs);

        dispatcher.Enqueue(AlertSamples.Open(1, "pager"));
        await dispatcher.FlushAsync(TimeSpan.FromSeconds(20));

        Assert.Single(logs.WithEventId(6103));
        var stdout = (string)Assert.Single(logs.WithEventId(6121)).Values["Stdout"]!;
        Assert.EndsWith("…(truncated)", stdout, StringComparison.Ordinal);
        Assert.InRange(stdout.Length, CommandChannel.OutputLimit, CommandChannel.OutputLimit + 20);
    }

    private string WriteScript(string name, string body)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return path;
    }
}
