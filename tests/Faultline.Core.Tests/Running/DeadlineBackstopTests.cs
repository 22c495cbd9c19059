using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Running;
using Microsoft.Extensions.Time.Testing;

namespace Faultline.Core.Tests.Running;

/// <summary>
/// The runner's backstop: a probe gets its deadline plus up to two graces (here 1 s each, for a 5 s
/// deadline) to report its typed timeout; only a probe that ignores its deadline longer ends as a plain
/// <c>timeout</c>. Driven by fake time, so the figures are exact.
/// </summary>
public class DeadlineBackstopTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);

    /// <summary>Ignores its token; reports a typed read-timeout once <paramref name="reportAfter"/> of (fake) time has passed, or never.</summary>
    private sealed class LateProbe(TimeProvider time, TimeSpan? reportAfter) : IProbe
    {
        public string Kind => TargetKinds.Tcp;

        public async Task<Observation> ProbeAsync(TargetSpec target, ProbeContext context, CancellationToken cancellationToken)
        {
            if (reportAfter is not { } after)
            {
                await new TaskCompletionSource().Task.ConfigureAwait(false);
            }
            else
            {
                await Task.Delay(after, time, CancellationToken.None).ConfigureAwait(false);
            }

            return new Observation
            {
                Target = "127.0.0.1:1",
                Connected = true,
                Elapsed = reportAfter ?? TimeSpan.Zero,
                Error = new ProbeError(ErrorKind.ReadTimeout, "connected to 127.0.0.1:1, no answer within 5 s") { Phase = "request" },
            };
        }
    }

    private sealed class NoResolver : IHostResolver
    {
        public string Name => "none";

        public Task<IReadOnlyList<System.Net.IPAddress>> ResolveAsync(string host, CancellationToken cancellationToken) => throw new NotSupportedException();
    }

    private static async Task<(TargetResult Result, TimeSpan Advanced)> RunAsync(TimeSpan? reportAfter)
    {
        var time = new FakeTimeProvider();
        var runner = new CheckRunner([new LateProbe(time, reportAfter)], _ => new NoResolver(), time);
        var target = new TargetSpec { Name = "late", Kind = TargetKinds.Tcp, Host = "127.0.0.1", Port = 1, Timeout = Deadline };
        var running = runner.RunAsync(new FaultlineConfig { Targets = [target] });
        var advanced = TimeSpan.Zero;
        var step = TimeSpan.FromMilliseconds(50);
        while (!running.IsCompleted && advanced < TimeSpan.FromSeconds(30))
        {
            // Let the runner's continuations register their timers before time moves on.
            await Task.Delay(5);
            time.Advance(step);
            advanced += step;
        }

        var report = await running.WaitAsync(TimeSpan.FromSeconds(10));
        return (report.Results.Single(), advanced);
    }

    [Fact]
    public async Task RunAsync_ProbeReportsBetweenTheTwoGraces_TypedErrorKept()
    {
        var (result, _) = await RunAsync(Deadline + TimeSpan.FromMilliseconds(1600));

        Assert.Equal("read-timeout", result.Error?.Kind);
    }

    [Fact]
    public async Task RunAsync_ProbeIgnoresItsDeadline_PlainTimeoutAfterTwoGraces()
    {
        var (result, advanced) = await RunAsync(reportAfter: null);

        Assert.Equal("timeout", result.Error?.Kind);
        Assert.InRange(advanced, Deadline + TimeSpan.FromSeconds(2), Deadline + TimeSpan.FromSeconds(2.5));
    }
}
