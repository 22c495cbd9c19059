using System.Net;
using System.Net.Sockets;
using Faultline.Core.Model;
using Faultline.Postgres;
using Faultline.TestSupport;
using Npgsql;

namespace Faultline.Probes.Postgres.Tests;

/// <summary><see cref="PostgresErrors"/> on exceptions Npgsql really throws, against the real PostgreSQL of scripts/services.sh.</summary>
[Trait(TestTiers.Name, TestTiers.Services)]
[Collection(LocalServices.Collection)]
public sealed class PostgresErrorsTests(LocalServices services)
{
    [Fact]
    public async Task Describe_WrongPassword_DatabaseAuthFailedWithoutThePassword()
    {
        var builder = new NpgsqlConnectionStringBuilder(services.AppConnectionString) { Password = "not-the-password-7f3a", Pooling = false };
        var exception = await OpenAsync(builder.ConnectionString);

        var error = PostgresErrors.Describe(exception, $"127.0.0.1:{services.PgPort}", user: builder.Username);

        Assert.NotNull(error);
        Assert.Equal(ErrorKind.DatabaseAuthFailed, error.Kind);
        Assert.Equal("28P01", error.Code);
        Assert.Same(exception, error.Exception);
        Assert.DoesNotContain("not-the-password-7f3a", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Describe_PoolFullAndNoneFreed_PoolExhausted()
    {
        var builder = new NpgsqlConnectionStringBuilder(services.AppConnectionString) { Pooling = true, MaxPoolSize = 1, Timeout = 1 };
        await using var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        await using var held = await dataSource.OpenConnectionAsync();
        var exception = await Assert.ThrowsAnyAsync<NpgsqlException>(async () => await dataSource.OpenConnectionAsync());

        var error = PostgresErrors.Describe(exception, $"127.0.0.1:{services.PgPort}");

        Assert.NotNull(error);
        Assert.Equal(ErrorKind.PoolExhausted, error.Kind);
        Assert.Equal("POOL_EXHAUSTED", error.Code);
        Assert.Contains("connection pool for PostgreSQL at 127.0.0.1:", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(services.PgPassword, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Describe_ClosedPort_ConnectionRefused()
    {
        var port = ClosedPort();
        var exception = await OpenAsync($"Host=127.0.0.1;Port={port};Username=u;Password=p;Pooling=false;Timeout=5");

        var error = PostgresErrors.Describe(exception, $"127.0.0.1:{port}");

        Assert.NotNull(error);
        Assert.Equal(ErrorKind.ConnectionRefused, error.Kind);
        Assert.Contains($"127.0.0.1:{port}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Describe_AbsentCloudSqlSocket_SocketMissingNamingThePath()
    {
        const string Instance = "/cloudsql/faultline-test:europe-west1:not-attached";
        var builder = new NpgsqlConnectionStringBuilder($"Host={Instance};Username=u;Password=p;Pooling=false;Timeout=5");
        var exception = await OpenAsync(builder.ConnectionString);

        var error = PostgresErrors.Describe(exception, PostgresConnectionStrings.Endpoint(builder));

        Assert.NotNull(error);
        Assert.Equal(ErrorKind.SocketMissing, error.Kind);
        Assert.Equal("connect", error.Phase);
        Assert.StartsWith($"no Cloud SQL proxy socket at {Instance}/.s.PGSQL.5432: is the instance attached to the service?", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Describe_UndefinedTableInQuery_DatabaseSqlError()
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(services.AppConnectionString) { Pooling = false }.ConnectionString);
        await using (connection.ConfigureAwait(false))
        {
            await connection.OpenAsync();
            var command = new NpgsqlCommand("SELECT * FROM faultline_no_such_table", connection);
            await using (command.ConfigureAwait(false))
            {
                var exception = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteScalarAsync());

                var error = PostgresErrors.Describe(exception, "db", phase: "query");

                Assert.NotNull(error);
                Assert.Equal(ErrorKind.DatabaseSqlError, error.Kind);
                Assert.Equal("42P01", error.Code);
            }
        }
    }

    [Fact]
    public void Describe_UnrelatedException_Null() =>
        Assert.Null(PostgresErrors.Describe(new InvalidOperationException("not a database failure"), "db"));

    private static async Task<Exception> OpenAsync(string connectionString)
    {
        var connection = new NpgsqlConnection(connectionString);
        await using (connection.ConfigureAwait(false))
        {
            return await Assert.ThrowsAnyAsync<NpgsqlException>(() => connection.OpenAsync());
        }
    }

    private static int ClosedPort()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)listener.LocalEndPoint!).Port;
    }
}
