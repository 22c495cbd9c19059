using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Faultline.TestSupport;
using Npgsql;

namespace GoldenPath.Tests;

/// <summary>One GoldenPath process against the real PostgreSQL (a private database) and Redis, shared by the tests of <see cref="GoldenPathTests"/>.</summary>
[Trait(TestTiers.Name, TestTiers.Services)]
public sealed class HealthyStack : IAsyncLifetime
{
    public LocalServices Services { get; } = new();

    internal PrivateDatabase Database { get; private set; } = null!;

    internal GoldenPathProcess App { get; private set; } = null!;

    public string JwtSecret { get; } = TestStack.NewJwtSecret();

    public string ApiKey { get; } = TestStack.NewApiKey();

    public string DemoPassword { get; } = "demo-" + TestStack.NewApiKey();

    /// <summary>The app's Drills__Directory: a file named after a drill turns that application bug on.</summary>
    public string DrillsDirectory { get; } = Directory.CreateTempSubdirectory("goldenpath-drills-").FullName;

    public async Task InitializeAsync()
    {
        await Services.InitializeAsync();
        Database = await PrivateDatabase.CreateAsync(Services);
        var environment = TestStack.Healthy(Services, Database, JwtSecret, ApiKey);
        environment["Demo__Password"] = DemoPassword;
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

        if (Database is not null)
        {
            await Database.DisposeAsync();
        }

        Directory.Delete(DrillsDirectory, recursive: true);
    }
}

[Trait(TestTiers.Name, TestTiers.Services)]
[Collection(LocalServices.Collection)]
public sealed class GoldenPathTests(HealthyStack stack) : IClassFixture<HealthyStack>
{
    private static readonly string[] FiveEvents = ["agent_started", "agent_thinking", "tool_executing", "tool_completed", "agent_completed"];

    [Fact]
    public async Task Chat_SixTimesSeven_StreamsFiveEventsAnswers42PersistsAndCaches()
    {
        using var client = stack.App.CreateClient();

        var (username, token, events) = await ChatClient.GoldenPathAsync(client, "what is 6 times 7?");

        Assert.Equal([.. FiveEvents, "answer"], events.Select(e => e.GetProperty("type").GetString()));
        var runId = events[0].GetProperty("run_id").GetGuid();
        var previous = DateTimeOffset.MinValue;
        foreach (var e in events)
        {
            Assert.Equal(runId, e.GetProperty("run_id").GetGuid());
            Assert.Equal("calculator-agent", e.GetProperty("agent_name").GetString());
            var timestamp = DateTimeOffset.Parse(e.GetProperty("timestamp").GetString()!, CultureInfo.InvariantCulture);
            Assert.True(timestamp >= previous, "timestamps never go back");
            previous = timestamp;
            Assert.Equal(JsonValueKind.Object, e.GetProperty("payload").ValueKind);
        }

        Assert.Equal("what is 6 times 7?", events[0].GetProperty("payload").GetProperty("text").GetString());
        Assert.Equal("calculator", events[2].GetProperty("payload").GetProperty("tool").GetString());
        Assert.Equal("6 * 7", events[2].GetProperty("payload").GetProperty("input").GetProperty("expression").GetString());
        Assert.Equal("42", events[3].GetProperty("payload").GetProperty("output").GetString());
        var completed = events[4].GetProperty("payload");
        Assert.Equal("42", completed.GetProperty("answer").GetString());
        Assert.True(completed.GetProperty("stored").GetBoolean());
        Assert.True(completed.GetProperty("cached").GetBoolean());
        Assert.Equal("42", events[5].GetProperty("payload").GetProperty("text").GetString());

        // Persisted in PostgreSQL: the conversation under the run id, the user's message and the answer.
        await using (var connection = new NpgsqlConnection(stack.Database.AdminConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                "SELECT u.username, m.role, m.content FROM conversations c JOIN users u ON u.id = c.user_id JOIN messages m ON m.run_id = c.run_id WHERE c.run_id = @run ORDER BY m.id",
                connection);
            command.Parameters.AddWithValue("run", runId);
            await using var reader = await command.ExecuteReaderAsync();
            var rows = new List<(string User, string Role, string Content)>();
            while (await reader.ReadAsync())
            {
                rows.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));
            }

            Assert.Equal([(username, "user", "what is 6 times 7?"), (username, "agent", "42")], rows);
        }

        // Cached in Redis: the user's last answer.
        await using (var redis = await TestStack.RedisAsync(stack.Services))
        {
            var key = AnswerCache.KeyFor(username);
            var value = await redis.GetDatabase().StringGetAsync(key);
            Assert.True(value.HasValue, $"{key} is in Redis");
            using var cached = JsonDocument.Parse(value.ToString());
            Assert.Equal(runId, cached.RootElement.GetProperty("run_id").GetGuid());
            Assert.Equal("42", cached.RootElement.GetProperty("answer").GetString());
            await redis.GetDatabase().KeyDeleteAsync(key);
        }

        // Readable through the API by its owner.
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"api/conversations/{runId}", UriKind.Relative));
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var conversation = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(runId, conversation.RootElement.GetProperty("run_id").GetGuid());
        Assert.Equal(["what is 6 times 7?", "42"], conversation.RootElement.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("content").GetString()));
    }

    [Fact]
    public async Task Chat_AccessTokenQuery_AnswersLikeTheBearerHeader()
    {
        using var client = stack.App.CreateClient();
        var username = TestStack.NewUsername();
        using var registered = await ChatClient.RegisterAsync(client, username, "a long password");
        var token = await ChatClient.TokenAsync(registered);

        using var socket = await ChatClient.ConnectAsync(stack.App.BaseAddress, bearer: null, accessToken: token);
        var events = await ChatClient.ChatAsync(socket, "12 divided by 8");

        Assert.Equal("1.5", events[^1].GetProperty("payload").GetProperty("text").GetString());
    }

    [Fact]
    public async Task Chat_NotArithmetic_FallbackAnswerWithoutToolEvents()
    {
        using var client = stack.App.CreateClient();

        var (_, token, events) = await ChatClient.GoldenPathAsync(client, "tell me a story");

        Assert.Equal(["agent_started", "agent_thinking", "agent_completed", "answer"], events.Select(e => e.GetProperty("type").GetString()));
        Assert.Equal(CalculatorAgent.FallbackAnswer, events[^1].GetProperty("payload").GetProperty("text").GetString());

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("api/history", UriKind.Relative));
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var response = await client.SendAsync(request);
        using var history = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var only = Assert.Single(history.RootElement.GetProperty("conversations").EnumerateArray());
        Assert.Equal(events[0].GetProperty("run_id").GetGuid(), only.GetProperty("run_id").GetGuid());
    }

    [Fact]
    public async Task Chat_InvalidMessage_ErrorEventAndSocketStaysOpen()
    {
        using var client = stack.App.CreateClient();
        using var registered = await ChatClient.RegisterAsync(client, TestStack.NewUsername(), "a long password");
        using var socket = await ChatClient.ConnectAsync(stack.App.BaseAddress, await ChatClient.TokenAsync(registered));
        using var timeout = new CancellationTokenSource(ChatClient.Deadline);

        await socket.SendAsync("not json"u8.ToArray(), System.Net.WebSockets.WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
        using var error = JsonDocument.Parse(await ChatClient.ReceiveAsync(socket, timeout.Token));
        var events = await ChatClient.ChatAsync(socket, "what is 2 plus 2?");

        Assert.Equal("error", error.RootElement.GetProperty("type").GetString());
        Assert.Equal("invalid_json", error.RootElement.GetProperty("payload").GetProperty("code").GetString());
        Assert.Equal("4", events[^1].GetProperty("payload").GetProperty("text").GetString());
    }

    [Fact]
    public async Task Chat_WithoutToken_Returns401()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, await ChatClient.RefusedUpgradeStatusAsync(stack.App.BaseAddress, bearer: null));
    }

    [Fact]
    public async Task Chat_TokenSignedWithAnotherSecret_Returns401()
    {
        using var client = stack.App.CreateClient();
        using var registered = await ChatClient.RegisterAsync(client, TestStack.NewUsername(), "a long password");
        var token = await ChatClient.TokenAsync(registered);
        var parts = token.Split('.');
        var forged = $"{parts[0]}.{parts[1]}.{new string('A', parts[2].Length)}";

        Assert.Equal(HttpStatusCode.Unauthorized, await ChatClient.RefusedUpgradeStatusAsync(stack.App.BaseAddress, forged));
    }

    [Fact]
    public async Task Login_WrongPassword_Returns401()
    {
        using var client = stack.App.CreateClient();
        var username = TestStack.NewUsername();
        using var registered = await ChatClient.RegisterAsync(client, username, "the right password");

        using var wrong = await ChatClient.LoginAsync(client, username, "the wrong password");
        using var unknown = await ChatClient.LoginAsync(client, TestStack.NewUsername(), "the right password");

        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal("invalid_credentials", (await wrong.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
    }

    [Fact]
    public async Task Login_DemoUserFromConfiguration_Succeeds()
    {
        using var client = stack.App.CreateClient();

        using var login = await ChatClient.LoginAsync(client, "demo", stack.DemoPassword);

        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.NotEmpty(await ChatClient.TokenAsync(login));
    }

    [Fact]
    public async Task Register_Duplicate_Returns409()
    {
        using var client = stack.App.CreateClient();
        var username = TestStack.NewUsername();
        using var first = await ChatClient.RegisterAsync(client, username, "a long password");

        using var second = await ChatClient.RegisterAsync(client, username.ToUpperInvariant(), "another password");

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        Assert.Equal("username_taken", (await second.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("{\"username\":\"ab\",\"password\":\"long enough\"}", "invalid_username")]
    [InlineData("{\"username\":\"valid-name\",\"password\":\"short\"}", "invalid_password")]
    [InlineData("{\"username\":", "invalid_request")]
    public async Task Register_InvalidBody_Returns400(string body, string error)
    {
        using var client = stack.App.CreateClient();
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");

        using var response = await client.PostAsync(new Uri("api/register", UriKind.Relative), content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(error, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Health_HealthyStack_ReadyAndInfrastructureHealthy()
    {
        using var client = stack.App.CreateClient();

        using var ready = await client.GetAsync(new Uri("health/ready", UriKind.Relative));
        var infrastructure = await HealthProbe.WaitForInfrastructureStatusAsync(stack.App, stack.ApiKey, "healthy");

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var components = infrastructure.GetProperty("components");
        Assert.Equal("healthy", components.GetProperty("postgres").GetProperty("status").GetString());
        Assert.Equal("healthy", components.GetProperty("redis").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Output_AfterTraffic_HasNoSecret()
    {
        using var client = stack.App.CreateClient();
        await ChatClient.GoldenPathAsync(client, "what is 3 minus 5?");
        using var infrastructure = new HttpRequestMessage(HttpMethod.Get, new Uri("health/infrastructure", UriKind.Relative));
        infrastructure.Headers.Add("X-Api-Key", stack.ApiKey);
        using var response = await client.SendAsync(infrastructure);
        var body = await response.Content.ReadAsStringAsync();

        foreach (var secret in new[] { stack.JwtSecret, stack.ApiKey, stack.DemoPassword, stack.Services.PgPassword, stack.Services.RedisPassword })
        {
            Assert.DoesNotContain(secret, stack.App.Output, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, body, StringComparison.Ordinal);
        }
    }
}
