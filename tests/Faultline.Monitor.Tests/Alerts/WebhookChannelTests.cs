using System.Text.Json;
using Faultline.Core.Config;
using Faultline.Monitor.Alerts;
using Faultline.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace Faultline.Monitor.Tests.Alerts;

public sealed class WebhookChannelTests : IDisposable
{
    private readonly HttpClient http = new();
    private readonly CapturingLoggerFactory logs = new();

    public void Dispose() => http.Dispose();

    [Fact]
    public async Task Enqueue_WebhookRedirectsToAnotherHost_NothingReachesIt()
    {
        await using var elsewhere = await WebhookReceiver.StartAsync();
        await using var redirecting = TestServers.Http(TestServers.RawResponse(307, "Temporary Redirect", string.Empty, $"Location: {elsewhere.Url("/stolen")}"));
        using var client = AlertHttp.CreateClient();
        var spec = new AlertSpec
        {
            Name = "ops",
            Kind = AlertKinds.Webhook,
            Url = redirecting.BaseUrl + "/hook",
            Headers = new Dictionary<string, string> { ["Authorization"] = "Bearer fl-hook-secret-2b9f" },
        };
        await using (var dispatcher = new AlertDispatcher([spec], client, TimeProvider.System, logs))
        {
            dispatcher.Enqueue(AlertSamples.Open(42, "ops"));
            for (var i = 0; i < 100 && redirecting.Requests.IsEmpty; i++)
            {
                await Task.Delay(50);
            }
        }

        Assert.Single(redirecting.Requests);
        await Task.Delay(300);
        Assert.Empty(elsewhere.Requests);
    }

    [Fact]
    public async Task Enqueue_GenericWebhook_PostsIncidentJson()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var spec = new AlertSpec { Name = "ops", Kind = AlertKinds.Webhook, Url = receiver.Url("/hook"), Headers = new Dictionary<string, string> { ["X-Team"] = "platform" } };
        await using var dispatcher = new AlertDispatcher([spec], http, TimeProvider.System, logs);

        dispatcher.Enqueue(AlertSamples.Open(42, "ops"));
        await receiver.WaitForAsync(1);

        var request = Assert.Single(receiver.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/hook", request.PathAndQuery);
        Assert.StartsWith("application/json", request.Headers["Content-Type"], StringComparison.Ordinal);
        Assert.Equal("platform", request.Headers["X-Team"]);
        using var json = JsonDocument.Parse(request.Body);
        var root = json.RootElement;
        Assert.Equal("open", root.GetProperty("event").GetString());
        Assert.Equal(0, root.GetProperty("sequence").GetInt32());
        var incident = root.GetProperty("incident");
        Assert.Equal(42, incident.GetProperty("id").GetInt64());
        Assert.Equal("db", incident.GetProperty("target").GetString());
        Assert.Equal("database", incident.GetProperty("layer").GetString());
        Assert.Equal("infrastructure", incident.GetProperty("side").GetString());
        Assert.Equal("database/connection-refused", incident.GetProperty("signature").GetString());
        Assert.Equal("2026-11-26T03:00:00.000Z", incident.GetProperty("startedAt").GetString());
        Assert.Equal(JsonValueKind.Null, incident.GetProperty("resolvedAt").ValueKind);
        Assert.Equal(["api"], incident.GetProperty("suppressed").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(2, root.GetProperty("evidence").GetArrayLength());
        Assert.Equal("connect to 127.0.0.1:5432 refused", root.GetProperty("evidence")[0].GetString());
        Assert.Contains("Start PostgreSQL", root.GetProperty("remedy").GetString(), StringComparison.Ordinal);
        Assert.Equal(AlertSamples.Open().Summary, root.GetProperty("summary").GetString());
    }

    [Fact]
    public async Task Enqueue_ResolveAfterOpen_PostsResolvedAtInOrder()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var spec = new AlertSpec { Name = "ops", Kind = AlertKinds.Webhook, Url = receiver.Url("/hook") };
        await using var dispatcher = new AlertDispatcher([spec], http, TimeProvider.System, logs);

        dispatcher.Enqueue(AlertSamples.Open(7, "ops"));
        dispatcher.Enqueue(AlertSamples.Resolve(7, "ops"));
        await dispatcher.FlushAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(2, receiver.Requests.Count);
        using var resolve = JsonDocument.Parse(receiver.Requests[1].Body);
        Assert.Equal("resolve", resolve.RootElement.GetProperty("event").GetString());
        Assert.Equal("2026-11-26T03:05:00.000Z", resolve.RootElement.GetProperty("incident").GetProperty("resolvedAt").GetString());
    }

    [Fact]
    public async Task Enqueue_SlackWebhook_PostsTextAndBlocksWithTheSameFacts()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var spec = new AlertSpec { Name = "chat", Kind = AlertKinds.Webhook, Url = receiver.Url("/services/T1/B2"), Format = "slack" };
        await using var dispatcher = new AlertDispatcher([spec], http, TimeProvider.System, logs);

        dispatcher.Enqueue(AlertSamples.Open(42, "chat"));
        await receiver.WaitForAsync(1);

        using var json = JsonDocument.Parse(receiver.Requests[0].Body);
        var root = json.RootElement;
        var text = root.GetProperty("text").GetString()!;
        Assert.StartsWith("Incident opened: db (database, infrastructure)", text, StringComparison.Ordinal);
        Assert.Contains("connect to 127.0.0.1:5432 refused", text, StringComparison.Ordinal);
        var blocks = root.GetProperty("blocks").EnumerateArray().ToList();
        Assert.Equal("header", blocks[0].GetProperty("type").GetString());
        Assert.Equal("plain_text", blocks[0].GetProperty("text").GetProperty("type").GetString());
        var fields = blocks[1].GetProperty("fields").EnumerateArray().Select(f => f.GetProperty("text").GetString()).ToList();
        Assert.Contains("*Target*\ndb", fields);
        Assert.Contains("*Layer*\ndatabase (infrastructure)", fields);
        Assert.Contains("*Signature*\ndatabase/connection-refused", fields);
        Assert.Contains("*Suppressed*\napi", fields);
        var all = root.GetRawText();
        Assert.Contains("*Evidence*", all, StringComparison.Ordinal);
        Assert.Contains("*Remedy*", all, StringComparison.Ordinal);
        Assert.Contains("Faultline incident #42", all, StringComparison.Ordinal);
        Assert.Equal("context", blocks[^1].GetProperty("type").GetString());
    }

    [Fact]
    public async Task Enqueue_ServerErrorsThenSuccess_RetriesWithBackoffUntilDelivered()
    {
        var time = new FakeTimeProvider(AlertSamples.Start);
        await using var receiver = await WebhookReceiver.StartAsync(500, 503);
        var spec = new AlertSpec { Name = "ops", Kind = AlertKinds.Webhook, Url = receiver.Url("/hook"), Retries = 3, Timeout = TimeSpan.FromHours(1) };
        await using var dispatcher = new AlertDispatcher([spec], http, time, logs);

        dispatcher.Enqueue(AlertSamples.Open(1, "ops"));
        await receiver.WaitForAsync(1);
        await AlertSamples.WaitUntilAsync(() => logs.WithEventId(6104).Count == 1);

        // The first backoff is at least 1 s (2 s × jitter 0.5–1): nothing is sent before fake time moves.
        time.Advance(TimeSpan.FromMilliseconds(900));
        await Task.Delay(100);
        Assert.Single(receiver.Requests);

        await AlertSamples.PumpUntilAsync(time, () => logs.WithEventId(6103).Count == 1);
        Assert.Equal(3, receiver.Requests.Count);
        var retries = logs.WithEventId(6104);
        Assert.Equal(2, retries.Count);
        Assert.Equal("HTTP 500", retries[0].Values["Detail"]);
        Assert.Equal("HTTP 503", retries[1].Values["Detail"]);
        Assert.InRange((long)retries[0].Values["DelayMs"]!, 1000, 2000);
        Assert.InRange((long)retries[1].Values["DelayMs"]!, 2000, 4000);
        Assert.Equal(3, logs.WithEventId(6103)[0].Values["Attempt"]);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(404)]
    [InlineData(410)]
    public async Task Enqueue_ClientError_IsNotRetried(int status)
    {
        await using var receiver = await WebhookReceiver.StartAsync(status);
        var spec = new AlertSpec { Name = "ops", Kind = AlertKinds.Webhook, Url = receiver.Url("/hook"), Retries = 3 };
        await using var dispatcher = new AlertDispatcher([spec], http, TimeProvider.System, logs);

        dispatcher.Enqueue(AlertSamples.Open(1, "ops"));
        await dispatcher.FlushAsync(TimeSpan.FromSeconds(20));

        Assert.Single(receiver.Requests);
        var rejected = Assert.Single(logs.WithEventId(6106));
        Assert.Equal($"HTTP {status}", rejected.Values["Detail"]);
        Assert.Empty(logs.WithEventId(6104));
    }

    [Theory]
    [InlineData(408)]
    [InlineData(429)]
    public async Task Enqueue_RequestTimeoutOrTooManyRequests_IsRetried(int status)
    {
        var time = new FakeTimeProvider(AlertSamples.Start);
        await using var receiver = await WebhookReceiver.StartAsync(status);
        var spec = new AlertSpec { Name = "ops", Kind = AlertKinds.Webhook, Url = receiver.Url("/hook"), Retries = 1, Timeout = TimeSpan.FromHours(1) };
        await using var dispatcher = new AlertDispatcher([spec], http, time, logs);

        dispatcher.Enqueue(AlertSamples.Open(1, "ops"));
        await AlertSamples.PumpUntilAsync(time, () => logs.WithEventId(6103).Count == 1);

        Assert.Equal(2, receiver.Requests.Count);
    }

    [Fact]
    public async Task Enqueue_ReceiverNeverAnswers_AttemptTimesOutAndIsRetried()
    {
        var time = new FakeTimeProvider(AlertSamples.Start);
        await using var receiver = await WebhookReceiver.StartAsync(WebhookReceiver.Hang);
        var spec = new AlertSpec { Name = "ops", Kind = AlertKinds.Webhook, Url = receiver.Url("/hook"), Retries = 1, Timeout = TimeSpan.FromSeconds(10) };
        await using var dispatcher = new AlertDispatcher([spec], http, time, logs);

        dispatcher.Enqueue(AlertSamples.Open(1, "ops"));
        await receiver.WaitForAsync(1);
        Assert.Empty(logs.WithEventId(6104));

        time.Advance(TimeSpan.FromSeconds(10));
        await AlertSamples.WaitUntilAsync(() => logs.WithEventId(6104).Count == 1);
        Assert.Equal("no answer within 10000 ms", logs.WithEventId(6104)[0].Values["Detail"]);

        await AlertSamples.PumpUntilAsync(time, () => logs.WithEventId(6103).Count == 1);
        Assert.Equal(2, receiver.Requests.Count);
    }

    [Fact]
    public async Task Enqueue_HttpClientTimeoutShorterThanTheChannels_IsRetried()
    {
        var time = new FakeTimeProvider(AlertSamples.Start);
        using var impatient = new HttpClient { Timeout = TimeSpan.FromMilliseconds(200) };
        await using var receiver = await WebhookReceiver.StartAsync(WebhookReceiver.Hang);
        var spec = new AlertSpec { Name = "ops", Kind = AlertKinds.Webhook, Url = receiver.Url("/hook"), Retries = 1, Timeout = TimeSpan.FromHours(1) };
        await using var dispatcher = new AlertDispatcher([spec], impatient, time, logs);

        dispatcher.Enqueue(AlertSamples.Open(1, "ops"));
        await AlertSamples.WaitUntilAsync(() => logs.WithEventId(6104).Count == 1);
        Assert.Equal("the HTTP client's own timeout expired", logs.WithEventId(6104)[0].Values["Detail"]);

        await AlertSamples.PumpUntilAsync(time, () => logs.WithEventId(6103).Count == 1);
        Assert.Equal(2, receiver.Requests.Count);
    }

    [Fact]
    public async Task Enqueue_ReceiverDown_GivesUpAfterRetries()
    {
        var time = new FakeTimeProvider(AlertSamples.Start);
        var url = $"http://127.0.0.1:{TestServers.ClosedPort()}/hook";
        var spec = new AlertSpec { Name = "ops", Kind = AlertKinds.Webhook, Url = url, Retries = 2, Timeout = TimeSpan.FromHours(1) };
        await using var dispatcher = new AlertDispatcher([spec], http, time, logs);

        dispatcher.Enqueue(AlertSamples.Open(1, "ops"));
        await AlertSamples.PumpUntilAsync(time, () => logs.WithEventId(6105).Count == 1);

        Assert.Equal(2, logs.WithEventId(6104).Count);
        var gaveUp = logs.WithEventId(6105)[0];
        Assert.Equal(3, gaveUp.Values["Attempts"]);
        Assert.Contains("ConnectionError", (string)gaveUp.Values["Detail"]!, StringComparison.Ordinal);
        Assert.Contains("ConnectionRefused", (string)gaveUp.Values["Detail"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logs_TokenInUrlAndHeaders_NeverAppear()
    {
        const string pathToken = "T0K3N-path-5ecret";
        const string queryToken = "q-5ecret-value";
        const string headerToken = "hdr-5ecret-value";
        var time = new FakeTimeProvider(AlertSamples.Start);
        await using var receiver = await WebhookReceiver.StartAsync(500, 401);
        var closed = TestServers.ClosedPort();
        var specs = new[]
        {
            new AlertSpec
            {
                Name = "ops", Kind = AlertKinds.Webhook, Url = receiver.Url($"/hook/{pathToken}?token={queryToken}"),
                Headers = new Dictionary<string, string> { ["Authorization"] = $"Bearer {headerToken}" }, Timeout = TimeSpan.FromHours(1),
            },
            new AlertSpec
            {
                Name = "down", Kind = AlertKinds.Webhook, Url = $"http://user:{headerToken}@127.0.0.1:{closed}/hook/{pathToken}?token={queryToken}",
                Retries = 1, Timeout = TimeSpan.FromHours(1),
            },
        };
        await using var dispatcher = new AlertDispatcher(specs, http, time, logs);

        dispatcher.Enqueue(AlertSamples.Open(1, "ops", "down"));
        await AlertSamples.PumpUntilAsync(time, () => logs.WithEventId(6106).Count == 1 && logs.WithEventId(6105).Count == 1);

        Assert.Equal($"Bearer {headerToken}", receiver.Requests[0].Headers["Authorization"]);
        Assert.Contains(logs.Entries, e => e.Message.Contains($"http://127.0.0.1:{receiver.BaseUrl.Port}", StringComparison.Ordinal));
        Assert.Contains(logs.Entries, e => e.Message.Contains($"http://127.0.0.1:{closed}", StringComparison.Ordinal));
        foreach (var entry in logs.Entries)
        {
            foreach (var secret in new[] { pathToken, queryToken, headerToken, "/hook" })
            {
                Assert.DoesNotContain(secret, entry.AllText, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task Reconfigure_NewUrl_RetryGoesToTheNewReceiver()
    {
        var time = new FakeTimeProvider(AlertSamples.Start);
        await using var old = await WebhookReceiver.StartAsync(500);
        await using var replacement = await WebhookReceiver.StartAsync();
        var spec = new AlertSpec { Name = "ops", Kind = AlertKinds.Webhook, Url = old.Url("/hook"), Retries = 2, Timeout = TimeSpan.FromHours(1) };
        await using var dispatcher = new AlertDispatcher([spec], http, time, logs);

        dispatcher.Enqueue(AlertSamples.Open(1, "ops"));
        await AlertSamples.WaitUntilAsync(() => logs.WithEventId(6104).Count == 1);
        dispatcher.Reconfigure([spec with { Url = replacement.Url("/new") }]);
        await AlertSamples.PumpUntilAsync(time, () => logs.WithEventId(6103).Count == 1);

        Assert.Single(old.Requests);
        Assert.Equal("/new", Assert.Single(replacement.Requests).PathAndQuery);
    }
}
