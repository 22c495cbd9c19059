using System.Data.Common;
using Faultline.Core.Model;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Faultline.Store;

/// <summary>
/// The shared store: every monitor replica writes to one PostgreSQL database. Migrations run under an
/// advisory lock, incidents are shared through a partial unique index, notifications are recorded
/// once through a unique key, and the alert lease is a session advisory lock on a connection of its own.
/// </summary>
internal sealed class PostgresHistoryStore : SqlHistoryStore
{
    // Advisory lock keys ("FLT" + purpose); advisory locks are per database, so stores in other databases never collide.
    internal const long MigrationLockKey = 0x464C_5400_0001;
    internal const long RetentionLockKey = 0x464C_5400_0002;
    internal const long AlertLeaseKey = 0x464C_5400_0003;

    /// <summary>How often the lease holder checks that its connection (and so its lock) is still alive.</summary>
    internal static readonly TimeSpan LeaseCheckInterval = TimeSpan.FromSeconds(1);

    private readonly NpgsqlConnectionStringBuilder _settings;
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _description;

    public PostgresHistoryStore(NpgsqlConnectionStringBuilder settings, string description, TimeProvider time, ILogger logger)
        : base(time, logger)
    {
        _settings = settings;
        _description = description;
        _dataSource = new NpgsqlDataSourceBuilder(settings.ConnectionString).Build();
    }

    public override string Description => _description;

    public override async Task<IAlertLease?> TryAcquireAlertLeaseAsync(CancellationToken cancellationToken = default)
    {
        // Not from the pool: the lock lives as long as this session, and a pooled session would outlive the lease.
        var settings = new NpgsqlConnectionStringBuilder(_settings.ConnectionString) { Pooling = false, ApplicationName = "faultline alert lease" };
        var connection = new NpgsqlConnection(settings.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            var command = Command(connection, "SELECT pg_try_advisory_lock(@key)");
            await using (command.ConfigureAwait(false))
            {
                Add(command, "key", AlertLeaseKey);
                if (await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not true)
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                    return null;
                }
            }
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        StoreLog.LeaseTaken(Logger, Description);
        return new PostgresAlertLease(connection, Time, LeaseCheckInterval, Logger, Description);
    }

    public override ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    protected override object ToDb(DateTimeOffset value) => value.ToUniversalTime();

    protected override DateTimeOffset FromDb(DbDataReader reader, int ordinal) => reader.GetFieldValue<DateTimeOffset>(ordinal);

    protected override async Task<Session> WriterAsync(CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return new Session(connection, connection.DisposeAsync);
    }

    protected override async Task<DbConnection> ReaderAsync(CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    protected override async Task MigrateCoreAsync(CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            // Replicas starting together queue here; the first migrates, the others find the work done.
            await LockAsync(connection, "SELECT pg_advisory_lock(@key)", MigrationLockKey, cancellationToken).ConfigureAwait(false);
            try
            {
                await ApplyStepsAsync(connection, step => step.Postgres, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                await UnlockAsync(connection, MigrationLockKey).ConfigureAwait(false);
            }
        }
    }

    protected override async Task InsertResultsAsync(DbConnection connection, DbTransaction? transaction, IReadOnlyList<StoredResult> results, long[] targetIds, CancellationToken cancellationToken)
    {
        var command = Command(connection, """
            INSERT INTO results (target_id, scheduled_at, at, status, layer, side, error_kind, duration_ms, message)
            SELECT * FROM unnest(@target_id, @scheduled_at, @at, @status, @layer, @side, @error_kind, @duration_ms, @message)
            """, transaction);
        await using (command.ConfigureAwait(false))
        {
            Add(command, "target_id", targetIds);
            Add(command, "scheduled_at", results.Select(r => r.ScheduledAt.ToUniversalTime()).ToArray());
            Add(command, "at", results.Select(r => r.At.ToUniversalTime()).ToArray());
            Add(command, "status", results.Select(r => r.Status.Wire()).ToArray());
            Add(command, "layer", results.Select(r => r.Layer?.Wire()).ToArray());
            Add(command, "side", results.Select(r => r.Side?.Wire()).ToArray());
            Add(command, "error_kind", results.Select(r => r.ErrorKind).ToArray());
            Add(command, "duration_ms", results.Select(r => r.DurationMs).ToArray());
            Add(command, "message", results.Select(r => Codec.Message(r.Message)).ToArray());
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    protected override async Task UpsertRollupsAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<(DateTimeOffset Hour, HourRollup.Row Row)> rows, CancellationToken cancellationToken)
    {
        var command = Command(connection, """
            INSERT INTO rollups (target_id, hour, total, passed, p50_ms, p95_ms, p99_ms, failures)
            SELECT * FROM unnest(@target_id, @hour, @total, @passed, @p50, @p95, @p99, @failures)
            ON CONFLICT (target_id, hour) DO UPDATE SET total = excluded.total, passed = excluded.passed,
                p50_ms = excluded.p50_ms, p95_ms = excluded.p95_ms, p99_ms = excluded.p99_ms, failures = excluded.failures
            """, transaction);
        await using (command.ConfigureAwait(false))
        {
            Add(command, "target_id", rows.Select(r => r.Row.TargetId).ToArray());
            Add(command, "hour", rows.Select(r => r.Hour.ToUniversalTime()).ToArray());
            Add(command, "total", rows.Select(r => r.Row.Total).ToArray());
            Add(command, "passed", rows.Select(r => r.Row.Passed).ToArray());
            Add(command, "p50", rows.Select(r => r.Row.P50).ToArray());
            Add(command, "p95", rows.Select(r => r.Row.P95).ToArray());
            Add(command, "p99", rows.Select(r => r.Row.P99).ToArray());
            Add(command, "failures", rows.Select(r => r.Row.Failures).ToArray());
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    protected override async Task<bool> TryEnterRetentionAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var command = Command(connection, "SELECT pg_try_advisory_lock(@key)");
        await using (command.ConfigureAwait(false))
        {
            Add(command, "key", RetentionLockKey);
            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true;
        }
    }

    protected override Task ExitRetentionAsync(DbConnection connection, CancellationToken cancellationToken) => UnlockAsync(connection, RetentionLockKey);

    private static async Task LockAsync(DbConnection connection, string sql, long key, CancellationToken cancellationToken)
    {
        var command = Command(connection, sql);
        await using (command.ConfigureAwait(false))
        {
            Add(command, "key", key);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Releases a session lock; when the connection broke the server already released it with the session.</summary>
    private static async Task UnlockAsync(DbConnection connection, long key)
    {
        if (connection.State != System.Data.ConnectionState.Open)
        {
            return;
        }

        try
        {
            await LockAsync(connection, "SELECT pg_advisory_unlock(@key)", key, CancellationToken.None).ConfigureAwait(false);
        }
        catch (NpgsqlException)
        {
            // The session is gone, and its locks with it; returning the connection to the pool discards it.
        }
    }
}

/// <summary>
/// Holds <c>pg_try_advisory_lock</c> on a connection of its own. The server releases the lock when the
/// session ends (dispose, process death, or the connection being terminated); a periodic <c>SELECT 1</c>
/// notices a broken connection, after which <see cref="IsHeld"/> is false for good.
/// </summary>
internal sealed class PostgresAlertLease : IAlertLease
{
    private readonly NpgsqlConnection _connection;
    private readonly ILogger _logger;
    private readonly string _store;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ITimer _timer;
    private volatile bool _held = true;
    private bool _disposed;

    public PostgresAlertLease(NpgsqlConnection connection, TimeProvider time, TimeSpan checkInterval, ILogger logger, string store)
    {
        _connection = connection;
        _logger = logger;
        _store = store;
        _timer = time.CreateTimer(_ => _ = CheckAsync(), null, checkInterval, checkInterval);
    }

    public bool IsHeld => _held && (_connection.FullState & System.Data.ConnectionState.Broken) == 0;

    /// <summary>Runs one liveness check now; returns <see cref="IsHeld"/> after it.</summary>
    internal async Task<bool> CheckAsync()
    {
        if (!_held || !await _gate.WaitAsync(0).ConfigureAwait(false))
        {
            return IsHeld;
        }

        try
        {
            if (_disposed)
            {
                return false;
            }

            await using var command = new NpgsqlCommand("SELECT 1", _connection) { CommandTimeout = 5 };
            await command.ExecuteScalarAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException or IOException)
        {
            _held = false;
            StoreLog.LeaseLost(_logger, _store, ex);
        }
        finally
        {
            _gate.Release();
        }

        return IsHeld;
    }

    public async ValueTask DisposeAsync()
    {
        await _timer.DisposeAsync().ConfigureAwait(false);
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _held = false;

            // Closing the (unpooled) session releases the lock on the server.
            await _connection.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }
}
