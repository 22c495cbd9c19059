using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Monitor.Engine;

namespace Faultline.Monitor.Tests.Engine;

public sealed class IncidentTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Run_ParentAndChildFail_OneAlertForParentListingChildThenBothResolve()
    {
        var config = EngineHarness.Config(EngineHarness.Target("db"), EngineHarness.Target("api", dependsOn: "db"));
        await using var h = new EngineHarness(config);
        await h.AdvanceAsync(Interval * 3);

        h.Probe.Set("db", Outcome.Fail(Layer.Database, "connection-refused"));
        h.Probe.Set("api", Outcome.Fail(Layer.Application, "http-5xx"));
        await h.AdvanceAsync(Interval * 6);

        var open = Assert.Single(h.Sink.Alerts);
        Assert.Equal(AlertEventKind.Open, open.Event);
        Assert.Equal("db", open.Incident.Target);
        Assert.Equal(Layer.Database, open.Incident.Layer);
        Assert.Equal(["api"], open.Incident.Suppressed);

        var apiDown = h.Sink.StatesOf("api").Single(s => s.To == TargetState.Down);
        Assert.Equal("db", apiDown.SuppressedBy);
        Assert.NotNull(apiDown.IncidentId);
        Assert.NotEqual(open.Incident.Id, apiDown.IncidentId);
        Assert.Equal("db", (await h.StatusAsync("api")).SuppressedBy);

        h.Probe.Set("db", Outcome.Pass());
        h.Probe.Set("api", Outcome.Pass());
        await h.AdvanceAsync(Interval * 4);

        Assert.Equal(TargetState.Up, (await h.StatusAsync("db")).State);
        Assert.Equal(TargetState.Up, (await h.StatusAsync("api")).State);
        Assert.Equal([AlertEventKind.Open, AlertEventKind.Resolve], h.Sink.Alerts.Select(a => a.Event));
        Assert.All(h.Sink.Alerts, a => Assert.Equal("db", a.Incident.Target));
        Assert.Equal(["api"], h.Sink.Alerts[1].Incident.Suppressed);
    }

    [Fact]
    public async Task Run_ChildReachesThresholdBeforeParentIsProbed_WaitsAndAttributesToParent()
    {
        // The child is probed before the parent in each interval, and one failure is enough: without waiting
        // for the parent's next result it would announce itself first.
        var child = Enumerable.Range(0, 50).Select(i => $"api{i}")
            .First(n => Schedule.FirstOffset(n, Interval) + TimeSpan.FromSeconds(2) < Schedule.FirstOffset("db", Interval));
        var config = EngineHarness.Config(EngineHarness.Target("db", failureThreshold: 1, successThreshold: 1), EngineHarness.Target(child, failureThreshold: 1, successThreshold: 1, dependsOn: "db"));
        await using var h = new EngineHarness(config);
        await h.ProbesAsync("db", 2);

        h.Probe.Set("db", Outcome.Fail(Layer.Database, "connection-refused"));
        h.Probe.Set(child, Outcome.Fail(Layer.Application, "http-5xx"));
        await h.ProbesAsync(child);
        Assert.Empty(h.Sink.Alerts);
        Assert.NotEqual(TargetState.Down, (await h.StatusAsync(child)).State);

        await h.ProbesAsync("db");

        var open = Assert.Single(h.Sink.Alerts);
        Assert.Equal("db", open.Incident.Target);
        Assert.Equal("db", h.Sink.StatesOf(child).Single(s => s.To == TargetState.Down).SuppressedBy);
    }

    [Fact]
    public async Task Run_ParentRecoversChildBackWithinItsThreshold_NoAlertOfItsOwn()
    {
        var config = EngineHarness.Config(EngineHarness.Target("db"), EngineHarness.Target("api", dependsOn: "db"));
        await using var h = new EngineHarness(config);
        await h.AdvanceAsync(Interval * 3);
        h.Probe.Set("db", Outcome.Fail(Layer.Database, "connection-refused"));
        h.Probe.Set("api", Outcome.Fail(Layer.Application, "http-5xx"));
        await h.AdvanceAsync(Interval * 6);

        h.Probe.Set("db", Outcome.Pass());
        await h.AdvanceAsync(Interval * 3);
        Assert.Equal(TargetState.Pending, (await h.StatusAsync("api")).State);
        h.Probe.Set("api", Outcome.Pass());
        await h.AdvanceAsync(Interval * 4);

        Assert.Equal(TargetState.Up, (await h.StatusAsync("api")).State);
        Assert.Equal([(AlertEventKind.Open, "db"), (AlertEventKind.Resolve, "db")], h.Sink.Alerts.Select(a => (a.Event, a.Incident.Target)));
    }

    [Fact]
    public async Task Run_ParentRecoversWhileChildStillFails_ChildOpensItsOwnIncidentAfterItsThreshold()
    {
        var config = EngineHarness.Config(EngineHarness.Target("db"), EngineHarness.Target("api", dependsOn: "db"));
        await using var h = new EngineHarness(config);
        await h.AdvanceAsync(Interval * 3);
        h.Probe.Set("db", Outcome.Fail(Layer.Database, "connection-refused"));
        h.Probe.Set("api", Outcome.Fail(Layer.Application, "http-5xx"));
        await h.AdvanceAsync(Interval * 6);
        Assert.Single(h.Sink.Alerts);

        h.Probe.Set("db", Outcome.Pass());
        await h.AdvanceAsync(Interval * 7);

        Assert.Equal(TargetState.Down, (await h.StatusAsync("api")).State);
        Assert.Null((await h.StatusAsync("api")).SuppressedBy);
        var apiOpen = Assert.Single(h.Sink.Alerts, a => a.Incident.Target == "api");
        Assert.Equal(AlertEventKind.Open, apiOpen.Event);
        Assert.Equal(Layer.Application, apiOpen.Incident.Layer);
        var dbResolve = Assert.Single(h.Sink.Alerts, a => a.Event == AlertEventKind.Resolve);
        Assert.Equal("db", dbResolve.Incident.Target);
        Assert.True(h.Sink.Alerts.ToList().IndexOf(dbResolve) < h.Sink.Alerts.ToList().IndexOf(apiOpen));
    }

    [Fact]
    public async Task Run_RemoteTargetWithFailingComponent_ComponentIsTheRootCause()
    {
        await using var h = new EngineHarness(EngineHarness.Config(EngineHarness.Target("api")));
        h.Probe.SetComponents("api", ("database", Outcome.Pass()));
        await h.ProbesAsync("api", 2);
        Assert.Equal(TargetState.Up, (await h.StatusAsync("api/database")).State);

        h.Probe.Set("api", Outcome.Fail(Layer.Database, "connect-timeout"));
        h.Probe.SetComponents("api", ("database", Outcome.Fail(Layer.Database, "connect-timeout")));
        await h.ProbesAsync("api", 3);

        var open = Assert.Single(h.Sink.Alerts);
        Assert.Equal("api/database", open.Incident.Target);
        Assert.Equal(["api"], open.Incident.Suppressed);
        var status = await h.StatusAsync("api/database");
        Assert.Equal("api", status.Owner);
        Assert.Equal(TargetState.Down, status.State);
    }

    [Fact]
    public async Task Run_IncidentStaysOpen_RemindersEveryReminderInterval()
    {
        var monitor = new MonitorSpec { Reminder = TimeSpan.FromMinutes(1) };
        var config = EngineHarness.Config(EngineHarness.Target("api", failureThreshold: 1)) with { Monitor = monitor };
        await using var h = new EngineHarness(config);
        h.Probe.Set("api", Outcome.Fail());
        await h.ProbesAsync("api");
        var openedAt = h.Time.GetUtcNow();

        await h.AdvanceAsync(TimeSpan.FromSeconds(215));

        var reminders = h.Sink.Alerts.Where(a => a.Event == AlertEventKind.Reminder).ToList();
        Assert.Equal([1, 2, 3], reminders.Select(r => r.Sequence));
        Assert.All(reminders, r => Assert.Equal(h.Sink.Alerts[0].Incident.Id, r.Incident.Id));
        Assert.InRange(reminders[0].At - openedAt, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(12));
    }

    [Fact]
    public async Task Run_MaintenanceWindowCoversTarget_AlertHeldNotSent()
    {
        var window = new MaintenanceWindowSpec { From = EngineHarness.Start, Until = EngineHarness.Start.AddHours(1), Targets = ["api"], Reason = "upgrade" };
        var monitor = new MonitorSpec { Maintenance = [window] };
        var config = EngineHarness.Config(EngineHarness.Target("api", failureThreshold: 1), EngineHarness.Target("web", failureThreshold: 1)) with { Monitor = monitor };
        await using var h = new EngineHarness(config);
        h.Probe.Set("api", Outcome.Fail());
        h.Probe.Set("web", Outcome.Fail());

        await h.AdvanceAsync(Interval * 2);

        Assert.Equal(TargetState.Down, (await h.StatusAsync("api")).State);
        var held = Assert.Single(h.Sink.Held);
        Assert.Equal(("api", "maintenance"), (held.Alert.Incident.Target, held.Reason));
        var sent = Assert.Single(h.Sink.Alerts);
        Assert.Equal("web", sent.Incident.Target);
    }

    [Fact]
    public async Task Run_AnotherReplicaHoldsTheLease_NoAlertsUntilTakenOverThenOpenSentOnce()
    {
        var store = new InMemoryStore { LeaseAvailable = false };
        await using var h = new EngineHarness(EngineHarness.Config(EngineHarness.Target("api", failureThreshold: 1)), store);
        h.Probe.Set("api", Outcome.Fail());

        await h.AdvanceAsync(Interval * 3);
        Assert.Equal(TargetState.Down, (await h.StatusAsync("api")).State);
        Assert.Empty(h.Sink.Alerts);
        Assert.Single(store.Incidents);
        Assert.InRange(store.LeaseAttempts, 2, 4);

        // The other replica died: the lease is free; this one takes it within an interval and announces the open incident.
        store.LeaseAvailable = true;
        await h.AdvanceAsync(Interval * 2);
        var open = Assert.Single(h.Sink.Alerts);
        Assert.Equal(AlertEventKind.Open, open.Event);

        // Lost again (connection dropped): nothing is sent until it is taken back.
        store.Current!.IsHeld = false;
        store.LeaseAvailable = false;
        h.Probe.Set("api", Outcome.Pass());
        await h.AdvanceAsync(Interval * 3);
        Assert.Equal(TargetState.Up, (await h.StatusAsync("api")).State);
        Assert.Single(h.Sink.Alerts);
        Assert.NotNull(store.Incidents[0].ResolvedAt);
    }

    [Fact]
    public async Task Run_WithStore_WritesEveryResultAndAppliesRetention()
    {
        var store = new InMemoryStore();
        await using (var h = new EngineHarness(EngineHarness.Config(EngineHarness.Target("api")), store))
        {
            await h.ProbesAsync("api", 5);
            await h.AdvanceAsync(TimeSpan.FromHours(1));
        }

        Assert.InRange(store.Results.Count, 360, 370);
        Assert.All(store.Results, r => Assert.Equal("api", r.Target));
        Assert.Equal(2, store.RetentionRuns);
    }
}
