using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Validation;
using Microsoft.Extensions.Time.Testing;
using static Faultline.Core.Tests.Validation.ValidationSamples;

namespace Faultline.Core.Tests.Validation;

public sealed class ValidationRunnerTests
{
    private static readonly FaultlineConfig Config = new() { Targets = [new TargetSpec { Name = "db", Kind = "tcp" }] };

    private sealed class Lines : IProgress<string>
    {
        public List<string> All { get; } = [];

        public void Report(string value)
        {
            lock (All)
            {
                All.Add(value);
            }
        }
    }

    [Fact]
    public async Task RunAsync_ThreeRuns_WaitsTheIntervalBetweenRunsAndReportsEach()
    {
        var time = new FakeTimeProvider(Start);
        var calls = 0;
        var runner = new ValidationRunner((_, _) =>
        {
            calls++;
            return Task.FromResult(calls == 2 ? Report(Fail("db"), Pass("dns")) : Report(Pass("db"), Pass("dns")));
        }, time);
        var progress = new Lines();

        var task = runner.RunAsync(Config, 3, TimeSpan.FromSeconds(5), progress);

        Assert.Equal(1, calls);
        time.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal(1, calls);
        time.Advance(TimeSpan.FromSeconds(1));
        await WaitForAsync(() => calls == 2);

        // Drive the fake clock a second at a time until the last run is done: it needs the full second interval.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!task.IsCompleted)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(5, timeout.Token);
        }

        var reports = await task;

        Assert.Equal(3, reports.Count);
        Assert.True(time.GetUtcNow() - Start >= TimeSpan.FromSeconds(10), $"finished after {time.GetUtcNow() - Start} of fake time");
        Assert.Equal(["run 1/3: 2 passed, 0 failed in 12 ms", "run 2/3: 1 passed, 1 failed in 12 ms", "run 3/3: 2 passed, 0 failed in 12 ms"], progress.All);
    }

    [Fact]
    public async Task RunAsync_CancelledDuringTheInterval_ThrowsAndStopsRunning()
    {
        var time = new FakeTimeProvider(Start);
        var calls = 0;
        var runner = new ValidationRunner((_, _) => { calls++; return Task.FromResult(Report(Pass("db"))); }, time);
        using var cts = new CancellationTokenSource();

        var task = runner.RunAsync(Config, 3, TimeSpan.FromSeconds(5), null, cts.Token);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task ValidateAsync_WithConfigValidation_EvaluatesEveryRun()
    {
        var config = Config with { Validation = new ValidationSpec { MinPassRate = 1.0 } };
        var calls = 0;
        var runner = new ValidationRunner((_, _) => Task.FromResult(++calls == 1 ? Report(Fail("db")) : Report(Pass("db"))), TimeProvider.System);

        var v = await runner.ValidateAsync(config, 2, TimeSpan.Zero);

        Assert.Equal(2, v.Runs);
        Assert.Equal(TargetOutcome.Flaky, v.Targets.Single().Outcome);
        Assert.Equal(ValidationVerdict.Fail, v.Verdict);
    }

    [Fact]
    public async Task RunAsync_ZeroRuns_Throws()
    {
        var runner = new ValidationRunner((_, _) => Task.FromResult(Report()), TimeProvider.System);

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => runner.RunAsync(Config, 0, TimeSpan.Zero));
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }
}
