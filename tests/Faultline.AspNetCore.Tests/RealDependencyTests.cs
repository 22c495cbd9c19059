using System.Net;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Faultline.AspNetCore.Tests;

[Trait(TestTiers.Name, TestTiers.Services)]
[Collection(LocalServices.Collection)]
public sealed class RealDependencyTests(LocalServices services)
{
    [Fact]
    public async Task Startup_RealPostgresAndRedis_CompletesHealthyWithBothComponents()
    {
        var postgres = new TargetSpec { Name = "postgres", Kind = TargetKinds.Postgres, ConnectionString = services.AppConnectionString, Timeout = TimeSpan.FromSeconds(5) };
        var redis = new TargetSpec { Name = "redis", Kind = TargetKinds.Redis, ConnectionString = services.RedisUrl, Critical = false, Timeout = TimeSpan.FromSeconds(5) };
        await using var app = await TestApp.StartAsync((f, _) => f
            .AddPhase("database", async (c, ct) =>
            {
                await c.RequireAsync(postgres, ct);
                await using var connection = await c.Services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync(ct);
            }, p => p.Timing(PhaseTiming.Connection).Layer(Layer.Database))
            .AddPhase("cache", (c, ct) => c.RequireAsync(redis, ct), p => p.DependsOn("database").Optional().Layer(Layer.Cache))
            .AddPostgres(postgres.Name, postgres.ConnectionString, o => o.CheckTimeout = postgres.Timeout)
            .AddRedis(redis.Name, redis.ConnectionString, o => o.CheckTimeout = redis.Timeout));
        await app.WaitForStartupAsync();
        await app.WaitForRoundsAsync();

        var (status, body, _, text) = await app.GetAsync("/health/infrastructure");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("healthy", body.GetProperty("status").GetString());
        Assert.Equal("database", body.GetProperty("components").GetProperty("postgres").GetProperty("layer").GetString());
        Assert.Equal("cache", body.GetProperty("components").GetProperty("redis").GetProperty("layer").GetString());
        Assert.DoesNotContain(services.PgPassword, text, StringComparison.Ordinal);
        Assert.DoesNotContain(services.RedisPassword, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunFaultlineAsync_WrongDatabasePassword_ExitsThreeWithConfigurationLayer()
    {
        const string wrong = "not-the-password-5150";
        var connection = $"Host=127.0.0.1;Port={services.PgPort};Username=faultline;Password={wrong};Database=faultline;SSL Mode=Disable;Pooling=false";
        var (code, stderr) = await TestApp.RunToExitAsync((f, _) => f.AddPhase("database", async (c, ct) =>
        {
            // The phase's own Npgsql code, not a Faultline probe: the exception is typed by the postgres package.
            await using var db = await c.Services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync(ct);
        }, p => p.Timing(PhaseTiming.Connection).Layer(Layer.Database).Attempts(1))
            .AddPostgres("postgres", connection));

        Assert.Equal(3, code);
        Assert.Contains("database-auth-failed", stderr, StringComparison.Ordinal);
        Assert.Contains("layer configuration", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(wrong, stderr, StringComparison.Ordinal);
    }
}
