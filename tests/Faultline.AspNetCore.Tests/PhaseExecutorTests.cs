using System.Net.Sockets;
using Faultline.AspNetCore.Probing;
using Faultline.AspNetCore.Resilience;
using Faultline.AspNetCore.Startup;
using Faultline.Core.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Faultline.AspNetCore.Tests;

/// <summary>The phase pipeline on a <see cref="FakeTimeProvider"/>: backoff and timeouts measured in virtual time.</summary>
public sealed class PhaseExecutorTests
{
    private static (PhaseExecutor Executor, StartupState State, BreakerRegistry Breakers) Create(FakeTimeProvider time, FaultlineOptions? options = null)
    {
        var value = Microsoft.Extensions.Options.Options.Create(options ?? new FaultlineOptions());
        var environment = new HostingEnvironment { EnvironmentName = "Test" };
        var breakers = new BreakerRegistry(value, environment, time, NullLogger<BreakerRegistry>.Instance);
        var state = new StartupState();
        var services = new ServiceCollection().BuildServiceProvider();
        var executor = new PhaseExecutor(breakers, state, services, time, new SecretScrubber(), NullLoggerFactory.Instance);
        return (executor, state, breakers);
    }

    private static ResolvedPhase Phase(Func<PhaseContext, CancellationToken, Task> run, int attempts, TimeSpan attemptTimeout, TimeSpan budget, TimeSpan baseDelay, TimeSpan maxDelay, string breaker = "database") =>
        new(new PhaseDefinition("database", run, [], true, Layer.Database, breaker, PhaseTiming.Connection), true, attemptTimeout, attempts, budget, baseDelay, maxDelay);

    /// <summary>Advances virtual time in small steps until <paramref name="task"/> completes.</summary>
    private static async Task<T> DriveAsync<T>(FakeTimeProvider time, Task<T> task, TimeSpan step)
    {
        for (var i = 0; i < 100_000 && !task.IsCompleted; i++)
        {
            time.Advance(step);
            await Task.Delay(1);
        }

        return await task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task RunAsync_FailingAttempts_BackOffWithinBaseAndMaxDelay()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var options = new FaultlineOptions();
        options.Breakers["backoff"] = new BreakerOptions { FailureThreshold = 10 };
        var (executor, state, _) = Create(time, options);
        var starts = new List<DateTimeOffset>();
        var phase = Phase((_, _) =>
        {
            lock (starts)
            {
                starts.Add(time.GetUtcNow());
            }

            throw new SocketException((int)SocketError.ConnectionRefused);
        }, attempts: 4, TimeSpan.FromSeconds(20), TimeSpan.FromHours(1), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10), breaker: "backoff");
        state.Begin(FaultlineProfile.Test, time.GetUtcNow(), [new PhaseEntry { Name = "database", DependsOn = [], Critical = true }]);

        var outcome = await DriveAsync(time, executor.RunAsync(phase, CancellationToken.None), TimeSpan.FromMilliseconds(50));

        Assert.Equal(PhaseStatus.Failed, outcome.Status);
        Assert.Equal(4, starts.Count);
        var gaps = starts.Zip(starts.Skip(1), (a, b) => b - a).ToList();
        Assert.All(gaps, gap => Assert.InRange(gap, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(10.1)));
        Assert.Equal(ErrorKind.ConnectionRefused, outcome.Failure!.Kind);
        Assert.Equal(4, state.Snapshot.Phases.Single().Attempts);
    }

    [Fact]
    public async Task RunAsync_AttemptIgnoresNothing_TimeoutCancelsItsTokenAtTheAttemptTimeout()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var (executor, state, _) = Create(time);
        var cancelledAt = new List<TimeSpan>();
        var started = time.GetTimestamp();
        var phase = Phase(async (_, ct) =>
        {
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, time, ct);
            }
            catch (OperationCanceledException)
            {
                lock (cancelledAt)
                {
                    cancelledAt.Add(time.GetElapsedTime(started));
                }

                throw;
            }
        }, attempts: 1, TimeSpan.FromSeconds(15), TimeSpan.FromMinutes(5), TimeSpan.Zero, TimeSpan.Zero, breaker: "timeout");
        state.Begin(FaultlineProfile.Test, time.GetUtcNow(), [new PhaseEntry { Name = "database", DependsOn = [], Critical = true }]);

        var outcome = await DriveAsync(time, executor.RunAsync(phase, CancellationToken.None), TimeSpan.FromMilliseconds(250));

        var at = Assert.Single(cancelledAt);
        Assert.InRange(at, TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(15.5));
        Assert.Equal(ErrorKind.ConnectTimeout, outcome.Failure!.Kind);
        Assert.Contains("timeout of 15 s", outcome.Failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_BreakerOpen_LaterPhaseOnSameDependencyIsRejectedWithTheCause()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var (executor, state, breakers) = Create(time);
        var calls = 0;
        Task Refused(PhaseContext c, CancellationToken t)
        {
            Interlocked.Increment(ref calls);
            throw new SocketException((int)SocketError.ConnectionRefused);
        }

        state.Begin(FaultlineProfile.Test, time.GetUtcNow(), [new PhaseEntry { Name = "database", DependsOn = [], Critical = true }]);
        var first = await DriveAsync(time, executor.RunAsync(Phase(Refused, 3, TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(1), TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(200), breaker: "shared"), CancellationToken.None), TimeSpan.FromMilliseconds(50));
        Assert.Equal(3, calls);
        Assert.Equal("open", breakers.Get("shared").State);

        var second = await DriveAsync(time, executor.RunAsync(Phase(Refused, 1, TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(1), TimeSpan.Zero, TimeSpan.Zero, breaker: "shared"), CancellationToken.None), TimeSpan.FromMilliseconds(50));

        Assert.Equal(3, calls);
        Assert.Equal(ErrorKind.ConnectionRefused, first.Failure!.Kind);
        Assert.Equal(ErrorKind.ConnectionRefused, second.Failure!.Kind);
        Assert.Contains("circuit breaker 'shared' is open", second.Failure.Message, StringComparison.Ordinal);
    }
}
