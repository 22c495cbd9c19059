using Faultline.Core.Config;
using static Faultline.Core.Tests.Config.ConfigTestSupport;

namespace Faultline.Core.Tests.Config;

public class ConfigLoadKindsTests
{
    private const string Db = "  - { name: db, kind: postgres, connectionString: \"Host=127.0.0.1;Username=u\" }\n";

    [Fact]
    public void LoadText_TargetMonitorKeys_AreMapped()
    {
        const string yaml = """
            alerts: [{ name: ops, kind: log }]
            targets:
              - { name: api, kind: tcp, host: h, port: 1, interval: 10s, failureThreshold: 5, successThreshold: 1, degradedAbove: 750ms, alerts: [ops] }
            """;

        var api = Load(yaml).Targets[0];

        Assert.Equal(TimeSpan.FromSeconds(10), api.Interval);
        Assert.Equal(5, api.FailureThreshold);
        Assert.Equal(1, api.SuccessThreshold);
        Assert.Equal(TimeSpan.FromMilliseconds(750), api.DegradedAbove);
        Assert.Equal(["ops"], api.Alerts);
    }

    [Fact]
    public void LoadText_TargetWithoutMonitorKeys_UsesRecordDefaults()
    {
        var api = Load("targets:\n  - { name: api, kind: tcp, host: h, port: 1 }\n").Targets[0];

        Assert.Equal(TargetSpec.DefaultInterval, api.Interval);
        Assert.Equal(3, api.FailureThreshold);
        Assert.Equal(2, api.SuccessThreshold);
        Assert.Null(api.DegradedAbove);
        Assert.Empty(api.Alerts);
    }

    [Theory]
    [InlineData("interval: 500ms", 57, "'interval' in target 'api' (kind tcp) is 500ms; it must be at least 1s")]
    [InlineData("interval: 0s", 57, "'interval' in target 'api' (kind tcp) must be longer than zero")]
    [InlineData("failureThreshold: 0", 65, "'failureThreshold' in target 'api' (kind tcp) is 0; it must be in 1..100")]
    [InlineData("successThreshold: 101", 65, "'successThreshold' in target 'api' (kind tcp) is 101; it must be in 1..100")]
    [InlineData("degradedAbove: fast", 62, "bad duration \"fast\" for 'degradedAbove' in target 'api' (kind tcp)")]
    [InlineData("alerts: ops", 55, "'alerts' in target 'api' (kind tcp) must be a list")]
    public void LoadText_BadTargetMonitorKey_IsReportedAtTheValue(string pair, int column, string message)
    {
        var error = SingleError($"targets:\n  - {{ name: api, kind: tcp, host: h, port: 1, {pair} }}\n", 2, column);

        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void LoadText_Concurrency_MapsOfAndParallel()
    {
        var yaml = "targets:\n" + Db + "  - { name: db-load, kind: concurrency, of: db, parallel: 50, conditions: [\"[RESPONSE_TIME] < 2s\"], category: database }\n";

        var load = Load(yaml).Targets[1];

        Assert.Equal((TargetKinds.Concurrency, "db", 50), (load.Kind, load.Of, load.Parallel));
        Assert.Equal(["[RESPONSE_TIME] < 2s"], load.Conditions);
    }

    [Fact]
    public void LoadText_ConcurrencyWithoutParallel_DefaultsToTen()
    {
        var load = Load("targets:\n" + Db + "  - { name: db-load, kind: concurrency, of: db }\n").Targets[1];

        Assert.Equal(10, load.Parallel);
    }

    [Theory]
    [InlineData("{ name: load, kind: concurrency }", 5, "missing 'of' in target 'load' (kind concurrency)")]
    [InlineData("{ name: load, kind: concurrency, of: bd }", 42, "target 'load' runs 'bd' in parallel, which is not defined")]
    [InlineData("{ name: load, kind: concurrency, of: load }", 42, "target 'load' names itself in 'of'")]
    [InlineData("{ name: load, kind: concurrency, of: db, parallel: 0 }", 56, "'parallel' in target 'load' (kind concurrency) is 0; it must be in 1..1000")]
    [InlineData("{ name: load, kind: concurrency, of: db, parallel: 1001 }", 56, "'parallel' in target 'load' (kind concurrency) is 1001; it must be in 1..1000")]
    [InlineData("{ name: load, kind: concurrency, of: db, url: \"http://h/\" }", 46, "'url' does not apply to kind concurrency in target 'load'")]
    [InlineData("{ name: load, kind: tcp, host: h, port: 1, of: db }", 48, "'of' does not apply to kind tcp in target 'load'")]
    public void LoadText_BadConcurrency_IsReportedWhereWritten(string target, int column, string message)
    {
        var error = SingleError("targets:\n" + Db + $"  - {target}\n", 3, column);

        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void LoadText_ConcurrencyOfUnknownTarget_SuggestsTheNearest()
    {
        var error = SingleError("targets:\n" + Db + "  - { name: load, kind: concurrency, of: bd }\n", 3, 42);

        Assert.Equal("did you mean 'db'?", error.Hint);
    }

    [Fact]
    public void LoadText_ConcurrencyOfConcurrencyTarget_IsAnError()
    {
        var yaml = "targets:\n" + Db + "  - { name: a, kind: concurrency, of: db }\n  - { name: b, kind: concurrency, of: a }\n";

        var error = SingleError(yaml, 4, 39);

        Assert.Equal("target 'b' runs 'a' in parallel, a concurrency target; 'of' must name a target with a probe of its own", error.Message);
        Assert.Equal("targets it can name: db", error.Hint);
    }

    [Fact]
    public void LoadText_ConcurrencyOfStartupTarget_IsAnError()
    {
        var yaml = "targets:\n" + Db
            + "  - { name: boot, kind: startup, run: ./app, readyUrl: \"http://127.0.0.1:{port}/ready\" }\n"
            + "  - { name: b, kind: concurrency, of: boot }\n";

        var error = SingleError(yaml, 4, 39);

        Assert.Equal("target 'b' runs 'boot' in parallel, a startup target; 'of' must name a target with a probe of its own", error.Message);
    }

    [Fact]
    public void LoadText_Startup_MapsEveryKey()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(dir.Path, "app"));
        const string yaml = """
            defaults: { timeout: 5s }
            targets:
              - name: boot
                kind: startup
                run: "dotnet run --no-build --urls http://127.0.0.1:{port}"
                env: { ConnectionStrings__Db: "Host=127.0.0.1;Application Name=boot-{instance}", PORT: "{port}", port: lower }
                workingDir: app
                readyUrl: "http://127.0.0.1:{port}/health/ready"
                instances: 5
                deadline: 60s
                conditions: ["[RESPONSE_TIME] < 30s"]
            """;

        var boot = Load(yaml, baseDirectory: dir.Path).Targets[0];

        Assert.Equal("dotnet run --no-build --urls http://127.0.0.1:{port}", boot.Run);
        Assert.Equal("Host=127.0.0.1;Application Name=boot-{instance}", boot.Env["ConnectionStrings__Db"]);
        Assert.Equal("{port}", boot.Env["PORT"]);
        Assert.Equal("lower", boot.Env["port"]);
        Assert.Equal(Path.Combine(dir.Path, "app"), boot.WorkingDir);
        Assert.Equal("http://127.0.0.1:{port}/health/ready", boot.ReadyUrl);
        Assert.Equal(5, boot.Instances);
        Assert.Equal(TimeSpan.FromSeconds(60), boot.Deadline);
        Assert.Equal(TimeSpan.FromSeconds(65), boot.Timeout);
    }

    [Fact]
    public void LoadText_StartupMinimal_UsesDefaults()
    {
        var boot = Load("targets:\n  - { name: boot, kind: startup, run: ./app, readyUrl: \"https://127.0.0.1:8443/ready\" }\n").Targets[0];

        Assert.Equal(1, boot.Instances);
        Assert.Empty(boot.Env);
        Assert.Null(boot.WorkingDir);
        Assert.Null(boot.Deadline);
        Assert.Null(boot.Timeout);
    }

    [Theory]
    [InlineData("{ name: boot, kind: startup, readyUrl: \"http://h:{port}/\" }", 5, "missing 'run' in target 'boot' (kind startup)")]
    [InlineData("{ name: boot, kind: startup, run: ./app }", 5, "missing 'readyUrl' in target 'boot' (kind startup)")]
    [InlineData("{ name: boot, kind: startup, run: \"\", readyUrl: \"http://h:{port}/\" }", 39, "'run' in target 'boot' (kind startup) is empty")]
    [InlineData("{ name: boot, kind: startup, run: ./app, readyUrl: \"127.0.0.1:{port}/ready\" }", 56, "'readyUrl' in target 'boot' (kind startup) must be an absolute http:// or https:// URL (with {port} and {instance} where each instance differs), not \"127.0.0.1:{port}/ready\"")]
    [InlineData("{ name: boot, kind: startup, run: ./app, readyUrl: \"ws://h:{port}/\" }", 56, "'readyUrl' in target 'boot' (kind startup) must be an absolute http:// or https:// URL (with {port} and {instance} where each instance differs), not \"ws://h:{port}/\"")]
    [InlineData("{ name: boot, kind: startup, run: ./app, readyUrl: \"http://h/\", instances: 0 }", 80, "'instances' in target 'boot' (kind startup) is 0; it must be in 1..100")]
    [InlineData("{ name: boot, kind: startup, run: ./app, readyUrl: \"http://h/\", instances: 101 }", 80, "'instances' in target 'boot' (kind startup) is 101; it must be in 1..100")]
    [InlineData("{ name: boot, kind: startup, run: ./app, readyUrl: \"http://h/\", env: [A] }", 74, "'env' in target 'boot' (kind startup) must be a mapping of names to values")]
    [InlineData("{ name: boot, kind: startup, run: ./app, readyUrl: \"http://h/\", parallel: 2 }", 69, "'parallel' does not apply to kind startup in target 'boot'")]
    [InlineData("{ name: web, kind: http, url: \"http://h/\", readyUrl: \"http://h/\" }", 48, "'readyUrl' does not apply to kind http in target 'web'")]
    public void LoadText_BadStartup_IsReportedWhereWritten(string target, int column, string message)
    {
        var error = SingleError($"targets:\n  - {target}\n", 2, column);

        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void LoadText_StartupMissingWorkingDir_IsAnError()
    {
        using var dir = new TempDirectory();

        var error = SingleError("targets:\n  - { name: boot, kind: startup, run: ./app, readyUrl: \"http://h/\", workingDir: nowhere }\n", 2, 81, baseDirectory: dir.Path);

        Assert.Equal($"'workingDir' in target 'boot' (kind startup): directory not found: {Path.Combine(dir.Path, "nowhere")}", error.Message);
    }

    [Fact]
    public void LoadText_StartupDeadlineNotShorterThanTimeout_MentionsStopping()
    {
        var error = SingleError("targets:\n  - { name: boot, kind: startup, run: ./app, readyUrl: \"http://h/\", deadline: 10s, timeout: 10s }\n", 2, 79);

        Assert.Equal("the deadline (10s) of target 'boot' is not shorter than its timeout (10s)", error.Message);
        Assert.StartsWith("the timeout also covers stopping the instances", error.Hint, StringComparison.Ordinal);
    }
}
