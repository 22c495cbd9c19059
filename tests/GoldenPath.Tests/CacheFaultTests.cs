using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Faultline.Lab.Relay;
using Faultline.TestSupport;
using StackExchange.Redis;

namespace GoldenPath.Tests;

/// <summary>
/// One GoldenPath process whose Redis is reached through a fault relay link named <c>cache</c> (the
/// lab's relay, in this process), so a test can make the cache path slow, blackholed or resetting
/// and clear it again, as the lab does between scenarios.
/// </summary>
[Trait(TestTiers.Name, TestTiers.Services)]
public sealed class CacheRelayStack : IAsyncLifetime
{
    public const string Link = "cache";

    public LocalServices Services { get; } = new();

    internal PrivateDatabase Database { get; private set; } = null!;

    internal GoldenPathProcess App { get; private set; } = null!;

    internal RelayHost Relay { get; private set; } = null!;

    public string ApiKey { get; } = TestStack.NewApiKey();

    public string DrillsDirectory { get; } = Directory.CreateTempSubdirectory("goldenpath-drills-").FullName;

    public async Task InitializeAsync()
    {
        await Services.InitializeAsync();
        Database = await PrivateDatabase.CreateAsync(Services);
        Relay = await RelayHost.StartAsync(
            [new RelayLink(Link, new IPEndPoint(IPAddress.Loopback, 0), new IPEndPoint(IPAddress.Loopback, Services.RedisPort))],
            control: null,
            CancellationToken.None);
        var environment = TestStack.Healthy(Services, Database, TestStack.NewJwtSecret(), ApiKey);
        environment["ConnectionStrings__Redis"] = $"redis://:{Uri.EscapeDataString(Services.RedisPassword)}@127.0.0.1:{Relay.ListenEndPoint(Link).Port}/0";
        environment["Drills__Directory"] = DrillsDirectory;
        App = GoldenPathProcess.Start(environment);
        await App.WaitUntilReadyAsync(TimeSpan.FromSeconds(90));
    }

    public async Task DisposeAsync()
    {
        if (App is not null)
        {
            await App.DisposeAsync();
        }

        if (Relay is not null)
        {
            await Relay.DisposeAsync();
        }

        if (Database is not null)
        {
            await Database.DisposeAsync();
        }

        Directory.Delete(DrillsDirectory, recursive: true);
    }
}

/// <summary>
/// Redis is optional: a slow, blackholed or resetting cache path costs an uncached answer within the
/// redis dependency's request timeout (500 ms in the Lab profile), never a stalled chat; once its
/// breaker is open, writes are skipped at once; and answers are cached again promptly once the path is healthy.
/// </summary>
[Trait(TestTiers.Name, TestTiers.Services)]
[Collection(LocalServices.Collection)]
public sealed class CacheFaultTests(CacheRelayStack stack) : IClassFixture<CacheRelayStack>, IAsyncLifetime
{
    private const string Question = "what is 6 times 7?";

    /// <summary>The longest a chat may take while the cache path is faulty: the 500 ms cache bound plus generous room for a loaded machine, well under StackExchange.Redis's own 5 s timeout.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(2.5);

    /// <summary>How soon after the fault is cleared answers must be cached again: the redis breaker (opened by the fault) lets a trial through after its 5 s break (Lab profile), plus a reconnect and room for a loaded machine.</summary>
    private static readonly TimeSpan Recovery = TimeSpan.FromSeconds(12);

    private static readonly string[] AllEvents = ["agent_started", "agent_thinking", "tool_executing", "tool_completed", "agent_completed", "answer"];

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        stack.Relay.ClearAll();
        File.Delete(Path.Combine(stack.DrillsDirectory, Drills.CacheBlocksChat));
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Chat_CacheLinkBlackholed_AnswersWithinBoundUncachedAndServiceDegraded()
    {
        await using var chat = await Chat.OpenAsync(stack.App);
        await chat.UntilCachedAsync(stack.App);

        stack.Relay.SetFault(CacheRelayStack.Link, FaultSpec.Blackhole());
        var first = await chat.AskAsync();
        var second = await chat.AskAsync();
        var health = await HealthProbe.WaitForInfrastructureStatusAsync(stack.App, stack.ApiKey, "degraded");

        foreach (var run in new[] { first, second })
        {
            Assert.Equal(AllEvents, run.Types);
            Assert.False(run.Cached);
            Assert.True(run.Elapsed < Bound, $"the chat took {run.Elapsed.TotalMilliseconds:F0} ms with the cache blackholed{Environment.NewLine}{stack.App.Output}");
        }

        var redis = health.GetProperty("components").GetProperty("redis");
        Assert.Equal("unhealthy", redis.GetProperty("status").GetString());
        Assert.Equal("healthy", health.GetProperty("components").GetProperty("postgres").GetProperty("status").GetString());
        Assert.Contains("not cached", stack.App.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chat_CacheLinkSlow_AnswersWithinBoundUncached()
    {
        await using var chat = await Chat.OpenAsync(stack.App);
        await chat.UntilCachedAsync(stack.App);

        stack.Relay.SetFault(CacheRelayStack.Link, FaultSpec.Latency(TimeSpan.FromSeconds(8)));
        var runs = new[] { await chat.AskAsync(), await chat.AskAsync(), await chat.AskAsync() };

        Assert.All(runs, run =>
        {
            Assert.Equal(AllEvents, run.Types);
            Assert.False(run.Cached);
            Assert.True(run.Elapsed < Bound, $"the chat took {run.Elapsed.TotalMilliseconds:F0} ms with the cache 8 s slow{Environment.NewLine}{stack.App.Output}");
        });
    }

    [Fact]
    public async Task Chat_CacheLinkResetting_AnswersWithinBoundUncached()
    {
        await using var chat = await Chat.OpenAsync(stack.App);
        await chat.UntilCachedAsync(stack.App);

        stack.Relay.SetFault(CacheRelayStack.Link, FaultSpec.Reset());
        await KillAppConnectionsAsync();
        var runs = new[] { await chat.AskAsync(), await chat.AskAsync(), await chat.AskAsync() };

        Assert.All(runs, run =>
        {
            Assert.Equal(AllEvents, run.Types);
            Assert.False(run.Cached);
            Assert.True(run.Elapsed < Bound, $"the chat took {run.Elapsed.TotalMilliseconds:F0} ms with the cache resetting{Environment.NewLine}{stack.App.Output}");
        });
    }

    [Theory]
    [InlineData("blackhole")]
    [InlineData("latency")]
    [InlineData("reset")]
    public async Task Chat_CacheFaultCleared_CachesAgainPromptlyWithoutStall(string fault)
    {
        await using var chat = await Chat.OpenAsync(stack.App);
        await chat.UntilCachedAsync(stack.App);
        stack.Relay.SetFault(CacheRelayStack.Link, fault switch
        {
            "blackhole" => FaultSpec.Blackhole(),
            "latency" => FaultSpec.Latency(TimeSpan.FromSeconds(8)),
            _ => FaultSpec.Reset(),
        });
        if (fault == "reset")
        {
            await KillAppConnectionsAsync();
        }

        // Writes in flight while the fault is on: their commands or replies are lost or late.
        Assert.False((await chat.AskAsync()).Cached);
        Assert.False((await chat.AskAsync()).Cached);

        stack.Relay.ClearAll();
        var cleared = Stopwatch.StartNew();
        var runs = new List<Run>();
        while (cleared.Elapsed < Recovery && runs.Count(r => r.Cached) < 3)
        {
            runs.Add(await chat.AskAsync());
            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }

        var shown = string.Join(", ", runs.Select(r => $"{(r.Cached ? "cached" : "uncached")} {r.Elapsed.TotalMilliseconds:F0} ms"));
        Assert.All(runs, run =>
        {
            Assert.Equal(AllEvents, run.Types);
            Assert.True(run.Elapsed < Bound, $"a chat after the {fault} fault was cleared took {run.Elapsed.TotalMilliseconds:F0} ms ({shown}){Environment.NewLine}{stack.App.Output}");
        });
        Assert.True(runs.Count(r => r.Cached) >= 3, $"answers were not cached again within {Recovery.TotalSeconds} s of clearing the {fault} fault ({shown}){Environment.NewLine}{stack.App.Output}");

        // Once cached again, every later answer is cached: the connection is sound, not flapping.
        var firstCached = runs.FindIndex(r => r.Cached);
        Assert.All(runs.Skip(firstCached), run => Assert.True(run.Cached, shown));
        await using var redis = await TestStack.RedisAsync(stack.Services);
        var value = await redis.GetDatabase().StringGetAsync(AnswerCache.KeyFor(chat.Username));
        Assert.True(value.HasValue, "the last answer is in Redis");
        using var cached = JsonDocument.Parse(value.ToString());
        Assert.Equal(runs[^1].RunId, cached.RootElement.GetProperty("run_id").GetGuid());
    }

    [Fact]
    public async Task Chat_CacheBlocksChatDrillOnCacheBlackholed_AnswerWaitsForTheCache()
    {
        await using var chat = await Chat.OpenAsync(stack.App);
        await chat.UntilCachedAsync(stack.App);
        await File.WriteAllTextAsync(Path.Combine(stack.DrillsDirectory, Drills.CacheBlocksChat), string.Empty);

        stack.Relay.SetFault(CacheRelayStack.Link, FaultSpec.Blackhole());
        var stalled = await chat.AskAsync();

        Assert.Equal(AllEvents, stalled.Types);
        Assert.False(stalled.Cached);
        Assert.True(stalled.Elapsed >= TimeSpan.FromSeconds(4), $"with the drill on, the answer waits for StackExchange.Redis's own timeout (5 s), not {stalled.Elapsed.TotalMilliseconds:F0} ms");
        Assert.True(stalled.GapAfterToolCompleted >= TimeSpan.FromSeconds(4), $"the wait sits between tool_completed and agent_completed ({stalled.GapAfterToolCompleted.TotalMilliseconds:F0} ms)");
    }

    /// <summary>Closes the app's Redis connections from the server side, so the app reconnects through the relay's current fault.</summary>
    private async Task KillAppConnectionsAsync()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{stack.Services.RedisPort},password={stack.Services.RedisPassword},allowAdmin=true");
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        var clients = await server.ClientListAsync();
        var killed = 0;
        foreach (var client in clients.Where(c => c.Name == "goldenpath"))
        {
            killed += (int)await server.ClientKillAsync(client.Id, clientType: null, endpoint: null, skipMe: true);
        }

        Assert.True(killed > 0, "the app had a Redis connection to close");
    }

    private sealed record Run(IReadOnlyList<string?> Types, bool Cached, Guid RunId, TimeSpan Elapsed, TimeSpan GapAfterToolCompleted);

    /// <summary>One user with one open WebSocket, asking the same question repeatedly and timing each run.</summary>
    private sealed class Chat : IAsyncDisposable
    {
        private readonly HttpClient _client;
        private readonly ClientWebSocket _socket;

        private Chat(HttpClient client, ClientWebSocket socket, string username)
        {
            _client = client;
            _socket = socket;
            Username = username;
        }

        public string Username { get; }

        public static async Task<Chat> OpenAsync(GoldenPathProcess app)
        {
            var client = app.CreateClient();
            var username = TestStack.NewUsername();
            using var registered = await ChatClient.RegisterAsync(client, username, "correct horse battery");
            Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
            var socket = await ChatClient.ConnectAsync(app.BaseAddress, await ChatClient.TokenAsync(registered));
            return new Chat(client, socket, username);
        }

        /// <summary>Asks until an answer is cached (the stack is healthy again after an earlier test's fault); fails after 15 s.</summary>
        public async Task UntilCachedAsync(GoldenPathProcess app)
        {
            var watch = Stopwatch.StartNew();
            while (!(await AskAsync()).Cached)
            {
                Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), $"the healthy stack does not cache answers{Environment.NewLine}{app.Output}");
                await Task.Delay(TimeSpan.FromMilliseconds(250));
            }
        }

        public async Task<Run> AskAsync()
        {
            using var timeout = new CancellationTokenSource(ChatClient.Deadline);
            var request = JsonSerializer.SerializeToUtf8Bytes(new { type = "chat", text = Question });
            var watch = Stopwatch.StartNew();
            await _socket.SendAsync(request, WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
            var types = new List<string?>();
            var cached = false;
            var runId = Guid.Empty;
            var toolCompletedAt = TimeSpan.Zero;
            var completedAt = TimeSpan.Zero;
            while (true)
            {
                using var json = JsonDocument.Parse(await ChatClient.ReceiveAsync(_socket, timeout.Token));
                var type = json.RootElement.GetProperty("type").GetString();
                types.Add(type);
                switch (type)
                {
                    case "tool_completed":
                        toolCompletedAt = watch.Elapsed;
                        break;
                    case "agent_completed":
                        completedAt = watch.Elapsed;
                        cached = json.RootElement.GetProperty("payload").GetProperty("cached").GetBoolean();
                        runId = json.RootElement.GetProperty("run_id").GetGuid();
                        break;
                    default:
                        break;
                }

                if (type is "answer" or "error")
                {
                    return new Run(types, cached, runId, watch.Elapsed, completedAt - toolCompletedAt);
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            using var close = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", close.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
                // The test already has its answer.
            }

            _socket.Dispose();
            _client.Dispose();
        }
    }
}
