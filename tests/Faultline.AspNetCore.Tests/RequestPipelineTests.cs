using System.Net;
using Faultline.AspNetCore.Resilience;
using Faultline.AspNetCore.Startup;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Running;
using Microsoft.Extensions.DependencyInjection;
using Polly;
using Polly.Registry;

namespace Faultline.AspNetCore.Tests;

/// <summary>
/// The request-path pipelines every <c>AddDependency</c> registers in Polly's registry: resolved by name,
/// guarded by the same breaker instance as the dependency's background check (in both directions),
/// timing calls out, counting only what the dependency's classifier calls its failures, retrying only
/// through the idempotent pipeline.
/// </summary>
public sealed class RequestPipelineTests
{
    private const string Name = "ledger";

    private static Task Ok(PhaseContext context, CancellationToken cancellationToken) => Task.CompletedTask;

    private static Task<TestApp> StartAsync(SwitchProbe probe, Dictionary<string, string?>? settings = null, Action<FaultlineBuilder>? configure = null)
    {
        var values = new Dictionary<string, string?>
        {
            // One background round at start, then none during the test: the test drives the breaker.
            ["Faultline:Health:Interval"] = "01:00:00",
            ["Faultline:Breakers:ledger:BreakDuration"] = "01:00:00",
        };
        foreach (var (key, value) in settings ?? [])
        {
            values[key] = value;
        }

        return TestApp.StartAsync(
            (f, _) =>
            {
                f.AddPhase("configuration", Ok).AddProbe(probe).AddDependency(new TargetSpec { Name = Name, Kind = SwitchProbe.KindName });
                configure?.Invoke(f);
            },
            values);
    }

    private static ResiliencePipelineProvider<string> Pipelines(TestApp app) => app.App.Services.GetRequiredService<ResiliencePipelineProvider<string>>();

    [Fact]
    public async Task RequestPath_FailuresOpenTheBreaker_HealthShowsItOpenAndLaterCallsFailFast()
    {
        var probe = new SwitchProbe { Fail = true };
        await using var app = await StartAsync(probe);
        await app.WaitForStartupAsync();
        await app.WaitForRoundsAsync(1);
        var pipeline = Pipelines(app).GetPipeline(Name);

        // The background check's failure counted once; two request-path failures reach the threshold of 3.
        for (var i = 0; i < 2; i++)
        {
            await Assert.ThrowsAsync<IOException>(async () => await pipeline.ExecuteAsync(_ => throw new IOException("connection reset by peer"), CancellationToken.None));
        }

        var calls = 0;
        var refused = await Assert.ThrowsAsync<DependencyUnavailableException>(async () =>
            await pipeline.ExecuteAsync(_ => { calls++; return ValueTask.CompletedTask; }, CancellationToken.None));

        Assert.Equal(0, calls);
        Assert.Equal(Name, refused.Dependency);
        Assert.Equal(DependencyUnavailableReason.CircuitOpen, refused.Reason);
        Assert.StartsWith("ledger is unavailable: its circuit breaker is open", refused.Message, StringComparison.Ordinal);
        var (_, body, _, _) = await app.GetAsync("/health/infrastructure");
        Assert.Equal("open", body.GetProperty("components").GetProperty(Name).GetProperty("breaker").GetString());
        Assert.Equal("open", body.GetProperty("breakers").GetProperty(Name).GetString());
    }

    [Fact]
    public async Task BackgroundChecksOpenTheBreaker_RequestPathIsRefusedWithoutCalling()
    {
        var probe = new SwitchProbe { Fail = true };
        await using var app = await StartAsync(probe, new() { ["Faultline:Health:Interval"] = "00:00:00.100" });
        await app.WaitForStartupAsync();
        await app.WaitForRoundsAsync(4);

        var calls = 0;
        var refused = await Assert.ThrowsAsync<DependencyUnavailableException>(async () =>
            await Pipelines(app).GetPipeline(FaultlinePipelines.Idempotent(Name)).ExecuteAsync(_ => { calls++; return ValueTask.CompletedTask; }, CancellationToken.None));

        Assert.Equal(0, calls);
        Assert.Equal(DependencyUnavailableReason.CircuitOpen, refused.Reason);
        Assert.True(refused.RetryAfter > TimeSpan.FromMinutes(50), $"retry after {refused.RetryAfter}");
    }

    [Fact]
    public async Task RequestPath_ApplicationErrors_AreNotCountedWhenTheClassifierSaysSo()
    {
        var probe = new SwitchProbe();
        await using var app = await StartAsync(probe, configure: f => f.ClassifyFailures(Name, ex => ex is IOException));
        await app.WaitForStartupAsync();
        var pipeline = Pipelines(app).GetPipeline(Name);

        for (var i = 0; i < 6; i++)
        {
            // A unique-key violation or a bad argument: the dependency answered; its breaker must not open.
            await Assert.ThrowsAsync<InvalidOperationException>(async () => await pipeline.ExecuteAsync(_ => throw new InvalidOperationException("duplicate key"), CancellationToken.None));
        }

        Assert.Equal(42, await pipeline.ExecuteAsync(_ => ValueTask.FromResult(42), CancellationToken.None));
        var (_, body, _, _) = await app.GetAsync("/health/infrastructure");
        Assert.Equal("closed", body.GetProperty("breakers").GetProperty(Name).GetString());
    }

    [Fact]
    public async Task RequestPath_SlowCall_TimesOutAtTheConfiguredTimeoutAndCounts()
    {
        var probe = new SwitchProbe();
        await using var app = await StartAsync(probe, new()
        {
            ["Faultline:Requests:ledger:Timeout"] = "00:00:00.100",
            ["Faultline:Breakers:ledger:SamplingDuration"] = "00:00:00.500",
        });
        await app.WaitForStartupAsync();
        await app.WaitForRoundsAsync(1);
        await Task.Delay(TimeSpan.FromMilliseconds(700)); // the start's successful check leaves the sampling window
        var pipeline = Pipelines(app).GetPipeline(Name);

        var timedOut = new List<DependencyUnavailableException>();
        for (var i = 0; i < 3; i++)
        {
            timedOut.Add(await Assert.ThrowsAsync<DependencyUnavailableException>(async () =>
                await pipeline.ExecuteAsync(async token => await Task.Delay(TimeSpan.FromSeconds(30), token), CancellationToken.None)));
        }

        Assert.All(timedOut, e =>
        {
            Assert.Equal(DependencyUnavailableReason.TimedOut, e.Reason);
            Assert.Equal(TimeSpan.FromMilliseconds(100), e.Timeout);
            Assert.Equal("ledger did not answer within 100 ms", e.Message);
        });
        var refused = await Assert.ThrowsAsync<DependencyUnavailableException>(async () => await pipeline.ExecuteAsync(_ => ValueTask.CompletedTask, CancellationToken.None));
        Assert.Equal(DependencyUnavailableReason.CircuitOpen, refused.Reason);
    }

    [Fact]
    public async Task RequestPath_CallerCancels_NotCountedAndNotTranslated()
    {
        var probe = new SwitchProbe();
        await using var app = await StartAsync(probe, new() { ["Faultline:Breakers:ledger:FailureThreshold"] = "2" });
        await app.WaitForStartupAsync();
        var pipeline = Pipelines(app).GetPipeline(Name);

        for (var i = 0; i < 4; i++)
        {
            using var caller = new CancellationTokenSource(TimeSpan.FromMilliseconds(20));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pipeline.ExecuteAsync(async token => await Task.Delay(TimeSpan.FromSeconds(30), token), caller.Token));
        }

        var (_, body, _, _) = await app.GetAsync("/health/infrastructure");
        Assert.Equal("closed", body.GetProperty("breakers").GetProperty(Name).GetString());
    }

    [Fact]
    public async Task Idempotent_RetriesATransientFailure_PlainPipelineDoesNot()
    {
        var probe = new SwitchProbe();
        await using var app = await StartAsync(probe);
        await app.WaitForStartupAsync();
        var provider = Pipelines(app);

        var idempotentCalls = 0;
        var value = await provider.GetPipeline(FaultlinePipelines.Idempotent(Name)).ExecuteAsync(
            _ => ++idempotentCalls == 1 ? throw new IOException("connection reset") : ValueTask.FromResult("read"),
            CancellationToken.None);
        var plainCalls = 0;
        await Assert.ThrowsAsync<IOException>(async () => await provider.GetPipeline(Name).ExecuteAsync(
            _ => ++plainCalls == 1 ? throw new IOException("connection reset") : ValueTask.FromResult("written"),
            CancellationToken.None));

        Assert.Equal("read", value);
        Assert.Equal(2, idempotentCalls);
        Assert.Equal(1, plainCalls);
    }

    [Fact]
    public async Task Idempotent_RetriesZero_TriesOnce()
    {
        var probe = new SwitchProbe();
        await using var app = await StartAsync(probe, new() { ["Faultline:Requests:ledger:Retries"] = "0" });
        await app.WaitForStartupAsync();

        var calls = 0;
        await Assert.ThrowsAsync<IOException>(async () => await Pipelines(app).GetPipeline(FaultlinePipelines.Idempotent(Name)).ExecuteAsync(
            _ => { calls++; throw new IOException("connection reset"); },
            CancellationToken.None));

        Assert.Equal(1, calls);
    }

    [Theory]
    [InlineData(false, 0)]
    [InlineData(true, 1)]
    public async Task PollyTelemetry_OffByDefault_OnWhenConfigured(bool enabled, int expectedExecutions)
    {
        var probe = new SwitchProbe();
        await using var app = await StartAsync(probe, new() { ["Faultline:PollyTelemetry"] = enabled ? "true" : "false" });
        await app.WaitForStartupAsync();
        var executions = 0;
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Polly" && instrument.Name == "resilience.polly.pipeline.duration")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "pipeline.name" && Equals(tag.Value, Name))
                {
                    Interlocked.Increment(ref executions);
                }
            }
        });
        listener.Start();

        await Pipelines(app).GetPipeline(Name).ExecuteAsync(_ => ValueTask.CompletedTask, CancellationToken.None);

        Assert.Equal(expectedExecutions, Volatile.Read(ref executions));
    }

    [Theory]
    [InlineData("Faultline:Requests:nosuch:Timeout", "00:00:01", "Faultline:Requests:nosuch names no dependency (added with AddDependency: ledger)")]
    [InlineData("Faultline:Requests:ledger:Timeout", "00:00:00", "Faultline:Requests:ledger:Timeout must be between 1 ms and 10 minutes")]
    [InlineData("Faultline:Requests:ledger:Retries", "11", "Faultline:Requests:ledger:Retries must be between 0 and 10")]
    [InlineData("Faultline:Requests:ledger:Attempts", "2", "Attempts")]
    public async Task Configuration_BadRequestsKey_FailsTheStartNamingIt(string key, string value, string expected)
    {
        var probe = new SwitchProbe();
        var (code, stderr) = await TestApp.RunToExitAsync(
            (f, _) => f.AddPhase("configuration", Ok).AddProbe(probe).AddDependency(new TargetSpec { Name = Name, Kind = SwitchProbe.KindName }),
            new Dictionary<string, string?> { [key] = value });

        Assert.Equal(FaultlineExitCodes.StartupFailed, code);
        Assert.True(stderr.Contains(expected, StringComparison.Ordinal), $"expected '{expected}' in: {stderr}");
    }

    [Theory]
    [InlineData(FaultlineProfile.Production, Layer.Database, 10_000)]
    [InlineData(FaultlineProfile.Production, Layer.Cache, 1_000)]
    [InlineData(FaultlineProfile.Staging, Layer.Application, 10_000)]
    [InlineData(FaultlineProfile.Test, Layer.Database, 5_000)]
    [InlineData(FaultlineProfile.Test, Layer.Cache, 500)]
    [InlineData(FaultlineProfile.Lab, Layer.Database, 2_000)]
    [InlineData(FaultlineProfile.Lab, Layer.Cache, 500)]
    [InlineData(FaultlineProfile.Development, Layer.Cache, 1_000)]
    public void RequestTimeout_ByProfileAndLayer_AsDocumented(FaultlineProfile profile, Layer layer, int milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), ProfileDefaults.RequestTimeout(profile, layer));

    [Theory]
    [InlineData("cache", TargetKinds.Http, Layer.Cache)]
    [InlineData("Database", TargetKinds.Http, Layer.Database)]
    [InlineData("default", TargetKinds.Redis, Layer.Cache)]
    [InlineData("default", TargetKinds.Postgres, Layer.Database)]
    [InlineData("default", TargetKinds.Http, Layer.Application)]
    public void RequestTimeoutLayer_CategoryFirstThenKind(string category, string kind, Layer expected) =>
        Assert.Equal(expected, DependencyPipelines.LayerOf(new TargetSpec { Name = "x", Kind = kind, Category = category }));

    /// <summary>A probe for the test's dependency: fails (connection refused) while <see cref="Fail"/> is set.</summary>
    private sealed class SwitchProbe : IProbe
    {
        public const string KindName = "switch";

        public bool Fail { get; init; }

        public string Kind => KindName;

        public Task<Observation> ProbeAsync(TargetSpec target, ProbeContext context, CancellationToken cancellationToken) =>
            Task.FromResult(Fail
                ? new Observation { Target = target.Name, Error = new ProbeError(ErrorKind.ConnectionRefused, $"nothing listening for {target.Name} (connection refused)") }
                : new Observation { Target = target.Name, Connected = true });
    }
}
