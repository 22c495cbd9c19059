using System.Net;
using System.Text.Json;
using Faultline.AspNetCore.Health;
using Faultline.AspNetCore.Probing;
using Faultline.AspNetCore.Resilience;
using Faultline.AspNetCore.Startup;
using Faultline.Core.Model;
using Faultline.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Faultline.AspNetCore.Tests;

/// <summary>Slow phases: the warning and the <c>slow</c> flag come while a phase runs, once it has used its share of the budget.</summary>
public sealed class SlowPhaseTests
{
    private const int SlowEventId = 3007;

    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(60);

    private static (PhaseExecutor Executor, StartupState State) Create(FakeTimeProvider time, ILoggerFactory loggers)
    {
        var options = Microsoft.Extensions.Options.Options.Create(new FaultlineOptions());
        var breakers = new BreakerRegistry(options, new HostingEnvironment { EnvironmentName = "Test" }, time, NullLogger<BreakerRegistry>.Instance);
        var state = new StartupState();
        var executor = new PhaseExecutor(breakers, state, new ServiceCollection().BuildServiceProvider(), time, new SecretScrubber(), loggers);
        state.Begin(FaultlineProfile.Test, time.GetUtcNow(), [new PhaseEntry { Name = "database", DependsOn = [], Critical = true }]);
        return (executor, state);
    }

    /// <summary>One attempt whose timeout is the budget, so only the budget ends the phase.</summary>
    private static ResolvedPhase Phase(Func<PhaseContext, CancellationToken, Task> run, double slowShare = ProfileDefaults.SlowShare) =>
        new(new PhaseDefinition("database", run, [], true, Layer.Database, "database", PhaseTiming.Connection), true, Budget, 1, Budget, TimeSpan.Zero, TimeSpan.Zero)
        {
            SlowShare = slowShare,
        };

    private static FakeTimeProvider NewTime() => new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private static Task Ok(PhaseContext context, CancellationToken cancellationToken) => Task.CompletedTask;

    [Fact]
    public async Task RunAsync_PhasePassesItsShare_WarnsAndIsSlowWhileStillRunning()
    {
        var time = NewTime();
        using var logs = new CapturingLoggerProvider();
        using var loggers = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        var (executor, state) = Create(time, loggers);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = executor.RunAsync(Phase((_, ct) => release.Task.WaitAsync(ct)), CancellationToken.None);

        time.Advance(TimeSpan.FromSeconds(44));
        var before = state.Snapshot.Phases.Single();
        Assert.Equal(PhaseStatus.Running, before.Status);
        Assert.False(before.Slow);
        Assert.Null(before.BudgetShare);
        Assert.Empty(logs.WithEventId(SlowEventId));

        time.Advance(TimeSpan.FromSeconds(1));
        var crossing = state.Snapshot.Phases.Single();
        Assert.False(run.IsCompleted);
        Assert.Equal(PhaseStatus.Running, crossing.Status);
        Assert.True(crossing.Slow);
        Assert.Equal(0.75, crossing.BudgetShare);
        var warning = Assert.Single(logs.WithEventId(SlowEventId));
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Equal("phase database is slow: 45 s of its 60 s budget used (share 0.75, warning at 0.75)", warning.Message);
        Assert.Equal("database", warning.Values["Phase"]);

        // While it runs, the endpoint's share follows the clock.
        time.Advance(TimeSpan.FromSeconds(3));
        var running = Phases(state, time).Single();
        Assert.True(running.GetProperty("slow").GetBoolean());
        Assert.Equal(0.8, running.GetProperty("budgetShare").GetDouble());

        release.SetResult();
        var outcome = await run.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(PhaseStatus.Succeeded, outcome.Status);
        var ended = state.Snapshot.Phases.Single();
        Assert.Equal(PhaseStatus.Succeeded, ended.Status);
        Assert.True(ended.Slow);
        Assert.Equal(0.8, ended.BudgetShare);
        Assert.Single(logs.WithEventId(SlowEventId));
    }

    [Fact]
    public async Task RunAsync_PhaseEndsUnderItsShare_IsNotSlowAndNeverWarns()
    {
        var time = NewTime();
        using var logs = new CapturingLoggerProvider();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(logs));
        var (executor, state) = Create(time, loggers);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = executor.RunAsync(Phase((_, ct) => release.Task.WaitAsync(ct)), CancellationToken.None);

        time.Advance(TimeSpan.FromSeconds(44));
        release.SetResult();
        var outcome = await run.WaitAsync(TimeSpan.FromSeconds(30));
        time.Advance(TimeSpan.FromMinutes(5));

        Assert.Equal(PhaseStatus.Succeeded, outcome.Status);
        var phase = state.Snapshot.Phases.Single();
        Assert.False(phase.Slow);
        Assert.Null(phase.BudgetShare);
        Assert.Empty(logs.WithEventId(SlowEventId));
        var json = Phases(state, time).Single();
        Assert.False(json.GetProperty("slow").GetBoolean());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("budgetShare").ValueKind);
    }

    [Fact]
    public async Task RunAsync_PhaseRunsOutOfBudget_FailsSlowWithTheWholeBudgetUsed()
    {
        var time = NewTime();
        using var logs = new CapturingLoggerProvider();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(logs));
        var (executor, state) = Create(time, loggers);
        var run = executor.RunAsync(Phase((_, ct) => Task.Delay(Timeout.InfiniteTimeSpan, time, ct), slowShare: 0.5), CancellationToken.None);

        time.Advance(TimeSpan.FromSeconds(30));
        Assert.True(state.Snapshot.Phases.Single().Slow);
        Assert.Equal(0.5, state.Snapshot.Phases.Single().BudgetShare);
        Assert.False(run.IsCompleted);
        for (var i = 0; i < 10_000 && !run.IsCompleted; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(250));
            await Task.Delay(1);
        }

        var outcome = await run.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(PhaseStatus.Failed, outcome.Status);
        var phase = state.Snapshot.Phases.Single();
        Assert.True(phase.Slow);
        Assert.InRange(phase.BudgetShare!.Value, 1.0, 1.1);
        Assert.Equal("phase database is slow: 30 s of its 60 s budget used (share 0.5, warning at 0.5)", Assert.Single(logs.WithEventId(SlowEventId)).Message);
    }

    [Fact]
    public void Create_SlowShare_PhaseConfigurationThenRegistrationThenGlobalKeyThenDefault()
    {
        PhaseDefinition Definition(string name, double? share) => new(name, Ok, [], true, Layer.Application, name, PhaseTiming.Init) { SlowShare = share };
        var phases = new List<PhaseDefinition> { Definition("plain", null), Definition("registered", 0.9), Definition("configured", 0.9) };

        var defaults = StartupPlan.Create(phases, new FaultlineOptions(), FaultlineProfile.Production).Phases.ToDictionary(p => p.Name, p => p.SlowShare);
        var options = new FaultlineOptions { Startup = { SlowShare = 0.6 } };
        options.Startup.Phases["configured"] = new PhaseOptions { SlowShare = 0.5 };
        var configured = StartupPlan.Create(phases, options, FaultlineProfile.Production).Phases.ToDictionary(p => p.Name, p => p.SlowShare);

        Assert.Equal(0.75, defaults["plain"]);
        Assert.Equal(0.9, defaults["registered"]);
        Assert.Equal(0.6, configured["plain"]);
        Assert.Equal(0.9, configured["registered"]);
        Assert.Equal(0.5, configured["configured"]);
    }

    [Theory]
    [InlineData("global", "0.05")]
    [InlineData("phase", "0.05")]
    [InlineData("registration", "0.05")]
    public async Task StartupEndpoint_PhasePastItsShare_ShowsSlowAndBudgetShareWhileRunningAndAfter(string source, string share)
    {
        var settings = new Dictionary<string, string?>();
        switch (source)
        {
            case "global":
                settings["Faultline:Startup:SlowShare"] = share;
                break;
            case "phase":
                settings["Faultline:Startup:Phases:database:SlowShare"] = share;
                break;
        }

        var logs = new CapturingLoggerProvider();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = await TestApp.StartAsync(
            (f, b) =>
            {
                b.Logging.AddProvider(logs);
                f.AddPhase("configuration", Ok).AddPhase("database", (_, ct) => release.Task.WaitAsync(ct), p =>
                {
                    // A budget of 10 s: at 0.05 the phase is slow after half a second.
                    p.DependsOn("configuration").Attempts(1).AttemptTimeout(TimeSpan.FromSeconds(10)).Budget(TimeSpan.FromSeconds(10));
                    switch (source)
                    {
                        case "registration":
                            p.SlowShare(double.Parse(share, System.Globalization.CultureInfo.InvariantCulture));
                            break;
                        case "phase":
                            // The phase's configuration wins over its registration.
                            p.SlowShare(0.9);
                            break;
                    }
                });
            },
            settings);

        var (status, body) = await WaitForSlowAsync(app);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("running", body.GetProperty("status").GetString());
        var database = PhaseNamed(body, "database");
        Assert.Equal("running", database.GetProperty("status").GetString());
        Assert.InRange(database.GetProperty("budgetShare").GetDouble(), 0.05, 1.0);
        var configuration = PhaseNamed(body, "configuration");
        Assert.False(configuration.GetProperty("slow").GetBoolean());
        Assert.Equal(JsonValueKind.Null, configuration.GetProperty("budgetShare").ValueKind);
        var warning = Assert.Single(logs.WithEventId(SlowEventId));
        Assert.StartsWith("phase database is slow: ", warning.Message, StringComparison.Ordinal);

        release.SetResult();
        await app.WaitForStartupAsync();
        var (endStatus, end, _, _) = await app.GetAsync("/health/startup");

        Assert.Equal(HttpStatusCode.OK, endStatus);
        Assert.Equal("completed", end.GetProperty("status").GetString());
        database = PhaseNamed(end, "database");
        Assert.Equal("succeeded", database.GetProperty("status").GetString());
        Assert.True(database.GetProperty("slow").GetBoolean());
        Assert.InRange(database.GetProperty("budgetShare").GetDouble(), 0.05, 1.0);
        Assert.False(PhaseNamed(end, "configuration").GetProperty("slow").GetBoolean());
        Assert.Single(logs.WithEventId(SlowEventId));
    }

    [Theory]
    [InlineData("Faultline:Startup:SlowShare", "1.5")]
    [InlineData("Faultline:Startup:SlowShare", "0")]
    [InlineData("Faultline:Startup:SlowShare", "NaN")]
    [InlineData("Faultline:Startup:Phases:database:SlowShare", "-0.2")]
    [InlineData(null, "2")]
    public async Task RunFaultlineAsync_SlowShareOutOfRange_ExitsThreeNamingTheKey(string? key, string value)
    {
        var termination = Path.Combine(Path.GetTempPath(), $"faultline-term-{Guid.NewGuid():N}");
        var settings = new Dictionary<string, string?> { ["Faultline:TerminationMessagePath"] = termination };
        if (key is not null)
        {
            settings[key] = value;
        }

        var (code, stderr) = await TestApp.RunToExitAsync(
            (f, _) => f.AddPhase("database", Ok, p =>
            {
                if (key is null)
                {
                    p.SlowShare(double.Parse(value, System.Globalization.CultureInfo.InvariantCulture));
                }
            }),
            settings);

        Assert.Equal(3, code);
        var named = key ?? "Faultline:Startup:Phases:database:SlowShare";
        Assert.Contains($"{named} must be greater than 0 and at most 1", stderr, StringComparison.Ordinal);
        Assert.Contains("phase 'options'", stderr, StringComparison.Ordinal);
        var json = JsonDocument.Parse(File.ReadAllText(termination)).RootElement;
        File.Delete(termination);
        Assert.Equal("configuration", json.GetProperty("layer").GetString());
        Assert.Equal("config-invalid", json.GetProperty("errorKind").GetString());
        Assert.Contains($"{named} must be greater than 0 and at most 1", json.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    /// <summary>The phases of <c>/health/startup</c> with detail, as the endpoint serializes them.</summary>
    private static List<JsonElement> Phases(StartupState state, TimeProvider time)
    {
        var text = JsonSerializer.Serialize(HealthViews.Startup(state.Snapshot, time.GetUtcNow()), HealthEndpoints.Json);
        return [.. JsonDocument.Parse(text).RootElement.GetProperty("phases").EnumerateArray().Select(p => p.Clone())];
    }

    private static JsonElement PhaseNamed(JsonElement body, string name) =>
        body.GetProperty("phases").EnumerateArray().Single(p => p.GetProperty("name").GetString() == name);

    /// <summary>Polls <c>/health/startup</c> until the database phase is slow (the phase waits for the test, so it cannot end first).</summary>
    private static async Task<(HttpStatusCode Status, JsonElement Body)> WaitForSlowAsync(TestApp app)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var (status, body, _, _) = await app.GetAsync("/health/startup");
            if (PhaseNamed(body, "database").GetProperty("slow").GetBoolean())
            {
                return (status, body);
            }

            await Task.Delay(25, timeout.Token);
        }
    }
}
