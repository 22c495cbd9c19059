using System.Text.Json;
using Faultline.Core.Config;
using Faultline.Monitor.Alerts;
using Faultline.TestSupport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Faultline.Monitor.Tests.Alerts;

public sealed class AlertDispatcherTests : IDisposable
{
    private readonly HttpClient http = new();
    private readonly CapturingLoggerFactory logs = new();

    public void Dispose() => http.Dispose();

    [Fact]
    public async Task Enqueue_SameAlertTwice_DeliversOncePerChannel()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var specs = new[]
        {
            new AlertSpec { Name = "a", Kind = AlertKinds.Webhook, Url = receiver.Url("/a") },
            new AlertSpec { Name = "b", Kind = AlertKinds.Webhook, Url = receiver.Url("/b") },
        };
        await using var dispatcher = new AlertDispatcher(specs, http, TimeProvider.System, logs);

        dispatcher.Enqueue(AlertSamples.Open(5, "a", "b"));
        dispatcher.Enqueue(AlertSamples.Open(5, "a", "b"));
        dispatcher.Enqueue(AlertSamples.Open(5, "a", "a"));
        await dispatcher.FlushAsync(TimeSpan.FromSeconds(20));
        dispatcher.Enqueue(AlertSamples.Open(5, "a", "b"));
        await dispatcher.FlushAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(["/a", "/b"], receiver.Requests.Select(r => r.PathAndQuery).Order());
        Assert.Equal(5, logs.WithEventId(6102).Count);
    }

    [Fact]
    public async Task Enqueue_RemindersWithNewSequence_AreDeliveredEach()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var spec = new AlertSpec { Name = "ops", Kind = AlertKinds.Webhook, Url = receiver.Url("/hook") };
        await using var dispatcher = new AlertDispatcher([spec], http, TimeProvider.System, logs);

        dispatcher.Enqueue(AlertSamples.Open(9, "ops"));
        dispatcher.Enqueue(AlertSamples.Reminder(1, 9, "ops"));
        dispatcher.Enqueue(AlertSamples.Reminder(1, 9, "ops"));
        dispatcher.Enqueue(AlertSamples.Reminder(2, 9, "ops"));
        await dispatcher.FlushAsync(TimeSpan.FromSeconds(20));

        var seen = receiver.Requests.Select(r =>
        {
            using var json = JsonDocument.Parse(r.Body);
            return $"{json.RootElement.GetProperty("event").GetString()}#{json.RootElement.GetProperty("sequence").GetInt32()}";
        });
        Assert.Equal(["open#0", "reminder#1", "reminder#2"], seen);
    }

    [Fact]
    public async Task Enqueue_OpenFailsOnceThenResolve_ResolveWaitsForOpen()
    {
        var time = new FakeTimeProvider(AlertSamples.Start);
        await using var receiver = await WebhookReceiver.StartAsync(500);
        var spec = new AlertSpec { Name = "ops", Kind = AlertKinds.Webhook, Url = receiver.Url("/hook"), Timeout = TimeSpan.FromHours(1) };
        await using var dispatcher = new AlertDispatcher([spec], http, time, logs);

        dispatcher.Enqueue(AlertSamples.Open(3, "ops"));
        dispatcher.Enqueue(AlertSamples.Resolve(3, "ops"));
        await AlertSamples.WaitUntilAsync(() => logs.WithEventId(6104).Count == 1);
        await Task.Delay(100);
        Assert.Single(receiver.Requests);

        await AlertSamples.PumpUntilAsync(time, () => logs.WithEventId(6103).Count == 2);
        var events = receiver.Requests.Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("event").GetString());
        Assert.Equal(["open", "open", "resolve"], events);
    }

    [Fact]
    public async Task Enqueue_OtherIncidentWhileOneRetries_IsNotHeldBack()
    {
        var time = new FakeTimeProvider(AlertSamples.Start);
        await using var receiver = await WebhookReceiver.StartAsync(500);
        var spec = new AlertSpec { Name = "ops", Kind = AlertKinds.Webhook, Url = receiver.Url("/hook"), Timeout = TimeSpan.FromHours(1) };
        await using var dispatcher = new AlertDispatcher([spec], http, time, logs);

        dispatcher.Enqueue(AlertSamples.Open(1, "ops"));
        await AlertSamples.WaitUntilAsync(() => logs.WithEventId(6104).Count == 1);
        dispatcher.Enqueue(AlertSamples.Open(2, "ops"));

        // Incident 2 goes out while incident 1 waits out its backoff (fake time does not move).
        await AlertSamples.WaitUntilAsync(() => logs.WithEventId(6103).Count == 1);
        Assert.Equal(2L, logs.WithEventId(6103)[0].Values["IncidentId"]);
    }

    [Fact]
    public async Task Enqueue_UnknownChannel_IsLoggedAndSkipped()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var spec = new AlertSpec { Name = "ops", Kind = AlertKinds.Webhook, Url = receiver.Url("/hook") };
        await using var dispatcher = new AlertDispatcher([spec], http, TimeProvider.System, logs);

        dispatcher.Enqueue(AlertSamples.Open(1, "nope", "ops"));
        await dispatcher.FlushAsync(TimeSpan.FromSeconds(20));

        Assert.Single(receiver.Requests);
        Assert.Equal("nope", Assert.Single(logs.WithEventId(6101)).Values["Channel"]);
    }

    [Fact]
    public async Task Enqueue_LogChannel_WritesOneStructuredLine()
    {
        var spec = new AlertSpec { Name = "journal", Kind = AlertKinds.Log };
        await using var dispatcher = new AlertDispatcher([spec], http, TimeProvider.System, logs);

        dispatcher.Enqueue(AlertSamples.Open(11, "journal"));
        dispatcher.Enqueue(AlertSamples.Resolve(11, "journal"));
        await dispatcher.FlushAsync(TimeSpan.FromSeconds(20));

        var lines = logs.WithEventId(6120);
        Assert.Equal(2, lines.Count);
        Assert.All(lines, l => Assert.Equal("Faultline.Alerts", l.Category));
        Assert.Equal(LogLevel.Warning, lines[0].Level);
        Assert.Equal(LogLevel.Information, lines[1].Level);
        Assert.Equal("open", lines[0].Values["AlertEvent"]);
        Assert.Equal(11L, lines[0].Values["IncidentId"]);
        Assert.Equal("db", lines[0].Values["Target"]);
        Assert.Equal("database", lines[0].Values["Layer"]);
        Assert.Equal("infrastructure", lines[0].Values["Side"]);
        Assert.Equal("database/connection-refused", lines[0].Values["Signature"]);
        Assert.Equal("resolve", lines[1].Values["AlertEvent"]);
    }

    [Fact]
    public async Task FlushAsync_ReceiverDown_ReturnsAtTheTimeout()
    {
        var time = new FakeTimeProvider(AlertSamples.Start);
        await using var receiver = await WebhookReceiver.StartAsync(500, 500, 500, 500);
        var spec = new AlertSpec { Name = "ops", Kind = AlertKinds.Webhook, Url = receiver.Url("/hook"), Retries = 3, Timeout = TimeSpan.FromHours(1) };
        await using var dispatcher = new AlertDispatcher([spec], http, time, logs);

        dispatcher.Enqueue(AlertSamples.Open(1, "ops"));
        await AlertSamples.WaitUntilAsync(() => logs.WithEventId(6104).Count == 1);
        var flush = dispatcher.FlushAsync(TimeSpan.FromMilliseconds(500));
        Assert.False(flush.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(500));
        await flush.WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(1, Assert.Single(logs.WithEventId(6109)).Values["Pending"]);
    }

    [Fact]
    public async Task DisposeAsync_WhileWaitingToRetry_AbandonsAndLaterEnqueueIsDropped()
    {
        var time = new FakeTimeProvider(AlertSamples.Start);
        await using var receiver = await WebhookReceiver.StartAsync(500);
        var spec = new AlertSpec { Name = "ops", Kind = AlertKinds.Webhook, Url = receiver.Url("/hook"), Timeout = TimeSpan.FromHours(1) };
        var dispatcher = new AlertDispatcher([spec], http, time, logs);

        dispatcher.Enqueue(AlertSamples.Open(1, "ops"));
        await AlertSamples.WaitUntilAsync(() => logs.WithEventId(6104).Count == 1);
        await dispatcher.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20));
        dispatcher.Enqueue(AlertSamples.Resolve(1, "ops"));
        await dispatcher.FlushAsync(TimeSpan.FromSeconds(1)).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Single(logs.WithEventId(6108));
        Assert.Single(logs.WithEventId(6110));
        Assert.Single(receiver.Requests);
    }

    public static TheoryData<AlertSpec, string> InvalidChannels => new()
    {
        { new AlertSpec { Name = "w", Kind = AlertKinds.Webhook }, "webhook without url" },
        { new AlertSpec { Name = "w", Kind = AlertKinds.Webhook, Url = "ftp://127.0.0.1/x" }, "not an absolute http(s) URL" },
        { new AlertSpec { Name = "w", Kind = AlertKinds.Webhook, Url = "http://127.0.0.1/x", Format = "teams" }, "unknown format 'teams'" },
        { new AlertSpec { Name = "c", Kind = AlertKinds.Command }, "command without run" },
        { new AlertSpec { Name = "p", Kind = "pager" }, "unknown kind 'pager'" },
        { new AlertSpec { Name = "l", Kind = AlertKinds.Log, Retries = -1 }, "negative retries" },
        { new AlertSpec { Name = "l", Kind = AlertKinds.Log, Timeout = TimeSpan.Zero }, "timeout that is not positive" },
    };

    [Theory]
    [MemberData(nameof(InvalidChannels))]
    public void Constructor_InvalidChannel_ThrowsWithTheReason(AlertSpec spec, string reason)
    {
        var error = Assert.Throws<ArgumentException>(() => new AlertDispatcher([spec], http, TimeProvider.System, logs));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reconfigure_DuplicateName_ThrowsAndKeepsTheOldChannels()
    {
        var spec = new AlertSpec { Name = "journal", Kind = AlertKinds.Log };
        await using var dispatcher = new AlertDispatcher([spec], http, TimeProvider.System, logs);

        Assert.Throws<ArgumentException>(() => dispatcher.Reconfigure([spec, spec]));
        dispatcher.Enqueue(AlertSamples.Open(1, "journal"));
        await dispatcher.FlushAsync(TimeSpan.FromSeconds(20));

        Assert.Single(logs.WithEventId(6120));
    }

    [Fact]
    public async Task Reconfigure_ChannelRemoved_DropsItsPendingRetry()
    {
        var time = new FakeTimeProvider(AlertSamples.Start);
        await using var receiver = await WebhookReceiver.StartAsync(500);
        var spec = new AlertSpec { Name = "ops", Kind = AlertKinds.Webhook, Url = receiver.Url("/hook"), Timeout = TimeSpan.FromHours(1) };
        await using var dispatcher = new AlertDispatcher([spec], http, time, logs);

        dispatcher.Enqueue(AlertSamples.Open(1, "ops"));
        await AlertSamples.WaitUntilAsync(() => logs.WithEventId(6104).Count == 1);
        dispatcher.Reconfigure([]);
        await AlertSamples.PumpUntilAsync(time, () => logs.WithEventId(6107).Count == 1);

        Assert.Single(receiver.Requests);
    }

    [Theory]
    [InlineData(1, 0.0, 1000)]
    [InlineData(1, 1.0, 2000)]
    [InlineData(2, 1.0, 4000)]
    [InlineData(3, 0.0, 4000)]
    [InlineData(5, 1.0, 30000)]
    [InlineData(40, 1.0, 30000)]
    public void Backoff_DoublesWithJitterUpToTheCap(int failedAttempts, double random, double expectedMs)
    {
        Assert.Equal(expectedMs, AlertDispatcher.Backoff(failedAttempts, random, retryAfter: null).TotalMilliseconds, precision: 3);
    }

    [Fact]
    public void Backoff_RetryAfterLonger_IsHonouredUpToFiveMinutes()
    {
        Assert.Equal(TimeSpan.FromSeconds(90), AlertDispatcher.Backoff(1, 0.5, TimeSpan.FromSeconds(90)));
        Assert.Equal(TimeSpan.FromMinutes(5), AlertDispatcher.Backoff(1, 0.5, TimeSpan.FromHours(2)));
        Assert.Equal(TimeSpan.FromMilliseconds(1500), AlertDispatcher.Backoff(1, 0.5, TimeSpan.FromMilliseconds(10)));
    }
}
