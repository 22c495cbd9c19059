using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Faultline.Store;

/// <summary>
/// The default store: one SQLite file in WAL mode with <c>synchronous=NORMAL</c> and one writer
/// connection. In WAL mode a commit has written its pages to the log before it returns, so a killed
/// process (kill -9, OOM) loses nothing that was committed; only a power loss or kernel crash can take
/// back the last commits (FULL would fsync each one). Reads use their own connections and never wait
/// for the writer.
/// </summary>
internal sealed class SqliteHistoryStore : SqlHistoryStore
{
    /// <summary>How long a statement waits for another process's write lock before failing.</summary>
    private const int BusyTimeoutMs = 5_000;


    private readonly string _path;
    private readonly string _writeConnectionString;
    private readonly string _readConnectionString;
    private readonly SemaphoreSlim _writerGate = new(1, 1);
    private SqliteConnection? _writer;

    /// <summary>The INSERT of one result, prepared once on the writer connection.</summary>
    private DbCommand? _insert;
    private bool _disposed;

    public SqliteHistoryStore(string path, TimeProvider time, ILogger logger)
        : base(time, logger)
    {
        _path = path;
        _writeConnectionString = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString();
        _readConnectionString = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString();
    }

    public override string Description => $"sqlite:{_path}";

    public override Task<IAlertLease?> TryAcquireAlertLeaseAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IAlertLease?>(AlwaysHeldLease.Instance);

    public override async ValueTask DisposeAsync()
    {
        await _writerGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!_disposed)
            {
                _disposed = true;
                if (_insert is not null)
                {
                    await _insert.DisposeAsync().ConfigureAwait(false);
                    _insert = null;
                }

                if (_writer is not null)
                {
                    await _writer.DisposeAsync().ConfigureAwait(false);
                    _writer = null;
                }
            }
        }
        finally
        {
            _writerGate.Release();
        }
    }

    protected override object ToDb(DateTimeOffset value) => value.ToUnixTimeMilliseconds();

    protected override DateTimeOffset FromDb(DbDataReader reader, int ordinal) => DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(ordinal));

    protected override async Task<Session> WriterAsync(CancellationToken cancellationToken)
    {
        await _writerGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _writer ??= await OpenWriterAsync(cancellationToken).ConfigureAwait(false);
            return new Session(_writer, () =>
            {
                _writerGate.Release();
                return ValueTask.CompletedTask;
            });
        }
        catch
        {
            _writerGate.Release();
            throw;
        }
    }

    protected override async Task<DbConnection> ReaderAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_readConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, null, $"PRAGMA busy_timeout = {BusyTimeoutMs}; PRAGMA query_only = ON", cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    protected override async Task MigrateCoreAsync(CancellationToken cancellationToken)
    {
        var session = await WriterAsync(cancellationToken).ConfigureAwait(false);
        await using (session.ConfigureAwait(false))
        {
            await ApplyStepsAsync(session.Connection, step => step.Sqlite, cancellationToken).ConfigureAwait(false);
        }
    }

    protected override async Task InsertResultsAsync(DbConnection connection, DbTransaction? transaction, IReadOnlyList<StoredResult> results, long[] targetIds, CancellationToken cancellationToken)
    {
        // One single-row statement, prepared once per writer connection and re-bound per row. (Measured: a
        // many-row VALUES list is slower, the provider looks each named parameter up linearly; one JSON array
        // unpacked by json_each costs the same CPU as this. The time goes to SQLite's B-trees and the WAL.)
        var insert = _insert ??= InsertCommand(connection);
        insert.Transaction = transaction;
        try
        {
            var p = insert.Parameters;
            for (var i = 0; i < results.Count; i++)
            {
                var result = results[i];
                p[0].Value = targetIds[i];
                p[1].Value = ToDb(result.ScheduledAt);
                p[2].Value = ToDb(result.At);
                p[3].Value = Core.Model.LayerNames.Wire(result.Status);
                p[4].Value = result.Layer is { } l ? Core.Model.LayerNames.Wire(l) : DBNull.Value;
                p[5].Value = result.Side is { } s ? Core.Model.LayerNames.Wire(s) : DBNull.Value;
                p[6].Value = (object?)result.ErrorKind ?? DBNull.Value;
                p[7].Value = result.DurationMs;
                p[8].Value = (object?)Codec.Message(result.Message) ?? DBNull.Value;
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            insert.Transaction = null;
        }
    }

    private static DbCommand InsertCommand(DbConnection connection)
    {
        var command = Command(connection, """
            INSERT INTO results (target_id, scheduled_at, at, status, layer, side, error_kind, duration_ms, message)
            VALUES (@target_id, @scheduled_at, @at, @status, @layer, @side, @error_kind, @duration_ms, @message)
            """);
        foreach (var name in (string[])["target_id", "scheduled_at", "at", "status", "layer", "side", "error_kind", "duration_ms", "message"])
        {
            Add(command, name, null);
        }

        return command;
    }

    protected override async Task UpsertRollupsAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<(DateTimeOffset Hour, HourRollup.Row Row)> rows, CancellationToken cancellationToken)
    {
        var upsert = Command(connection, """
            INSERT INTO rollups (target_id, hour, total, passed, p50_ms, p95_ms, p99_ms, failures)
            VALUES (@target_id, @hour, @total, @passed, @p50, @p95, @p99, @failures)
            ON CONFLICT (target_id, hour) DO UPDATE SET total = excluded.total, passed = excluded.passed,
                p50_ms = excluded.p50_ms, p95_ms = excluded.p95_ms, p99_ms = excluded.p99_ms, failures = excluded.failures
            """, transaction);
        await using (upsert.ConfigureAwait(false))
        {
            var targetId = Add(upsert, "target_id", 0L);
            var hour = Add(upsert, "hour", 0L);
            var total = Add(upsert, "total", 0);
            var passed = Add(upsert, "passed", 0);
            var p50 = Add(upsert, "p50", 0d);
            var p95 = Add(upsert, "p95", 0d);
            var p99 = Add(upsert, "p99", 0d);
            var failures = Add(upsert, "failures", string.Empty);
            foreach (var (start, row) in rows)
            {
                targetId.Value = row.TargetId;
                hour.Value = ToDb(start);
                total.Value = row.Total;
                passed.Value = row.Passed;
                p50.Value = row.P50;
                p95.Value = row.P95;
                p99.Value = row.P99;
                failures.Value = row.Failures;
                await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>One writer process per file: retention runs on the writer connection, in line with writes.</summary>
    protected override Task<bool> TryEnterRetentionAsync(DbConnection connection, CancellationToken cancellationToken) => Task.FromResult(true);

    protected override Task ExitRetentionAsync(DbConnection connection, CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task<SqliteConnection> OpenWriterAsync(CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(_path);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        var connection = new SqliteConnection(_writeConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, null, $"PRAGMA busy_timeout = {BusyTimeoutMs}", cancellationToken).ConfigureAwait(false);
            var mode = Command(connection, "PRAGMA journal_mode = WAL");
            await using (mode.ConfigureAwait(false))
            {
                var journal = Convert.ToString(await mode.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;
                if (!journal.Equals("wal", StringComparison.OrdinalIgnoreCase))
                {
                    StoreLog.NotWal(Logger, Description, journal);
                }
            }

            await ExecuteAsync(connection, null, "PRAGMA synchronous = NORMAL", cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private sealed class AlwaysHeldLease : IAlertLease
    {
        public static readonly AlwaysHeldLease Instance = new();

        public bool IsHeld => true;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
