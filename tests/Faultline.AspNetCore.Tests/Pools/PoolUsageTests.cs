using System.Net;
using System.Text.Json;
using Faultline.AspNetCore.Pools;
using Faultline.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Faultline.AspNetCore.Tests.Pools;

/// <summary>
/// Pool use in <c>/health/infrastructure</c>, from Npgsql's own metrics, with real connections held open on the real
/// PostgreSQL: 80 % busy warns, full with a request waiting fails (and takes readiness with it for a critical
/// dependency), released is healthy again.
/// </summary>
[Trait(TestTiers.Name, TestTiers.Services)]
[Collection(LocalServices.Collection)]
public sealed class PoolUsageTests(LocalServices services)
{
    private const string Name = "orders-db";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private string Pooled => $"Host=127.0.0.1;Port={services.PgPort};Username=faultline;Password={services.PgPassword};Database=faultline;SSL Mode=Disable";

    [Fact]
    public async Task Infrastructure_PoolFilledWithRealConnections_WarnsAt80PercentFailsFullWithAWaiterHealthyAfterRelease()
    {
        await using var app = await TestApp.StartAsync(
            (f, _) => f.AddPostgres(Name, Pooled, o => o.CheckTimeout = TimeSpan.FromSeconds(10)),
            new Dictionary<string, string?>
            {
                [$"Faultline:Pools:{Name}:MaxSize"] = "5",
                [$"Faultline:Pools:{Name}:MinSize"] = "0",

                // The request that finds the pool full waits for as long as the test needs it to.
                [$"Faultline:Pools:{Name}:ConnectionTimeout"] = "00:02:00",
                ["Faultline:Health:Interval"] = "00:00:00.100",
            });
        await app.WaitForStartupAsync();
        var dataSource = app.App.Services.GetRequiredKeyedService<NpgsqlDataSource>(Name);
        var held = new List<NpgsqlConnection>();
        using var cancel = new CancellationTokenSource();
        Task<NpgsqlConnection>? waiter = null;
        try
        {
            for (var i = 0; i < 4; i++)
            {
                held.Add(await dataSource.OpenConnectionAsync());
            }

            var (status, body, component) = await InfrastructureAsync(app, c => Pool(c).GetProperty("busy").GetInt32() == 4);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("degraded", component.GetProperty("status").GetString());
            Assert.Equal("degraded", body.GetProperty("status").GetString());
            Assert.Equal((4, 5, 0, 0.8), (Pool(component).GetProperty("busy").GetInt32(), Pool(component).GetProperty("max").GetInt32(), Pool(component).GetProperty("waiting").GetInt32(), Pool(component).GetProperty("utilization").GetDouble()));
            Assert.Equal(JsonValueKind.Null, component.GetProperty("errorKind").ValueKind);
            Assert.Equal(HttpStatusCode.OK, (await app.GetAsync("/health/ready")).Status);

            held.Add(await dataSource.OpenConnectionAsync());
            (status, _, component) = await InfrastructureAsync(app, c => Pool(c).GetProperty("busy").GetInt32() == 5);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("degraded", component.GetProperty("status").GetString());
            Assert.Equal(0, Pool(component).GetProperty("waiting").GetInt32());

            // One more request: the pool is full, so it waits in Npgsql's queue.
            waiter = dataSource.OpenConnectionAsync(cancel.Token).AsTask();
            (status, body, component) = await InfrastructureAsync(app, c => Pool(c).GetProperty("waiting").GetInt32() == 1);
            Assert.False(waiter.IsCompleted);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            Assert.Equal("unhealthy", body.GetProperty("status").GetString());
            Assert.Equal("unhealthy", component.GetProperty("status").GetString());
            Assert.Equal("pool-exhausted", component.GetProperty("errorKind").GetString());
            Assert.Equal(("database", "application"), (component.GetProperty("layer").GetString(), component.GetProperty("side").GetString()));
            Assert.Equal((5, 5, 0), (Pool(component).GetProperty("busy").GetInt32(), Pool(component).GetProperty("max").GetInt32(), Pool(component).GetProperty("idle").GetInt32()));
            Assert.Contains(body.GetProperty("remedies").EnumerateArray(), r => r.GetString()!.Contains($"Faultline:Pools:{Name}:MaxSize", StringComparison.Ordinal));
            var ready = await app.GetAsync("/health/ready");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.Status);
            Assert.Equal([Name], ready.Body.GetProperty("failing").EnumerateArray().Select(e => e.GetString()));

            // Release: the waiter gets a connection, then everything goes back to the pool.
            foreach (var connection in held)
            {
                await connection.DisposeAsync();
            }

            held.Clear();
            await using (await waiter.WaitAsync(Deadline))
            {
            }

            (status, body, component) = await InfrastructureAsync(app, c => Pool(c).GetProperty("busy").GetInt32() == 0);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("healthy", component.GetProperty("status").GetString());
            Assert.Equal("healthy", body.GetProperty("status").GetString());
            Assert.Equal((0, 5, 0, 0L), (Pool(component).GetProperty("busy").GetInt32(), Pool(component).GetProperty("max").GetInt32(), Pool(component).GetProperty("waiting").GetInt32(), Pool(component).GetProperty("timeouts").GetInt64()));
            Assert.InRange(Pool(component).GetProperty("idle").GetInt32(), 1, 5);
            Assert.Equal(HttpStatusCode.OK, (await app.GetAsync("/health/ready")).Status);
        }
        finally
        {
            await cancel.CancelAsync();
            foreach (var connection in held)
            {
                await connection.DisposeAsync();
            }

            if (waiter is not null)
            {
                try
                {
                    await (await waiter).DisposeAsync();
                }
                catch (OperationCanceledException)
                {
                }
            }
        }
    }

    [Fact]
    public async Task Infrastructure_DataSourceNeverUsed_ReportsNoPool()
    {
        await using var app = await TestApp.StartAsync((f, _) => f.AddPostgres(Name, Pooled), new Dictionary<string, string?> { ["Faultline:Health:Interval"] = "00:00:00.100" });
        await app.WaitForStartupAsync();
        await app.WaitForRoundsAsync(2);

        var (_, body, _, _) = await app.GetAsync("/health/infrastructure");

        var component = body.GetProperty("components").GetProperty(Name);
        Assert.Equal("healthy", component.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, component.GetProperty("pool").ValueKind);
    }

    [Theory]
    [InlineData(3, 5, 0, "Normal")]
    [InlineData(4, 5, 0, "High")]
    [InlineData(5, 5, 0, "High")]
    [InlineData(5, 5, 1, "Exhausted")]
    [InlineData(19, 25, 0, "Normal")]
    [InlineData(20, 25, 0, "High")]
    [InlineData(25, 25, 3, "Exhausted")]
    [InlineData(0, 0, 0, "Normal")]
    public void Judge_BusyMaxWaiting_80PercentHighFullWithWaitersExhausted(int busy, int max, int waiting, string expected) =>
        Assert.Equal(Enum.Parse<PoolLoad>(expected), PoolJudge.Judge(new PoolUsage(busy, Math.Max(0, max - busy), max, waiting, 0)));

    /// <summary>
    /// Reads <c>/health/infrastructure</c> after each completed background round until the dependency's component satisfies
    /// <paramref name="until"/> (a round that began after the connections changed), then returns that answer.
    /// </summary>
    private static async Task<(HttpStatusCode Status, JsonElement Body, JsonElement Component)> InfrastructureAsync(TestApp app, Func<JsonElement, bool> until)
    {
        var health = app.App.Services.GetRequiredService<Faultline.AspNetCore.Health.HealthState>();
        using var deadline = new CancellationTokenSource(Deadline);
        while (true)
        {
            var rounds = health.Rounds;
            while (health.Rounds < rounds + 1)
            {
                await Task.Delay(10, deadline.Token);
            }

            var (status, body, _, text) = await app.GetAsync("/health/infrastructure");
            var component = body.GetProperty("components").GetProperty(Name);
            if (component.GetProperty("pool").ValueKind == JsonValueKind.Object && until(component))
            {
                return (status, body, component);
            }

            Assert.False(deadline.IsCancellationRequested, $"no matching answer before the deadline; last: {text}");
        }
    }

    private static JsonElement Pool(JsonElement component) => component.GetProperty("pool");
}
