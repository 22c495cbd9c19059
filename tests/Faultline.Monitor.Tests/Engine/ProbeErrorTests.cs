using System.Net;
using System.Text.Json;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Running;
using Faultline.Monitor.Alerts;
using Faultline.Monitor.Engine;
using Faultline.Monitor.Tests.Alerts;
using Faultline.TestSupport;

namespace Faultline.Monitor.Tests.Engine;

/// <summary>
/// When the monitor itself fails to probe a target (its probe function or its own loop throws), the target is
/// shown in the <c>error</c> state with the reason, an incident of the monitor's own opens and alerts, and the
/// loop goes on: once a probe completes again the incident resolves and the target's state follows its results.
/// </summary>
public sealed class ProbeErrorTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Run_ProbeFunctionThrows_ErrorStateWithReasonAlertDeliveredThenUpAgain()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var http = new HttpClient();
        using var logs = new CapturingLoggerFactory();
        var channel = new AlertSpec { Name = "ops", Kind = AlertKinds.Webhook, Url = receiver.Url("/hook") };
        await using var dispatcher = new AlertDispatcher([channel], http, TimeProvider.System, logs);
        var target = EngineHarness.Target("api", failureThreshold: 2, successThreshold: 1);
        await using var h = new EngineHarness(EngineHarness.Config(target), loggerFactory: logs, sink: recording => new DispatchingSink(recording, dispatcher));
        await h.ProbesAsync("api", 2);
        Assert.Equal("up", (await h.StatusAsync("api")).State.Wire());

        h.Probe.Throw("api", new InvalidOperationException("probe exploded " + HostileText.Text));
        await h.ProbesAsync("api");

        var error = StateJson(h.Sink.StatesOf("api")[^1]);
        Assert.Equal(("up", "error"), (error.GetProperty("from").GetString(), error.GetProperty("to").GetString()));
        Assert.True(error.TryGetProperty("reason", out var reason), "the state event has no reason: " + error);
        Assert.Equal("InvalidOperationException: probe exploded " + HostileText.Text, reason.GetString());
        Assert.Equal("monitor/probe-error", error.GetProperty("signature").GetString());
        Assert.Equal("error", (await h.StatusAsync("api")).State.Wire());
        Assert.Empty(h.Sink.Alerts);

        // The second failed attempt in a row reaches failureThreshold: the monitor's own incident opens and alerts.
        await h.ProbesAsync("api");
        await receiver.WaitForAsync(1);
        var open = Assert.Single(h.Sink.Alerts);
        Assert.Equal(AlertEventKind.Open, open.Event);
        Assert.Equal("monitor/probe-error", open.Incident.Signature);
        Assert.Equal(Layer.Unknown, open.Incident.Layer);
        Assert.StartsWith("api: unknown infrastructure — the monitor could not probe it: InvalidOperationException: probe exploded", open.Summary, StringComparison.Ordinal);
        using (var body = JsonDocument.Parse(receiver.Requests[0].Body))
        {
            Assert.Equal("open", body.RootElement.GetProperty("event").GetString());
            Assert.Equal("monitor/probe-error", body.RootElement.GetProperty("incident").GetProperty("signature").GetString());
        }

        // No hot loop: a failed attempt waits the interval before the next one.
        var attempts = h.Probe.Calls.Where(c => c.Target == "api").Select(c => c.At).ToList();
        Assert.True(attempts[^1] - attempts[^2] >= Interval, $"attempts {attempts[^2]:O} and {attempts[^1]:O} are closer than the interval");

        // The log names the failure on one escaped line: the exception's text does not reach it raw.
        var logged = Assert.Single(logs.WithEventId(414).Take(1));
        Assert.Contains("probe exploded Bad " + HostileText.EscapedColour, logged.Message, StringComparison.Ordinal);
        Assert.All(logs.Entries, e => HostileText.AssertInert(e.AllText));

        h.Probe.StopThrowing("api");
        await h.ProbesAsync("api");

        var back = StateJson(h.Sink.StatesOf("api")[^1]);
        Assert.Equal(("error", "up"), (back.GetProperty("from").GetString(), back.GetProperty("to").GetString()));
        Assert.Equal(JsonValueKind.Null, back.GetProperty("reason").ValueKind);
        await receiver.WaitForAsync(2);
        Assert.Equal([AlertEventKind.Open, AlertEventKind.Resolve], h.Sink.Alerts.Select(a => a.Event));
        Assert.Equal(open.Incident.Id, h.Sink.Alerts[1].Incident.Id);
        using (var body = JsonDocument.Parse(receiver.Requests[1].Body))
        {
            Assert.Equal("resolve", body.RootElement.GetProperty("event").GetString());
        }

        await h.ProbesAsync("api", 2);
        Assert.Equal("up", (await h.StatusAsync("api")).State.Wire());
    }

    /// <summary>The reported bug: a timeout the timers cannot hold (50 days) makes the runner throw before its probe's own try.</summary>
    [Fact]
    public async Task Run_RealRunnerWithTimeoutBeyondTimerLimit_ErrorStateThenUpOnceFixed()
    {
        var target = new TargetSpec
        {
            Name = "db",
            Kind = TargetKinds.Tcp,
            Host = "127.0.0.1",
            Port = 5432,
            Interval = Interval,
            SuccessThreshold = 1,
            Timeout = TimeSpan.FromDays(50),
        };
        await using var h = new EngineHarness(
            EngineHarness.Config(target),
            probe: time => MonitorProbes.FromRunner(new CheckRunner([new ConnectingProbe()], _ => new NoResolver(), time)));

        await h.AdvanceAsync(Interval * 2);

        var status = await h.StatusAsync("db");
        Assert.Equal("error", status.State.Wire());
        var error = StateJson(Assert.Single(h.Sink.StatesOf("db")));
        Assert.StartsWith("ArgumentOutOfRangeException: ", error.GetProperty("reason").GetString(), StringComparison.Ordinal);

        await h.Engine.ApplyConfigAsync(EngineHarness.Config(target with { Timeout = TimeSpan.FromSeconds(5) }));
        await h.AdvanceAsync(Interval * 2);

        Assert.Equal("up", (await h.StatusAsync("db")).State.Wire());
        Assert.Equal(["error", "up"], h.Sink.StatesOf("db").Select(s => s.To.Wire()));
    }

    /// <summary>The loop's own code failing (here the sink it reports results to) is a failed attempt too, and the loop goes on.</summary>
    [Fact]
    public async Task Run_SinkThrowsWhileAResultIsProcessed_ErrorStateThenProbedOn()
    {
        var failing = 1;
        var target = EngineHarness.Target("api", successThreshold: 1);
        await using var h = new EngineHarness(
            EngineHarness.Config(target),
            sink: recording => new DispatchingSink(recording, dispatcher: null)
            {
                OnResult = _ =>
                {
                    if (Interlocked.Exchange(ref failing, 0) == 1)
                    {
                        throw new IOException("no space left on device");
                    }
                },
            });

        await h.ProbesAsync("api");

        var error = StateJson(Assert.Single(h.Sink.StatesOf("api")));
        Assert.Equal(("pending", "error"), (error.GetProperty("from").GetString(), error.GetProperty("to").GetString()));
        Assert.Equal("IOException: no space left on device", error.GetProperty("reason").GetString());

        await h.ProbesAsync("api", 2);

        Assert.Equal("up", (await h.StatusAsync("api")).State.Wire());
        Assert.Equal(["error", "up"], h.Sink.StatesOf("api").Select(s => s.To.Wire()));
    }

    /// <summary>A single timer cannot wait longer than about 49 days: the schedule sleeps in steps and probes on time.</summary>
    [Fact]
    public async Task Run_IntervalLongerThanATimerCanWait_FirstProbeAtItsDueTime()
    {
        var interval = TimeSpan.FromDays(2000);
        var target = EngineHarness.Target("archive", intervalSeconds: interval.TotalSeconds);
        var due = Schedule.Due(EngineHarness.Start, "archive", 0, interval);
        Assert.True(due - EngineHarness.Start > TimeSpan.FromDays(50), $"the first probe is due after {due - EngineHarness.Start}; the test needs a wait longer than a timer holds");
        await using var h = new EngineHarness(EngineHarness.Config(target));

        await h.AdvanceAsync(due - EngineHarness.Start - TimeSpan.FromDays(1), TimeSpan.FromDays(1));
        Assert.Equal(0, h.Probe.CallsFor("archive"));
        await h.AdvanceAsync(TimeSpan.FromDays(2), TimeSpan.FromHours(1));

        var call = Assert.Single(h.Probe.Calls, c => c.Target == "archive");
        Assert.InRange(call.At, due, due + TimeSpan.FromHours(1));
        Assert.DoesNotContain(h.Sink.StatesOf("archive"), s => s.To.Wire() == "error");
    }

    /// <summary>The monitor's incident is stored like any other and resolved by the first completed probe, also after a restart.</summary>
    [Fact]
    public async Task Run_ProbeErrorIncidentStored_RestartedMonitorResolvesItAtFirstProbe()
    {
        var store = new InMemoryStore();
        var target = EngineHarness.Target("api", failureThreshold: 1, successThreshold: 3);
        await using (var first = new EngineHarness(EngineHarness.Config(target), store))
        {
            first.Probe.Throw("api", new InvalidOperationException("broken"));
            await first.ProbesAsync("api");
            Assert.Equal(AlertEventKind.Open, Assert.Single(first.Sink.Alerts).Event);
        }

        var stored = Assert.Single(store.Incidents);
        Assert.Equal(("monitor/probe-error", Layer.Unknown, (DateTimeOffset?)null), (stored.Signature, stored.Layer, stored.ResolvedAt));

        await using var second = new EngineHarness(EngineHarness.Config(target), store);
        Assert.Equal("pending", (await second.StatusAsync("api")).State.Wire());
        await second.ProbesAsync("api");

        Assert.NotNull(Assert.Single(store.Incidents).ResolvedAt);
        Assert.Equal("pending", (await second.StatusAsync("api")).State.Wire());
        Assert.Equal(AlertEventKind.Resolve, Assert.Single(second.Sink.Alerts).Event);
    }

    private static JsonElement StateJson(StateEvent state)
    {
        using var json = JsonDocument.Parse(MonitorJson.State(state));
        return json.RootElement.Clone();
    }

    /// <summary>Answers every target at once: connected, no error.</summary>
    private sealed class ConnectingProbe : IProbe
    {
        public string Kind => TargetKinds.Tcp;

        public Task<Observation> ProbeAsync(TargetSpec target, ProbeContext context, CancellationToken cancellationToken) =>
            Task.FromResult(new Observation { Target = $"{target.Host}:{target.Port}", Connected = true, Elapsed = TimeSpan.FromMilliseconds(3) });
    }

    private sealed class NoResolver : IHostResolver
    {
        public string Name => "none";

        public Task<IReadOnlyList<IPAddress>> ResolveAsync(string host, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}

/// <summary>Records everything, hands alerts to a real dispatcher (its channels deliver them), and can fail on a result.</summary>
internal sealed class DispatchingSink(RecordingSink recording, AlertDispatcher? dispatcher) : IMonitorSink, IMonitorHeldAlertSink
{
    public Action<ResultEvent>? OnResult { get; init; }

    public ValueTask OnResultAsync(ResultEvent result, CancellationToken cancellationToken)
    {
        OnResult?.Invoke(result);
        return recording.OnResultAsync(result, cancellationToken);
    }

    public ValueTask OnStateAsync(StateEvent state, CancellationToken cancellationToken) => recording.OnStateAsync(state, cancellationToken);

    public ValueTask OnAlertAsync(AlertEvent alert, CancellationToken cancellationToken)
    {
        dispatcher?.Enqueue(alert);
        return recording.OnAlertAsync(alert, cancellationToken);
    }

    public ValueTask OnAlertHeldAsync(AlertEvent alert, string reason, CancellationToken cancellationToken) => recording.OnAlertHeldAsync(alert, reason, cancellationToken);
}
