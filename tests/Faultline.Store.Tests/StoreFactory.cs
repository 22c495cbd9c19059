using Faultline.TestSupport;
using Npgsql;

namespace Faultline.Store.Tests;

/// <summary>
/// Makes stores for the backend a theory names: a SQLite file in a temp directory, or a fresh PostgreSQL
/// database on the local services' server. Everything it made is deleted (files) or dropped (databases) on dispose.
/// </summary>
public sealed class StoreFactory(LocalServices services) : IAsyncDisposable
{
    private readonly List<string> _databases = [];
    private readonly string _directory = Directory.CreateTempSubdirectory("faultline-store-").FullName;

    public static TheoryData<string> Backends => new() { "sqlite", "postgres" };

    /// <summary>A spec for a new, empty store of <paramref name="backend"/>.</summary>
    public async Task<string> NewSpecAsync(string backend)
    {
        if (backend == "sqlite")
        {
            return "sqlite:" + Path.Combine(_directory, $"h{Guid.NewGuid():N}.db");
        }

        var database = $"faultline_store_{Guid.NewGuid():N}";
        await AdminAsync($"CREATE DATABASE {database}");
        _databases.Add(database);
        return "postgres:" + ConnectionString(database);
    }

    /// <summary>A spec for a new, empty PostgreSQL store reached over the server's unix socket directory.</summary>
    public async Task<string> NewSocketSpecAsync()
    {
        var database = $"faultline_store_{Guid.NewGuid():N}";
        await AdminAsync($"CREATE DATABASE {database}");
        _databases.Add(database);
        return $"postgres:Host={services.PgSocketDirectory};Port={services.PgPort};Username=postgres;Password={services.PgAdminPassword};Database={database}";
    }

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={services.PgPort};Username=postgres;Password={services.PgAdminPassword};Database={database};SSL Mode=Disable";

    /// <summary>The database a postgres spec made by <see cref="NewSpecAsync"/> names.</summary>
    public static string DatabaseOf(string spec) => new NpgsqlConnectionStringBuilder(spec["postgres:".Length..]).Database!;

    public async Task<object?> AdminAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(services.AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return await command.ExecuteScalarAsync();
    }

    /// <summary>Runs <paramref name="sql"/> directly in the store's database (SQLite file or PostgreSQL database).</summary>
    public static async Task<object?> ScalarAsync(string spec, string sql)
    {
        if (spec.StartsWith("sqlite:", StringComparison.Ordinal))
        {
            await using var sqlite = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={spec["sqlite:".Length..]};Pooling=false");
            await sqlite.OpenAsync();
            await using var command = sqlite.CreateCommand();
            command.CommandText = sql;
            return await command.ExecuteScalarAsync();
        }

        var builder = new NpgsqlConnectionStringBuilder(spec["postgres:".Length..]) { Pooling = false };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        await using var pg = new NpgsqlCommand(sql, connection);
        return await pg.ExecuteScalarAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var database in _databases)
        {
            await AdminAsync($"DROP DATABASE IF EXISTS {database} WITH (FORCE)");
        }

        Directory.Delete(_directory, recursive: true);
    }
}
