using System.Security.Cryptography;
using Faultline.TestSupport;
using Npgsql;
using StackExchange.Redis;

namespace GoldenPath.Tests;

/// <summary>
/// A private PostgreSQL database (random name, owned by the <c>faultline</c> role) on the local
/// server, so runs and test classes never share tables. Dropped on dispose.
/// </summary>
internal sealed class PrivateDatabase : IAsyncDisposable
{
    private readonly LocalServices _services;

    private PrivateDatabase(LocalServices services, string name)
    {
        _services = services;
        Name = name;
    }

    public string Name { get; }

    /// <summary>Key=value form for the <c>faultline</c> role.</summary>
    public string ConnectionString =>
        $"Host=127.0.0.1;Port={_services.PgPort};Username=faultline;Password={_services.PgPassword};Database={Name};SSL Mode=Disable";

    /// <summary>URL form for the <c>faultline</c> role (what the service converts for Npgsql).</summary>
    public string Url =>
        $"postgres://faultline:{Uri.EscapeDataString(_services.PgPassword)}@127.0.0.1:{_services.PgPort}/{Name}?sslmode=disable";

    /// <summary>Superuser access to this database, for assertions.</summary>
    public string AdminConnectionString =>
        $"Host=127.0.0.1;Port={_services.PgPort};Username=postgres;Password={_services.PgAdminPassword};Database={Name};SSL Mode=Disable;Pooling=false";

    public static async Task<PrivateDatabase> CreateAsync(LocalServices services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var name = "goldenpath_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        await using var connection = new NpgsqlConnection(services.AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\" OWNER faultline", connection);
        await command.ExecuteNonQueryAsync();
        return new PrivateDatabase(services, name);
    }

    public async ValueTask DisposeAsync()
    {
        await using var connection = new NpgsqlConnection(_services.AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }
}

/// <summary>Environments for GoldenPath: a healthy stack, and the faults the tests inject.</summary>
internal static class TestStack
{
    /// <summary>A JWT secret of 48 characters, different in every run.</summary>
    public static string NewJwtSecret() => "jwt-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(22));

    public static string NewApiKey() => "key-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>Every variable of a healthy stack, Lab profile (short timeouts, two attempts).</summary>
    public static Dictionary<string, string> Healthy(LocalServices services, PrivateDatabase database, string jwtSecret, string apiKey)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(database);
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["ConnectionStrings__Postgres"] = database.Url,
            ["ConnectionStrings__Redis"] = services.RedisUrl,
            ["Faultline__ApiKey"] = apiKey,
            ["Faultline__Profile"] = "Lab",
            ["Faultline__Health__Interval"] = "00:00:01",
            ["Jwt__Secret"] = jwtSecret,
        };
    }

    /// <summary>A StackExchange.Redis connection to the local Redis, for assertions.</summary>
    public static Task<ConnectionMultiplexer> RedisAsync(LocalServices services)
    {
        ArgumentNullException.ThrowIfNull(services);
        return ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{services.RedisPort},password={services.RedisPassword}");
    }

    /// <summary>A user name no other run uses (the local Redis is shared).</summary>
    public static string NewUsername() => "user-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
}
