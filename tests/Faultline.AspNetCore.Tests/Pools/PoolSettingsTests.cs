using Faultline.AspNetCore.Pools;
using Faultline.Core.Config;
using Faultline.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using StackExchange.Redis;

namespace Faultline.AspNetCore.Tests.Pools;

/// <summary>
/// The pool of the data source <c>AddPostgres</c> registers and the timeouts of the options <c>AddRedis</c> registers:
/// the profile's defaults, <c>Faultline:Pools:&lt;name&gt;</c>, the connection string's own values, and every way
/// configuring them can go wrong (exit code 3).
/// </summary>
[Trait(TestTiers.Name, TestTiers.Services)]
[Collection(LocalServices.Collection)]
public sealed class PoolSettingsTests(LocalServices services)
{
    private string Pooled => $"Host=127.0.0.1;Port={services.PgPort};Username=faultline;Password={services.PgPassword};Database=faultline;SSL Mode=Disable";

    private string RedisOptions => $"127.0.0.1:{services.RedisPort},password={services.RedisPassword}";

    // profile, min, max, connection timeout s, idle lifetime s, lifetime s, command timeout s (README, "Connection pools per profile").
    [Theory]
    [InlineData(FaultlineProfile.Development, 5, 15, 30, 60, 1800, 30)]
    [InlineData(FaultlineProfile.Test, 5, 15, 20, 60, 1800, 30)]
    [InlineData(FaultlineProfile.Staging, 10, 25, 60, 300, 1800, 30)]
    [InlineData(FaultlineProfile.Production, 10, 25, 70, 300, 1800, 30)]
    [InlineData(FaultlineProfile.Lab, 0, 5, 2, 30, 1800, 5)]
    public async Task AddPostgres_EachProfile_BuildsTheDataSourceWithTheDocumentedPool(FaultlineProfile profile, int min, int max, int timeout, int idle, int lifetime, int command)
    {
        await using var app = await TestApp.StartAsync((f, _) => f.AddPostgres("postgres", Pooled), Settings(("Faultline:Profile", profile.ToString())));

        var pool = Pool(app);

        Assert.Equal((min, max, timeout, idle, lifetime, command), (pool.MinPoolSize, pool.MaxPoolSize, pool.Timeout, pool.ConnectionIdleLifetime, pool.ConnectionLifetime, pool.CommandTimeout));
        Assert.Equal(PoolDefaults.Postgres(profile), new PostgresPoolSettings(min, max, TimeSpan.FromSeconds(timeout), TimeSpan.FromSeconds(idle), TimeSpan.FromSeconds(lifetime), TimeSpan.FromSeconds(command)));
    }

    [Fact]
    public async Task AddPostgres_PoolsConfiguration_OverridesTheProfile()
    {
        await using var app = await TestApp.StartAsync(
            (f, _) => f.AddPostgres("orders", Pooled),
            Settings(
                ("Faultline:Profile", "Production"),
                ("Faultline:Pools:orders:MinSize", "2"),
                ("Faultline:Pools:orders:MaxSize", "7"),
                ("Faultline:Pools:orders:ConnectionTimeout", "00:00:09"),
                ("Faultline:Pools:orders:IdleLifetime", "00:00:45"),
                ("Faultline:Pools:orders:Lifetime", "00:10:00"),
                ("Faultline:Pools:orders:CommandTimeout", "00:00:12")));

        var pool = new NpgsqlConnectionStringBuilder(app.App.Services.GetRequiredKeyedService<NpgsqlDataSource>("orders").ConnectionString);

        Assert.Equal((2, 7, 9, 45, 600, 12), (pool.MinPoolSize, pool.MaxPoolSize, pool.Timeout, pool.ConnectionIdleLifetime, pool.ConnectionLifetime, pool.CommandTimeout));
    }

    [Fact]
    public async Task AddPostgres_ConnectionStringSetsAValue_ItWinsOverTheProfile()
    {
        await using var app = await TestApp.StartAsync((f, _) => f.AddPostgres("postgres", Pooled + ";Maximum Pool Size=9;Command Timeout=4"), Settings(("Faultline:Profile", "Lab")));

        var pool = Pool(app);

        Assert.Equal((9, 4, 2), (pool.MaxPoolSize, pool.CommandTimeout, pool.Timeout));
    }

    [Fact]
    public async Task AddPostgres_ConnectionStringMaximumUnderTheProfilesMinimum_MinimumFollowsTheMaximum()
    {
        await using var app = await TestApp.StartAsync((f, _) => f.AddPostgres("postgres", Pooled + ";Maximum Pool Size=3"), Settings(("Faultline:Profile", "Production")));

        var pool = Pool(app);

        Assert.Equal((3, 3), (pool.MinPoolSize, pool.MaxPoolSize));
    }

    [Fact]
    public async Task AddPostgres_UnixSocketDirectoryAsHost_BuildsTheDataSourceOnTheSocket()
    {
        var socket = $"Host={services.PgSocketDirectory};Port={services.PgPort};Username=faultline;Password={services.PgPassword};Database=faultline";
        await using var app = await TestApp.StartAsync((f, _) => f.AddPostgres("postgres", socket), Settings(("Faultline:Profile", "Lab")));

        var dataSource = app.App.Services.GetRequiredService<NpgsqlDataSource>();
        await using var command = dataSource.CreateCommand("SELECT 1");

        Assert.Equal(1, await command.ExecuteScalarAsync());
        Assert.Equal(services.PgSocketDirectory, new NpgsqlConnectionStringBuilder(dataSource.ConnectionString).Host);
        Assert.Equal(5, Pool(app).MaxPoolSize);
    }

    [Fact]
    public async Task RunFaultlineAsync_PoolsAndConnectionStringDisagree_ExitsThreeNamingBoth()
    {
        var (code, stderr) = await TestApp.RunToExitAsync(
            (f, _) => f.AddPostgres("postgres", Pooled + ";Maximum Pool Size=9").AddRedis("redis", RedisOptions + ",syncTimeout=1500"),
            Settings(("Faultline:Pools:postgres:MaxSize", "7"), ("Faultline:Pools:redis:SyncTimeout", "00:00:02")));

        Assert.Equal(3, code);
        Assert.Contains("Faultline:Pools:postgres:MaxSize (7) and the connection string's Maximum Pool Size (9) disagree", stderr, StringComparison.Ordinal);
        Assert.Contains("Faultline:Pools:redis:SyncTimeout (2 s) and the connection string's syncTimeout (1.5 s) disagree", stderr, StringComparison.Ordinal);
        Assert.Contains("layer configuration", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(services.PgPassword, stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(services.RedisPassword, stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunFaultlineAsync_PoolsAndConnectionStringAgree_Starts()
    {
        await using var app = await TestApp.StartAsync((f, _) => f.AddPostgres("postgres", Pooled + ";Maximum Pool Size=7"), Settings(("Faultline:Pools:postgres:MaxSize", "7")));
        await app.WaitForStartupAsync();

        Assert.False(app.Run.IsCompleted);
        Assert.Equal(7, Pool(app).MaxPoolSize);
    }

    [Theory]
    [InlineData("Faultline:Pools:billing:MaxSize", "5", "Faultline:Pools:billing names no dependency added with AddPostgres or AddRedis (registered: postgres, redis)")]
    [InlineData("Faultline:Pools:redis:MaxSize", "5", "Faultline:Pools:redis: MaxSize do not apply to a redis dependency")]
    [InlineData("Faultline:Pools:postgres:SyncTimeout", "00:00:01", "Faultline:Pools:postgres: SyncTimeout do not apply to a postgres dependency")]
    [InlineData("Faultline:Pools:postgres:MaxSize", "0", "Faultline:Pools:postgres:MaxSize must be between 1 and 1024")]
    [InlineData("Faultline:Pools:postgres:ConnectionTimeout", "00:00:01.500", "Faultline:Pools:postgres:ConnectionTimeout must be whole seconds")]
    [InlineData("Faultline:Pools:postgres:IdleLifetime", "00:00:05", "Faultline:Pools:postgres:IdleLifetime must be between 10 s and")]
    [InlineData("Faultline:Pools:redis:ConnectTimeout", "00:00:00.010", "Faultline:Pools:redis:ConnectTimeout must be between 100 ms and 10 minutes")]
    [InlineData("Faultline:Pools:postgres:MaxPoolSize", "5", "MaxPoolSize")]
    public async Task RunFaultlineAsync_BadPoolsEntry_ExitsThreeNamingIt(string key, string value, string expected)
    {
        var (code, stderr) = await TestApp.RunToExitAsync((f, _) => f.AddPostgres("postgres", Pooled).AddRedis("redis", RedisOptions), Settings((key, value)));

        Assert.Equal(3, code);
        Assert.True(stderr.Contains(expected, StringComparison.Ordinal), stderr);
    }

    [Theory]
    [InlineData(TargetKinds.Postgres, "Faultline.AspNetCore.Postgres", "AddPostgres")]
    [InlineData(TargetKinds.Redis, "Faultline.AspNetCore.Redis", "AddRedis")]
    public async Task RunFaultlineAsync_DriverDependencyWithoutItsPackage_ExitsThreeNamingPackageAndCall(string kind, string package, string call)
    {
        var (code, stderr) = await TestApp.RunToExitAsync((f, _) => f.AddDependency(new TargetSpec { Name = "store", Kind = kind, ConnectionString = "anything" }));

        Assert.Equal(3, code);
        Assert.Contains($"dependency 'store' is of kind {kind}, which needs the {package} package: add it and call faultline.{call}(\"store\", connectionString)", stderr, StringComparison.Ordinal);
        Assert.Contains("config-invalid", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequireAsync_PostgresTargetWithoutThePackage_PhaseFailsNamingPackageAndCall()
    {
        var target = new TargetSpec { Name = "db", Kind = TargetKinds.Postgres, ConnectionString = Pooled };
        var (code, stderr) = await TestApp.RunToExitAsync((f, _) => f.AddPhase("database", (c, ct) => c.RequireAsync(target, ct), p => p.Attempts(1)));

        Assert.Equal(3, code);
        Assert.Contains("config-invalid", stderr, StringComparison.Ordinal);
        Assert.Contains("needs the Faultline.AspNetCore.Postgres package: add it and call faultline.AddPostgres(\"db\", connectionString)", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(services.PgPassword, stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(FaultlineProfile.Development, 5000, 5000, 5000)]
    [InlineData(FaultlineProfile.Test, 5000, 5000, 5000)]
    [InlineData(FaultlineProfile.Staging, 30000, 5000, 5000)]
    [InlineData(FaultlineProfile.Production, 30000, 5000, 5000)]
    [InlineData(FaultlineProfile.Lab, 5000, 5000, 5000)]
    public async Task AddRedis_EachProfile_OptionsCarryTheDocumentedTimeouts(FaultlineProfile profile, int connect, int sync, int async)
    {
        await using var app = await TestApp.StartAsync((f, _) => f.AddRedis("redis", services.RedisUrl), Settings(("Faultline:Profile", profile.ToString())));

        var options = app.App.Services.GetRequiredService<ConfigurationOptions>();

        Assert.Equal((connect, sync, async, false), (options.ConnectTimeout, options.SyncTimeout, options.AsyncTimeout, options.AbortOnConnectFail));
        Assert.Equal(PoolDefaults.Redis(profile), new RedisClientSettings(TimeSpan.FromMilliseconds(connect), TimeSpan.FromMilliseconds(sync), TimeSpan.FromMilliseconds(async)));
    }

    [Fact]
    public async Task AddRedis_PoolsConfigurationAndConnectionString_BothApplyEachCopyIndependent()
    {
        await using var app = await TestApp.StartAsync(
            (f, _) => f.AddRedis("cache", RedisOptions + ",connectTimeout=1234", o => o.ConfigureClient = c => c.ClientName = "orders"),
            Settings(("Faultline:Profile", "Production"), ("Faultline:Pools:cache:AsyncTimeout", "00:00:00.750")));

        var first = app.App.Services.GetRequiredKeyedService<ConfigurationOptions>("cache");
        first.SyncTimeout = 1;
        var second = app.App.Services.GetRequiredKeyedService<ConfigurationOptions>("cache");

        Assert.Equal((1234, 5000, 750, "orders"), (second.ConnectTimeout, second.SyncTimeout, second.AsyncTimeout, second.ClientName));
        Assert.NotSame(first, second);
    }

    [Fact]
    public async Task AddRedis_Multiplexer_ConnectsToTheRealRedisOnFirstUse()
    {
        await using var app = await TestApp.StartAsync((f, _) => f.AddRedis("redis", services.RedisUrl));

        var redis = app.App.Services.GetRequiredService<IConnectionMultiplexer>();

        Assert.Same(redis, app.App.Services.GetRequiredKeyedService<IConnectionMultiplexer>("redis"));
        Assert.True((await redis.GetDatabase().PingAsync()) >= TimeSpan.Zero);
    }

    [Fact]
    public async Task AddRedis_MultiplexerWhileRedisIsDown_ResolvesDisconnectedInsteadOfThrowing()
    {
        var closed = TestServers.ClosedPort();
        await using var app = await TestApp.StartAsync((f, _) => f.AddRedis("redis", $"127.0.0.1:{closed}"), Settings(("Faultline:Pools:redis:ConnectTimeout", "00:00:00.500")));

        var redis = app.App.Services.GetRequiredService<IConnectionMultiplexer>();

        Assert.False(redis.IsConnected);
    }

    private static NpgsqlConnectionStringBuilder Pool(TestApp app) =>
        new(app.App.Services.GetRequiredService<NpgsqlDataSource>().ConnectionString);

    private static Dictionary<string, string?> Settings(params (string Key, string Value)[] values) =>
        values.ToDictionary(v => v.Key, v => (string?)v.Value, StringComparer.Ordinal);
}
