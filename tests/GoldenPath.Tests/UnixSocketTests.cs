using System.Text.Json;
using Faultline.TestSupport;

namespace GoldenPath.Tests;

/// <summary>
/// GoldenPath on a unix socket connection string, as on Cloud Run with Cloud SQL (<c>Host=/cloudsql/PROJECT:REGION:INSTANCE</c>):
/// here the local PostgreSQL's own socket directory.
/// </summary>
[Trait(TestTiers.Name, TestTiers.Services)]
[Collection(LocalServices.Collection)]
public sealed class UnixSocketTests(LocalServices services) : IAsyncLifetime
{
    private PrivateDatabase _database = null!;

    public async Task InitializeAsync() => _database = await PrivateDatabase.CreateAsync(services);

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task Run_PostgresOnItsUnixSocket_StartsAndTheGoldenPathStoresTheAnswer()
    {
        var apiKey = TestStack.NewApiKey();
        var environment = TestStack.Healthy(services, _database, TestStack.NewJwtSecret(), apiKey);
        environment["ConnectionStrings__Postgres"] =
            $"Host={services.PgSocketDirectory};Port={services.PgPort};Username=faultline;Password={services.PgPassword};Database={_database.Name}";
        environment.Remove("ConnectionStrings__Redis");
        await using var app = GoldenPathProcess.Start(environment);

        await app.WaitUntilReadyAsync(TimeSpan.FromSeconds(90));
        using var client = app.CreateClient();
        var (_, _, events) = await ChatClient.GoldenPathAsync(client, "what is 6 times 7?");

        var completed = events.Single(e => e.GetProperty("type").GetString() == "agent_completed").GetProperty("payload");
        Assert.Equal("42", completed.GetProperty("answer").GetString());
        Assert.True(completed.GetProperty("stored").GetBoolean());
        var postgres = await PostgresComponentAsync(app, apiKey);
        Assert.Equal("healthy", postgres.GetProperty("status").GetString());
        Assert.DoesNotContain(services.PgPassword, app.Output, StringComparison.Ordinal);
    }

    /// <summary>The <c>postgres</c> component of <c>/health/infrastructure</c> once the background check has reported it.</summary>
    private static async Task<JsonElement> PostgresComponentAsync(GoldenPathProcess app, string apiKey)
    {
        using var client = app.CreateClient();
        var started = TimeProvider.System.GetTimestamp();
        var last = string.Empty;
        while (TimeProvider.System.GetElapsedTime(started) < HealthProbe.Deadline)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("health/infrastructure", UriKind.Relative));
            request.Headers.Add("X-Api-Key", apiKey);
            using var response = await client.SendAsync(request);
            last = await response.Content.ReadAsStringAsync();
            if (response.Content.Headers.ContentType?.MediaType?.Contains("json", StringComparison.Ordinal) == true)
            {
                using var json = JsonDocument.Parse(last);
                if (json.RootElement.TryGetProperty("components", out var components)
                    && components.TryGetProperty("postgres", out var postgres)
                    && postgres.TryGetProperty("status", out var status)
                    && status.GetString() is "healthy" or "unhealthy")
                {
                    return postgres.Clone();
                }
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }

        throw new TimeoutException($"/health/infrastructure did not report postgres within {HealthProbe.Deadline.TotalSeconds} s; last answer: {last}");
    }
}
