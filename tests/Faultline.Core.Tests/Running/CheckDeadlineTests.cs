using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Reporting;
using Faultline.Core.Running;
using Microsoft.Extensions.Time.Testing;

namespace Faultline.Core.Tests.Running;

/// <summary>
/// The run's own deadline (<c>defaults.checkDeadline</c>) bounds the wait for a probe slot: hung targets
/// that hold every slot cannot stretch a check without end. A target still waiting when it passes is
/// <c>not-started</c> — never probed, never a root cause; a target that started keeps its own deadline
/// whatever happened before it. Driven by fake time, so the figures are exact.
/// </summary>
public class CheckDeadlineTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    /// <summary>Hangs until its deadline, then reports a typed read timeout; counts how many run at once and when each started.</summary>
    private sealed class HungProbe(TimeProvider time) : IProbe
    {
        private readonly Lock _gate = new();

        public string Kind => TargetKinds.Tcp;

        public Dictionary<string, TimeSpan> StartedAt { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, TimeSpan> EndedAt { get; } = new(StringComparer.Ordinal);

        public DateTimeOffset Origin { get; } = time.GetUtcNow();

        public async Task<Observation> ProbeAsync(TargetSpec target, ProbeContext context, CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                StartedAt[target.Name] = time.GetUtcNow() - Origin;
            }

            try
            {
                await Task.Delay(System.Threading.Timeout.InfiniteTimeSpan, time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }

            lock (_gate)
            {
                EndedAt[target.Name] = time.GetUtcNow() - Origin;
            }

            return new Observation
            {
                Target = $"{target.Host}:{target.Port}",
                Connected = true,
                Elapsed = context.Timeout,
                Error = new ProbeError(ErrorKind.ReadTimeout, $"connected to {target.Host}:{target.Port}, no answer within 5 s") { Phase = "request" },
            };
        }
    }

    private sealed class NoResolver : IHostResolver
    {
        public string Name => "none";

        public Task<IReadOnlyList<System.Net.IPAddress>> ResolveAsync(string host, CancellationToken cancellationToken) => throw new NotSupportedException();
    }

    private static async Task<(Report Report, HungProbe Probe, TimeSpan Advanced)> RunAsync(int targets, int concurrency, TimeSpan checkDeadline)
    {
        var time = new FakeTimeProvider();
        var probe = new HungProbe(time);
        var runner = new CheckRunner([probe], _ => new NoResolver(), time);
        var config = new FaultlineConfig
        {
            Defaults = new DefaultsSpec { Concurrency = concurrency, CheckDeadline = checkDeadline, Timeout = Timeout },
            Targets = [.. Enumerable.Range(1, targets).Select(i => new TargetSpec { Name = $"hung-{i}", Kind = TargetKinds.Tcp, Host = "127.0.0.1", Port = 1000 + i })],
        };
        var running = runner.RunAsync(config);
        var advanced = TimeSpan.Zero;
        var step = TimeSpan.FromMilliseconds(50);
        while (!running.IsCompleted && advanced < TimeSpan.FromMinutes(2))
        {
            // Let the runner's continuations register their timers before time moves on.
            await Task.Delay(5);
            time.Advance(step);
            advanced += step;
        }

        var report = await running.WaitAsync(TimeSpan.FromSeconds(10));
        return (report, probe, advanced);
    }

    [Fact]
    public async Task RunAsync_HungTargetsHoldEverySlot_TheRestAreNotStartedAtTheCheckDeadline()
    {
        var (report, probe, _) = await RunAsync(targets: 6, concurrency: 2, checkDeadline: TimeSpan.FromSeconds(3));

        // Two got a slot at once and ran to their own 5 s deadline; four waited and were never probed.
        Assert.Equal(["hung-1", "hung-2"], probe.StartedAt.Keys.Order());
        var notStarted = report.Results.Where(r => r.Error?.Kind == "not-started").Select(r => r.Name).ToList();
        Assert.Equal(["hung-3", "hung-4", "hung-5", "hung-6"], notStarted);
        Assert.All(report.Results.Where(r => r.Error?.Kind == "not-started"), r =>
        {
            Assert.Equal(ResultStatus.Fail, r.Status);
            Assert.Null(r.Cause);
            Assert.Contains("check's deadline of 3 s", r.Error!.Message, StringComparison.Ordinal);
        });

        // Never a root cause: the roots are the two hung targets; the verdict counts the others apart.
        Assert.Equal(["hung-1", "hung-2"], report.Summary.Roots.Select(r => r.Target));
        Assert.Equal(4, report.Summary.NotStarted);
        Assert.Equal("hung-1", report.Summary.Primary?.Target);
        using var table = new StringWriter();
        ReportWriters.Create("table").Write(report, table);
        Assert.Contains("4 not started (the check's deadline passed first)", table.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_ATargetThatStartsLate_KeepsItsWholeOwnDeadline()
    {
        // One slot, a deadline long enough for two turns: the second target starts when the first ends at 5 s
        // and still gets its full 5 s; the third is still waiting when the 8 s check deadline passes.
        var (report, probe, _) = await RunAsync(targets: 3, concurrency: 1, checkDeadline: TimeSpan.FromSeconds(8));

        // Fake time moves on in steps while the runner works, so the figures are bounds, not exact instants.
        Assert.True(probe.StartedAt["hung-2"] >= Timeout, $"hung-2 started at {probe.StartedAt["hung-2"]}, before hung-1's deadline freed the slot");

        // Cut at the 8 s check deadline it would have had 3 s at most.
        var ran = probe.EndedAt["hung-2"] - probe.StartedAt["hung-2"];
        Assert.True(ran >= Timeout - TimeSpan.FromMilliseconds(500), $"hung-2 ran {ran}, not its own 5 s deadline");
        Assert.Equal("read-timeout", report.Results.Single(r => r.Name == "hung-2").Error?.Kind);
        Assert.Equal("not-started", report.Results.Single(r => r.Name == "hung-3").Error?.Kind);
    }

    [Fact]
    public async Task RunAsync_EnoughSlots_NothingIsNotStarted()
    {
        var (report, _, _) = await RunAsync(targets: 4, concurrency: 4, checkDeadline: TimeSpan.FromSeconds(1));

        Assert.Equal(0, report.Summary.NotStarted);
        Assert.All(report.Results, r => Assert.Equal("read-timeout", r.Error?.Kind));
    }
}
