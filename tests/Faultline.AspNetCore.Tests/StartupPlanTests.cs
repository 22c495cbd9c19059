using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Faultline.AspNetCore.Startup;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.TestSupport;
using Microsoft.AspNetCore.Builder;

namespace Faultline.AspNetCore.Tests;

public sealed class StartupPlanTests
{
    private static Task Ok(PhaseContext context, CancellationToken cancellationToken) => Task.Delay(20, cancellationToken);

    [Fact]
    public async Task RunFaultlineAsync_DependentPhases_StartAfterTheirDependenciesEnd()
    {
        await using var app = await TestApp.StartAsync((f, _) => f
            .AddPhase("finalize", Ok, p => p.DependsOn("services", "cache"))
            .AddPhase("configuration", Ok)
            .AddPhase("database", Ok, p => p.DependsOn("configuration"))
            .AddPhase("cache", Ok, p => p.DependsOn("database"))
            .AddPhase("services", Ok, p => p.DependsOn("database")));
        await app.WaitForStartupAsync();

        var phases = app.Startup.Snapshot.Phases.ToDictionary(p => p.Name);
        Assert.All(phases.Values, p => Assert.Equal(PhaseStatus.Succeeded, p.Status));
        foreach (var phase in phases.Values)
        {
            foreach (var dependency in phase.DependsOn)
            {
                Assert.True(phases[dependency].EndedAt <= phase.StartedAt, $"{phase.Name} started before {dependency} ended");
            }
        }

        Assert.Equal(StartupStatus.Completed, app.Startup.Snapshot.Status);
    }

    [Fact]
    public async Task RunFaultlineAsync_IndependentPhases_Overlap()
    {
        // Each phase waits until the other has started: the plan completes only if they run concurrently.
        var aStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var bStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = await TestApp.StartAsync((f, _) => f
            .AddPhase("a", async (_, ct) =>
            {
                aStarted.TrySetResult();
                await bStarted.Task.WaitAsync(ct);
                await Task.Delay(50, ct);
            }, p => p.AttemptTimeout(TimeSpan.FromSeconds(20)))
            .AddPhase("b", async (_, ct) =>
            {
                bStarted.TrySetResult();
                await aStarted.Task.WaitAsync(ct);
                await Task.Delay(50, ct);
            }, p => p.AttemptTimeout(TimeSpan.FromSeconds(20))));
        await app.WaitForStartupAsync();

        var snapshot = app.Startup.Snapshot;
        Assert.Equal(StartupStatus.Completed, snapshot.Status);
        var a = snapshot.Phases.Single(p => p.Name == "a");
        var b = snapshot.Phases.Single(p => p.Name == "b");
        Assert.True(a.StartedAt < b.EndedAt && b.StartedAt < a.EndedAt, "the timeline shows the two independent phases overlapping");
    }

    [Theory]
    [InlineData("cycle", "startup phases form a cycle")]
    [InlineData("unknown", "depends on 'databse', which is not a phase")]
    [InlineData("duplicate", "startup phase 'database' is declared more than once")]
    public async Task RunFaultlineAsync_InvalidPhaseGraph_ExitsThreeWithConfigurationLayer(string shape, string expected)
    {
        var termination = Path.Combine(Path.GetTempPath(), $"faultline-term-{Guid.NewGuid():N}");
        var ran = false;
        Task Run(PhaseContext c, CancellationToken t)
        {
            ran = true;
            return Task.CompletedTask;
        }

        var (code, stderr) = await TestApp.RunToExitAsync(
            (f, _) =>
            {
                switch (shape)
                {
                    case "cycle":
                        f.AddPhase("database", Run, p => p.DependsOn("cache")).AddPhase("cache", Run, p => p.DependsOn("services")).AddPhase("services", Run, p => p.DependsOn("database"));
                        break;
                    case "unknown":
                        f.AddPhase("database", Run).AddPhase("cache", Run, p => p.DependsOn("databse"));
                        break;
                    default:
                        f.AddPhase("database", Run).AddPhase("database", Run);
                        break;
                }
            },
            new Dictionary<string, string?> { ["Faultline:TerminationMessagePath"] = termination });

        Assert.Equal(3, code);
        Assert.False(ran);
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
        Assert.Contains("layer configuration", stderr, StringComparison.Ordinal);
        var json = JsonDocument.Parse(File.ReadAllText(termination)).RootElement;
        Assert.Equal("configuration", json.GetProperty("layer").GetString());
        Assert.Equal("application", json.GetProperty("side").GetString());
        Assert.Equal("config-invalid", json.GetProperty("errorKind").GetString());
        File.Delete(termination);
    }

    [Fact]
    public async Task RunFaultlineAsync_PhaseFailsTwiceThenSucceeds_RetriesAndRecordsAttempts()
    {
        var calls = 0;
        await using var app = await TestApp.StartAsync((f, _) => f.AddPhase("database", (_, _) =>
        {
            if (Interlocked.Increment(ref calls) < 3)
            {
                throw new SocketException((int)SocketError.ConnectionRefused);
            }

            return Task.CompletedTask;
        }, p => p.Timing(PhaseTiming.Connection).Layer(Layer.Database).Attempts(3).Backoff(TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(50))));
        await app.WaitForStartupAsync();

        var phase = app.Startup.Snapshot.Phases.Single();
        Assert.Equal(PhaseStatus.Succeeded, phase.Status);
        Assert.Equal(3, phase.Attempts);
        Assert.Equal(3, calls);
    }

    [Fact]
    public async Task RunFaultlineAsync_AttemptTimesOut_AttemptIsCancelledAndAwaitedBeforeTheNext()
    {
        var running = 0;
        var maxRunning = 0;
        var cancelled = 0;
        await using var app = await TestApp.StartAsync((f, _) => f.AddPhase("database", async (_, ct) =>
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref maxRunning, now);
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                // Simulate cleanup that takes a moment: the next attempt must not start before it is done.
                await Task.Delay(50, CancellationToken.None);
                Interlocked.Increment(ref cancelled);
                throw;
            }
            finally
            {
                Interlocked.Decrement(ref running);
            }
        }, p => p.Optional().Timing(PhaseTiming.Connection).Layer(Layer.Database).Attempts(3)
            .AttemptTimeout(TimeSpan.FromMilliseconds(150)).Budget(TimeSpan.FromSeconds(20)).Backoff(TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(20))));
        await app.WaitForStartupAsync();

        var phase = app.Startup.Snapshot.Phases.Single();
        Assert.Equal(PhaseStatus.Failed, phase.Status);
        Assert.Equal(3, phase.Attempts);
        Assert.Equal(3, Volatile.Read(ref cancelled));
        Assert.Equal(1, Volatile.Read(ref maxRunning));
        Assert.Equal(0, Volatile.Read(ref running));
        Assert.Equal(ErrorKind.ConnectTimeout, phase.Failure!.Kind);
        Assert.Equal(Layer.Database, phase.Failure.Layer);
        Assert.Equal(Side.Infrastructure, phase.Failure.Side);
        Assert.Equal(StartupStatus.Degraded, app.Startup.Snapshot.Status);
    }

    [Fact]
    public async Task RunFaultlineAsync_BudgetShorterThanAttempts_StopsAtTheBudget()
    {
        await using var app = await TestApp.StartAsync((f, _) => f.AddPhase("cache", (_, ct) => Task.Delay(Timeout.Infinite, ct),
            p => p.Optional().Layer(Layer.Cache).Attempts(5).AttemptTimeout(TimeSpan.FromSeconds(10)).Budget(TimeSpan.FromMilliseconds(300))));
        await app.WaitForStartupAsync();

        var phase = app.Startup.Snapshot.Phases.Single();
        Assert.Equal(PhaseStatus.Failed, phase.Status);
        Assert.Equal(1, phase.Attempts);
        Assert.Contains("budget", phase.Failure!.Message, StringComparison.Ordinal);
        Assert.True(phase.DurationMs < 8_000, $"the phase ended at its 300 ms budget, not after the 10 s attempt timeout ({phase.DurationMs} ms)");
    }

    [Fact]
    public async Task RunFaultlineAsync_BreakerOpensAfterFailures_StateShowsInInfrastructure()
    {
        var calls = 0;
        await using var app = await TestApp.StartAsync(
            (f, _) => f.AddPhase("database", (_, _) =>
            {
                Interlocked.Increment(ref calls);
                throw new SocketException((int)SocketError.ConnectionRefused);
            }, p => p.Optional().Layer(Layer.Database).Breaker("postgres-main").Attempts(4).Backoff(TimeSpan.FromMilliseconds(5), TimeSpan.FromMilliseconds(10)).Budget(TimeSpan.FromSeconds(2))),
            new Dictionary<string, string?>
            {
                ["Faultline:Breakers:postgres-main:FailureThreshold"] = "2",
                ["Faultline:Breakers:postgres-main:BreakDuration"] = "01:00:00",
            });
        await app.WaitForStartupAsync();

        Assert.Equal(2, calls);
        var phase = app.Startup.Snapshot.Phases.Single();
        Assert.Equal(PhaseStatus.Failed, phase.Status);
        Assert.Equal(ErrorKind.ConnectionRefused, phase.Failure!.Kind);
        Assert.Contains("circuit breaker 'postgres-main' is open", phase.Failure.Message, StringComparison.Ordinal);

        var (status, body, _, _) = await app.GetAsync("/health/infrastructure");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("degraded", body.GetProperty("status").GetString());
        Assert.Equal("open", body.GetProperty("breakers").GetProperty("postgres-main").GetString());
    }

    [Fact]
    public async Task RunFaultlineAsync_OptionalPhaseFails_ServiceRunsDegraded()
    {
        await using var app = await TestApp.StartAsync((f, _) => f
            .AddPhase("database", Ok)
            .AddPhase("cache", (_, _) => throw new SocketException((int)SocketError.ConnectionRefused), p => p.DependsOn("database").Optional().Layer(Layer.Cache).Attempts(1))
            .AddPhase("services", Ok, p => p.DependsOn("cache")));
        await app.WaitForStartupAsync();

        Assert.Equal(StartupStatus.Degraded, app.Startup.Snapshot.Status);
        Assert.Equal(PhaseStatus.Succeeded, app.Startup.Snapshot.Phases.Single(p => p.Name == "services").Status);
        var (startupCode, startup, _, _) = await app.GetAsync("/health/startup");
        Assert.Equal(HttpStatusCode.OK, startupCode);
        Assert.Equal("degraded", startup.GetProperty("status").GetString());
        var cache = startup.GetProperty("phases").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "cache");
        Assert.Equal("cache", cache.GetProperty("layer").GetString());
        Assert.Equal("connection-refused", cache.GetProperty("errorKind").GetString());
        var (helloCode, _, _, _) = await app.GetAsync("/api/hello");
        Assert.Equal(HttpStatusCode.OK, helloCode);
        Assert.False(app.Run.IsCompleted);
    }

    [Fact]
    public async Task RunFaultlineAsync_CriticalPhaseFails_ReturnsThreeWithStderrAndTerminationLine()
    {
        const string password = "Sup3r-S3cret-Pw-41";
        var port = TestServers.ClosedPort();
        var termination = Path.Combine(Path.GetTempPath(), $"faultline-term-{Guid.NewGuid():N}");
        var target = new TargetSpec
        {
            Name = "postgres",
            Kind = TargetKinds.Postgres,
            ConnectionString = $"Host=127.0.0.1;Port={port};Username=app;Password={password};Database=app;SSL Mode=Disable",
        };
        var later = false;
        var (code, stderr) = await TestApp.RunToExitAsync(
            (f, _) => f
                .AddProbe(Faultline.Probes.Postgres.PostgresProbes.Create())
                .AddPhase("configuration", Ok)
                .AddPhase("database", (c, ct) => c.RequireAsync(target, ct), p => p.DependsOn("configuration").Timing(PhaseTiming.Connection).Layer(Layer.Database).Attempts(2).Backoff(TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(20)))
                .AddPhase("services", (_, _) =>
                {
                    later = true;
                    return Task.CompletedTask;
                }, p => p.DependsOn("database")),
            new Dictionary<string, string?> { ["Faultline:TerminationMessagePath"] = termination, ["Faultline:Profile"] = "Lab" });

        Assert.Equal(3, code);
        Assert.False(later);
        Assert.Contains("phase 'database'", stderr, StringComparison.Ordinal);
        Assert.Contains("layer database", stderr, StringComparison.Ordinal);
        Assert.Contains("connection-refused", stderr, StringComparison.Ordinal);
        Assert.Contains("2 attempts", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(password, stderr, StringComparison.Ordinal);

        var text = File.ReadAllText(termination);
        File.Delete(termination);
        Assert.Single(text.TrimEnd('\n').Split('\n'));
        Assert.DoesNotContain(password, text, StringComparison.Ordinal);
        var json = JsonDocument.Parse(text).RootElement;
        Assert.Equal("database", json.GetProperty("phase").GetString());
        Assert.Equal("database", json.GetProperty("layer").GetString());
        Assert.Equal("infrastructure", json.GetProperty("side").GetString());
        Assert.Equal("connection-refused", json.GetProperty("errorKind").GetString());
        Assert.Equal(2, json.GetProperty("attempts").GetInt32());
        Assert.True(json.GetProperty("elapsedMs").GetDouble() > 0);
        Assert.Contains($"127.0.0.1:{port}", json.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(["phase", "layer", "side", "errorKind", "message", "attempts", "elapsedMs"], json.EnumerateObject().Select(p => p.Name).ToArray());
    }

    [Fact]
    public async Task RunFaultlineAsync_RequiredSecretMissing_ExitsThreeWithConfigurationLayerOnTheInfrastructureSide()
    {
        var termination = Path.Combine(Path.GetTempPath(), $"faultline-term-{Guid.NewGuid():N}");
        var (code, stderr) = await TestApp.RunToExitAsync(
            (f, _) => f.AddPhase("configuration", (c, _) =>
            {
                c.RequireSecrets("Jwt:Secret", "ConnectionStrings:Postgres");
                return Task.CompletedTask;
            }),
            new Dictionary<string, string?> { ["Faultline:TerminationMessagePath"] = termination, ["ConnectionStrings:Postgres"] = "Host=db;Password=present-value" });

        Assert.Equal(3, code);
        Assert.Contains("secret-missing", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("present-value", stderr, StringComparison.Ordinal);
        var json = JsonDocument.Parse(File.ReadAllText(termination)).RootElement;
        File.Delete(termination);
        Assert.Equal("configuration", json.GetProperty("layer").GetString());
        Assert.Equal("infrastructure", json.GetProperty("side").GetString());
        Assert.Equal("secret-missing", json.GetProperty("errorKind").GetString());
        Assert.Contains("Jwt:Secret", json.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("ConnectionStrings:Postgres", json.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Faultline:Health:Interval", "not-a-duration")]
    [InlineData("Faultline:Startup:Phases:databse:Attempts", "2")]
    [InlineData("Faultline:Startup:Phases:database:Attempts", "0")]
    [InlineData("Faultline:Profile", "Moon")]
    [InlineData("Faultline:Healthh:Interval", "00:00:05")]
    public async Task RunFaultlineAsync_InvalidOptions_ExitsThreeWithoutUnhandledException(string key, string value)
    {
        var termination = Path.Combine(Path.GetTempPath(), $"faultline-term-{Guid.NewGuid():N}");
        var (code, stderr) = await TestApp.RunToExitAsync(
            (f, _) => f.AddPhase("database", Ok),
            new Dictionary<string, string?> { [key] = value, ["Faultline:TerminationMessagePath"] = termination });

        Assert.Equal(3, code);
        Assert.Contains("phase 'options'", stderr, StringComparison.Ordinal);
        Assert.Contains("layer configuration", stderr, StringComparison.Ordinal);
        var json = JsonDocument.Parse(File.ReadAllText(termination)).RootElement;
        File.Delete(termination);
        Assert.Equal("configuration", json.GetProperty("layer").GetString());
        Assert.Equal("application", json.GetProperty("side").GetString());
        Assert.Equal("config-invalid", json.GetProperty("errorKind").GetString());
    }

    [Fact]
    public async Task RunFaultlineAsync_HostStopped_ReturnsZero()
    {
        await using var app = await TestApp.StartAsync((f, _) => f.AddPhase("configuration", Ok));
        await app.WaitForStartupAsync();
        app.App.Lifetime.StopApplication();
        Assert.Equal(0, await app.Run.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
