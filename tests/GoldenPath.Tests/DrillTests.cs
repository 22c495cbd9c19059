using System.Net;
using System.Text.Json;
using Faultline.TestSupport;

namespace GoldenPath.Tests;

/// <summary>The sample's drills: application bugs switched on by a file, for the lab's application scenarios.</summary>
[Trait(TestTiers.Name, TestTiers.Services)]
[Collection(LocalServices.Collection)]
public sealed class DrillTests(HealthyStack stack) : IClassFixture<HealthyStack>
{
    [Fact]
    public async Task Login_Login500DrillOn_Answers500WithoutDetailThenRecovers()
    {
        using var client = stack.App.CreateClient();
        var username = TestStack.NewUsername();
        using (var registered = await ChatClient.RegisterAsync(client, username, "correct horse battery"))
        {
            Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        }

        var drill = Path.Combine(stack.DrillsDirectory, "login-500");
        await File.WriteAllTextAsync(drill, string.Empty);
        try
        {
            using var failed = await ChatClient.LoginAsync(client, username, "correct horse battery");
            Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
            Assert.DoesNotContain("drill", await failed.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        }
        finally
        {
            File.Delete(drill);
        }

        using var login = await ChatClient.LoginAsync(client, username, "correct horse battery");
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
    }

    [Fact]
    public async Task Chat_AgentCompletedMissingDrillOn_StreamsEverythingButTheCompletion()
    {
        using var client = stack.App.CreateClient();
        var username = TestStack.NewUsername();
        using (var registered = await ChatClient.RegisterAsync(client, username, "correct horse battery"))
        {
            Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        }

        using var login = await ChatClient.LoginAsync(client, username, "correct horse battery");
        var token = await ChatClient.TokenAsync(login);
        var drill = Path.Combine(stack.DrillsDirectory, "agent-completed-missing");
        await File.WriteAllTextAsync(drill, string.Empty);
        try
        {
            using var socket = await ChatClient.ConnectAsync(client.BaseAddress!, token);
            await socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(new { type = "chat", text = "what is 6 times 7?" }), System.Net.WebSockets.WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
            var types = new List<string?>();
            using var quiet = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            try
            {
                while (true)
                {
                    using var json = JsonDocument.Parse(await ChatClient.ReceiveAsync(socket, quiet.Token));
                    types.Add(json.RootElement.GetProperty("type").GetString());
                }
            }
            catch (OperationCanceledException)
            {
                // Nothing more came within three seconds: the run ended without its completion.
            }

            Assert.Equal(["agent_started", "agent_thinking", "tool_executing", "tool_completed"], types);
        }
        finally
        {
            File.Delete(drill);
        }

        var (_, _, events) = await ChatClient.GoldenPathAsync(client, "what is 6 times 7?");
        Assert.Contains(events, e => e.GetProperty("type").GetString() == "agent_completed");
    }

    [Fact]
    public async Task Chat_ToolCompletedMissingDrillOn_SkipsToolCompletedButStillAnswers()
    {
        using var client = stack.App.CreateClient();
        var username = TestStack.NewUsername();
        using (var registered = await ChatClient.RegisterAsync(client, username, "correct horse battery"))
        {
            Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        }

        using var login = await ChatClient.LoginAsync(client, username, "correct horse battery");
        var token = await ChatClient.TokenAsync(login);
        var drill = Path.Combine(stack.DrillsDirectory, "tool-completed-missing");
        await File.WriteAllTextAsync(drill, string.Empty);
        IReadOnlyList<JsonElement> events;
        try
        {
            using var socket = await ChatClient.ConnectAsync(client.BaseAddress!, token);
            events = await ChatClient.ChatAsync(socket, "what is 6 times 7?");
        }
        finally
        {
            File.Delete(drill);
        }

        Assert.Equal(["agent_started", "agent_thinking", "tool_executing", "agent_completed", "answer"], events.Select(e => e.GetProperty("type").GetString()));
        Assert.Equal("42", events[^1].GetProperty("payload").GetProperty("text").GetString());

        var (_, _, healthy) = await ChatClient.GoldenPathAsync(client, "what is 6 times 7?");
        Assert.Equal(["agent_started", "agent_thinking", "tool_executing", "tool_completed", "agent_completed", "answer"], healthy.Select(e => e.GetProperty("type").GetString()));
    }
}
