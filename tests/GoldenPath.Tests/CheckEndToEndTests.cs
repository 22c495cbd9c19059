using System.Text.Json;
using Faultline.TestSupport;
using Npgsql;

namespace GoldenPath.Tests;

/// <summary>
/// The golden path end to end, driven the way an on-call engineer drives it: <c>faultline check</c> with a
/// <c>websocket</c> target (login, upgrade, chat, five events in order) and a <c>remote</c> target reading
/// the service's own <c>/health/infrastructure</c>, against a real GoldenPath on real PostgreSQL and Redis.
/// </summary>
[Trait(TestTiers.Name, TestTiers.Services)]
[Collection(LocalServices.Collection)]
public sealed class CheckEndToEndTests(HealthyStack stack) : IClassFixture<HealthyStack>
{
    [Fact]
    public async Task Check_GoldenPathWebSocketAndRemote_PassesAndPersistsTheAnswer()
    {
        var baseUrl = stack.App.BaseAddress.ToString().TrimEnd('/');
        var wsUrl = "ws" + baseUrl["http".Length..] + "/ws";
        var before = await CountDemoAnswersAsync();
        var config = Path.Combine(Path.GetTempPath(), $"faultline-e2e-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(config, $$"""
            environment: e2e
            defaults: { timeout: 20s }
            targets:
              - { name: api-live, kind: http, url: "{{baseUrl}}/health/live", conditions: ["[STATUS] == 200"] }
              - name: golden-path
                kind: websocket
                url: "{{wsUrl}}"
                login: { url: "{{baseUrl}}/api/login", body: { username: demo, password: "{{stack.DemoPassword}}" }, token: "$.token" }
                send: { type: chat, text: "what is 6 times 7?" }
                expect: [agent_started, agent_thinking, tool_executing, tool_completed, agent_completed, answer]
                deadline: 15s
                dependsOn: [api-live]
              - { name: api, kind: remote, url: "{{baseUrl}}/health/infrastructure", apiKey: "{{stack.ApiKey}}" }
            """);
        try
        {
            using var output = new StringWriter();
            using var error = new StringWriter();
            var exit = await Faultline.Cli.Cli.InvokeAsync(Faultline.Cli.Program.BuildRoot(output, error), ["check", "--config", config, "--format", "json"], error);
            var json = output.ToString();

            Assert.True(exit == 0, $"exit {exit}\n{json}\n{error}\n{stack.App.Output}");
            using var report = JsonDocument.Parse(json);
            Assert.Equal("healthy", report.RootElement.GetProperty("status").GetString());
            var results = report.RootElement.GetProperty("results").EnumerateArray().ToDictionary(r => r.GetProperty("name").GetString()!);
            Assert.Equal("pass", results["golden-path"].GetProperty("status").GetString());
            Assert.Equal("websocket", results["golden-path"].GetProperty("kind").GetString());

            // The service's inside view is folded in, one result per component.
            Assert.Contains("api/postgres", results.Keys);
            Assert.Contains("api/redis", results.Keys);
            Assert.Equal("pass", results["api/postgres"].GetProperty("status").GetString());

            // Nothing secret in the report: the demo password, the API key, the JWT secret.
            Assert.DoesNotContain(stack.DemoPassword, json, StringComparison.Ordinal);
            Assert.DoesNotContain(stack.ApiKey, json, StringComparison.Ordinal);
            Assert.DoesNotContain(stack.JwtSecret, json, StringComparison.Ordinal);

            // The websocket probe's chat really ran through the service: its answer is stored in PostgreSQL.
            Assert.Equal(before + 1, await CountDemoAnswersAsync());
        }
        finally
        {
            File.Delete(config);
        }
    }

    private async Task<long> CountDemoAnswersAsync()
    {
        var connection = new NpgsqlConnection(stack.Database.ConnectionString);
        await using (connection.ConfigureAwait(false))
        {
            await connection.OpenAsync();
            var command = new NpgsqlCommand(
                "SELECT count(*) FROM messages m JOIN conversations c ON c.run_id = m.run_id JOIN users u ON u.id = c.user_id WHERE u.username = 'demo' AND m.role = 'agent' AND m.content = '42'",
                connection);
            await using (command.ConfigureAwait(false))
            {
                return (long)(await command.ExecuteScalarAsync())!;
            }
        }
    }
}
