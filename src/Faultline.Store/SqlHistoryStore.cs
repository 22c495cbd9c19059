using System.Collections.Concurrent;
using System.Data.Common;
using Faultline.Core.Model;
using Microsoft.Extensions.Logging;

namespace Faultline.Store;

/// <summary>A connection to write on, returned to its owner (a gate or a pool) on dispose.</summary>
internal sealed class Session(DbConnection connection, Func<ValueTask> release) : IAsyncDisposable
{
    public DbConnection Connection => connection;

    public ValueTask DisposeAsync() => release();
}

/// <summary>
/// What SQLite and PostgreSQL share: the SQL of incidents, notifications, rollups, retention and reads
/// (both speak <c>INSERT ... ON CONFLICT</c>, partial unique indexes and <c>RETURNING</c>). The backends
/// supply connections, the time encoding, migrations, bulk inserts and locks.
/// </summary>
internal abstract class SqlHistoryStore(TimeProvider time, ILogger logger) : IHistoryStore
{
    private const string IncidentColumns = "id, target, layer, side, signature, started_at, resolved_at, suppressed_by, evidence, remedy";
    private const string StateName = "hourly";
    private const int DeleteChunk = 50_000;

    /// <summary>Hours rolled up per transaction.</summary>
    private static readonly TimeSpan RollupChunk = TimeSpan.FromHours(24);

    private readonly SemaphoreSlim _migrationGate = new(1, 1);
    private readonly ConcurrentDictionary<string, long> _targetIds = new(StringComparer.Ordinal);
    private volatile bool _migrated;

    public abstract string Description { get; }

    protected TimeProvider Time => time;

    protected ILogger Logger => logger;

    public async Task MigrateAsync(CancellationToken cancellationToken = default)
    {
        await _migrationGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_migrated)
            {
                await MigrateCoreAsync(cancellationToken).ConfigureAwait(false);
                _migrated = true;
            }
        }
        finally
        {
            _migrationGate.Release();
        }
    }

    public async Task WriteResultsAsync(IReadOnlyList<StoredResult> results, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(results);
        if (results.Count == 0)
        {
            return;
        }

        await EnsureMigratedAsync(cancellationToken).ConfigureAwait(false);
        var session = await WriterAsync(cancellationToken).ConfigureAwait(false);
        await using (session.ConfigureAwait(false))
        {
            var ids = new long[results.Count];
            for (var i = 0; i < results.Count; i++)
            {
                ids[i] = await TargetIdAsync(session.Connection, results[i].Target, cancellationToken).ConfigureAwait(false);
            }

            if (results.Count == 1)
            {
                // One row is one statement, atomic on its own: BEGIN and COMMIT around it would be two more
                // statements (a monitor writes most results alone, as they arrive).
                await InsertResultsAsync(session.Connection, null, results, ids, cancellationToken).ConfigureAwait(false);
                return;
            }

            var transaction = await session.Connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                await InsertResultsAsync(session.Connection, transaction, results, ids, cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public async Task<StoredIncident> OpenIncidentAsync(StoredIncident incident, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(incident);
        await EnsureMigratedAsync(cancellationToken).ConfigureAwait(false);
        var session = await WriterAsync(cancellationToken).ConfigureAwait(false);
        await using (session.ConfigureAwait(false))
        {
            // The partial unique index (one open incident per target) decides between replicas racing to open it.
            for (var attempt = 0; ; attempt++)
            {
                await using (var insert = Command(session.Connection, $"""
                    INSERT INTO incidents (target, layer, side, signature, started_at, suppressed_by, evidence, remedy)
                    VALUES (@target, @layer, @side, @signature, @started_at, @suppressed_by, @evidence, @remedy)
                    ON CONFLICT (target) WHERE resolved_at IS NULL DO NOTHING
                    RETURNING {IncidentColumns}
                    """))
                {
                    var command = insert;
                    Add(command, "target", incident.Target);
                    Add(command, "layer", incident.Layer.Wire());
                    Add(command, "side", incident.Side.Wire());
                    Add(command, "signature", incident.Signature);
                    Add(command, "started_at", ToDb(incident.StartedAt));
                    Add(command, "suppressed_by", incident.SuppressedBy);
                    Add(command, "evidence", Codec.Evidence(incident.Evidence));
                    Add(command, "remedy", incident.Remedy);
                    var opened = await ReadIncidentsAsync(command, cancellationToken).ConfigureAwait(false);
                    if (opened.Count == 1)
                    {
                        return opened[0];
                    }
                }

                await using (var select = Command(session.Connection, $"SELECT {IncidentColumns} FROM incidents WHERE target = @target AND resolved_at IS NULL"))
                {
                    var command = select;
                    Add(command, "target", incident.Target);
                    var open = await ReadIncidentsAsync(command, cancellationToken).ConfigureAwait(false);
                    if (open.Count == 1 || attempt >= 3)
                    {
                        // Resolved by another replica between the two statements, four times in a row: the store is
                        // not behaving as one database; say so rather than loop.
                        return open.Count == 1
                            ? open[0]
                            : throw new InvalidOperationException($"history store {Description}: the open incident of '{incident.Target}' kept being resolved while opening it");
                    }
                }
            }
        }
    }

    public async Task<StoredIncident?> ResolveIncidentAsync(string target, DateTimeOffset resolvedAt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        await EnsureMigratedAsync(cancellationToken).ConfigureAwait(false);
        var session = await WriterAsync(cancellationToken).ConfigureAwait(false);
        await using (session.ConfigureAwait(false))
        {
            var command = Command(session.Connection, $"UPDATE incidents SET resolved_at = @resolved_at WHERE target = @target AND resolved_at IS NULL RETURNING {IncidentColumns}");
            await using (command.ConfigureAwait(false))
            {
                Add(command, "resolved_at", ToDb(resolvedAt));
                Add(command, "target", target);
                var resolved = await ReadIncidentsAsync(command, cancellationToken).ConfigureAwait(false);
                return resolved.Count == 0 ? null : resolved[0];
            }
        }
    }

    public async Task<IReadOnlyList<StoredIncident>> OpenIncidentsAsync(CancellationToken cancellationToken = default)
    {
        await EnsureMigratedAsync(cancellationToken).ConfigureAwait(false);
        var connection = await ReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var command = Command(connection, $"SELECT {IncidentColumns} FROM incidents WHERE resolved_at IS NULL ORDER BY started_at, id");
            await using (command.ConfigureAwait(false))
            {
                return await ReadIncidentsAsync(command, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public async Task<IReadOnlyList<StoredIncident>> IncidentsAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        await EnsureMigratedAsync(cancellationToken).ConfigureAwait(false);
        var connection = await ReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var command = Command(connection, $"SELECT {IncidentColumns} FROM incidents WHERE started_at >= @from AND started_at < @to ORDER BY started_at DESC, id DESC");
            await using (command.ConfigureAwait(false))
            {
                Add(command, "from", ToDb(from));
                Add(command, "to", ToDb(to));
                return await ReadIncidentsAsync(command, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public async Task<bool> TryRecordNotificationAsync(long incidentId, string eventName, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(eventName);
        await EnsureMigratedAsync(cancellationToken).ConfigureAwait(false);
        var session = await WriterAsync(cancellationToken).ConfigureAwait(false);
        await using (session.ConfigureAwait(false))
        {
            var command = Command(session.Connection, "INSERT INTO notifications (incident_id, event, at) VALUES (@incident_id, @event, @at) ON CONFLICT (incident_id, event) DO NOTHING");
            await using (command.ConfigureAwait(false))
            {
                Add(command, "incident_id", incidentId);
                Add(command, "event", eventName);
                Add(command, "at", ToDb(at));
                return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
            }
        }
    }

    public async Task ApplyRetentionAsync(DateTimeOffset now, TimeSpan raw, TimeSpan rollups, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(raw, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(rollups, TimeSpan.Zero);
        await EnsureMigratedAsync(cancellationToken).ConfigureAwait(false);
        var session = await WriterAsync(cancellationToken).ConfigureAwait(false);
        await using (session.ConfigureAwait(false))
        {
            var connection = session.Connection;
            if (!await TryEnterRetentionAsync(connection, cancellationToken).ConfigureAwait(false))
            {
                StoreLog.RetentionBusy(Logger, Description);
                return;
            }

            try
            {
                await RetainAsync(connection, now, raw, rollups, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                await ExitRetentionAsync(connection, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    public async Task<IReadOnlyList<HourlyRollup>> RollupsAsync(string? target, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        await EnsureMigratedAsync(cancellationToken).ConfigureAwait(false);
        var connection = await ReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var command = Command(connection, $"""
                SELECT t.name, r.hour, r.total, r.passed, r.p50_ms, r.p95_ms, r.p99_ms, r.failures
                FROM rollups r JOIN targets t ON t.id = r.target_id
                WHERE r.hour >= @from AND r.hour < @to{(target is null ? string.Empty : " AND r.target_id = (SELECT id FROM targets WHERE name = @target)")}
                ORDER BY r.hour, t.name
                """);
            await using (command.ConfigureAwait(false))
            {
                Add(command, "from", ToDb(from));
                Add(command, "to", ToDb(to));
                if (target is not null)
                {
                    Add(command, "target", target);
                }

                var rows = new List<HourlyRollup>();
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        rows.Add(new HourlyRollup
                        {
                            Target = reader.GetString(0),
                            Hour = FromDb(reader, 1),
                            Total = reader.GetInt32(2),
                            Passed = reader.GetInt32(3),
                            P50Ms = reader.GetDouble(4),
                            P95Ms = reader.GetDouble(5),
                            P99Ms = reader.GetDouble(6),
                            FailuresByLayer = Codec.Failures(reader.GetString(7)),
                        });
                    }
                }

                return rows;
            }
        }
    }

    public async Task<IReadOnlyList<StoredResult>> ResultsAsync(string? target, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        await EnsureMigratedAsync(cancellationToken).ConfigureAwait(false);
        var connection = await ReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var command = Command(connection, $"""
                SELECT t.name, r.scheduled_at, r.at, r.status, r.layer, r.side, r.error_kind, r.duration_ms, r.message
                FROM results r JOIN targets t ON t.id = r.target_id
                WHERE r.at >= @from AND r.at < @to{(target is null ? string.Empty : " AND r.target_id = (SELECT id FROM targets WHERE name = @target)")}
                ORDER BY r.at, r.id
                """);
            await using (command.ConfigureAwait(false))
            {
                Add(command, "from", ToDb(from));
                Add(command, "to", ToDb(to));
                if (target is not null)
                {
                    Add(command, "target", target);
                }

                var rows = new List<StoredResult>();
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        rows.Add(new StoredResult
                        {
                            Target = reader.GetString(0),
                            ScheduledAt = FromDb(reader, 1),
                            At = FromDb(reader, 2),
                            Status = Codec.Status(reader.GetString(3)),
                            Layer = Codec.Layer(NullableString(reader, 4)),
                            Side = Codec.Side(NullableString(reader, 5)),
                            ErrorKind = NullableString(reader, 6),
                            DurationMs = reader.GetDouble(7),
                            Message = NullableString(reader, 8),
                        });
                    }
                }

                return rows;
            }
        }
    }

    public abstract Task<IAlertLease?> TryAcquireAlertLeaseAsync(CancellationToken cancellationToken = default);

    public abstract ValueTask DisposeAsync();

    /// <summary>The parameter value of a time.</summary>
    protected abstract object ToDb(DateTimeOffset value);

    protected abstract DateTimeOffset FromDb(DbDataReader reader, int ordinal);

    /// <summary>The connection writes go through (SQLite: the one writer; PostgreSQL: one from the pool).</summary>
    protected abstract Task<Session> WriterAsync(CancellationToken cancellationToken);

    /// <summary>A connection for a read, disposed by the caller.</summary>
    protected abstract Task<DbConnection> ReaderAsync(CancellationToken cancellationToken);

    protected abstract Task MigrateCoreAsync(CancellationToken cancellationToken);

    /// <summary>Inserts the rows inside <paramref name="transaction"/>; null for a single row, which is one statement.</summary>
    protected abstract Task InsertResultsAsync(DbConnection connection, DbTransaction? transaction, IReadOnlyList<StoredResult> results, long[] targetIds, CancellationToken cancellationToken);

    /// <summary>True when this caller may roll up and delete now (PostgreSQL: no other replica is doing it).</summary>
    /// <summary>Inserts or replaces rollup rows (one per target and hour) inside <paramref name="transaction"/>.</summary>
    protected abstract Task UpsertRollupsAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<(DateTimeOffset Hour, HourRollup.Row Row)> rows, CancellationToken cancellationToken);

    protected abstract Task<bool> TryEnterRetentionAsync(DbConnection connection, CancellationToken cancellationToken);

    protected abstract Task ExitRetentionAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>Applies every step above <paramref name="current"/>, each in its own transaction, re-reading the version inside it.</summary>
    protected async Task ApplyStepsAsync(DbConnection connection, Func<Migration, string> sqlOf, CancellationToken cancellationToken)
    {
        await ExecuteAsync(connection, null, Schema.VersionTable, cancellationToken).ConfigureAwait(false);
        var current = await VersionAsync(connection, null, cancellationToken).ConfigureAwait(false);
        if (current > Schema.Latest)
        {
            throw Schema.Newer(Description, current);
        }

        foreach (var step in Schema.Steps.Where(s => s.Version > current))
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                var now = await VersionAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
                if (now > Schema.Latest)
                {
                    throw Schema.Newer(Description, now);
                }

                if (now >= step.Version)
                {
                    continue;
                }

                await ExecuteAsync(connection, transaction, sqlOf(step), cancellationToken).ConfigureAwait(false);
                var record = Command(connection, "INSERT INTO schema_version (version, description, applied_at) VALUES (@version, @description, @applied_at)", transaction);
                await using (record.ConfigureAwait(false))
                {
                    Add(record, "version", step.Version);
                    Add(record, "description", step.Description);
                    Add(record, "applied_at", Time.GetUtcNow().ToString("O", System.Globalization.CultureInfo.InvariantCulture));
                    await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                StoreLog.MigrationApplied(Logger, step.Version, step.Description, Description);
            }
        }
    }

    protected static DbCommand Command(DbConnection connection, string sql, DbTransaction? transaction = null)
    {
#pragma warning disable CA2100 // SQL text is built from constants only; values always go through parameters.
        var command = connection.CreateCommand();
        command.CommandText = sql;
#pragma warning restore CA2100
        command.Transaction = transaction;
        return command;
    }

    protected static DbParameter Add(DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
        return parameter;
    }

    protected static async Task ExecuteAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        var command = Command(connection, sql, transaction);
        await using (command.ConfigureAwait(false))
        {
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static string? NullableString(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static async Task<long> VersionAsync(DbConnection connection, DbTransaction? transaction, CancellationToken cancellationToken)
    {
        var command = Command(connection, "SELECT COALESCE(MAX(version), 0) FROM schema_version", transaction);
        await using (command.ConfigureAwait(false))
        {
            return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    private Task EnsureMigratedAsync(CancellationToken cancellationToken) => _migrated ? Task.CompletedTask : MigrateAsync(cancellationToken);

    private async Task<long> TargetIdAsync(DbConnection connection, string name, CancellationToken cancellationToken)
    {
        if (_targetIds.TryGetValue(name, out var id))
        {
            return id;
        }

        await using (var insert = Command(connection, "INSERT INTO targets (name) VALUES (@name) ON CONFLICT (name) DO NOTHING"))
        {
            Add(insert, "name", name);
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (var select = Command(connection, "SELECT id FROM targets WHERE name = @name"))
        {
            Add(select, "name", name);
            id = Convert.ToInt64(await select.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
        }

        _targetIds[name] = id;
        return id;
    }

    private async Task<IReadOnlyList<StoredIncident>> ReadIncidentsAsync(DbCommand command, CancellationToken cancellationToken)
    {
        var incidents = new List<StoredIncident>();
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                incidents.Add(new StoredIncident
                {
                    Id = reader.GetInt64(0),
                    Target = reader.GetString(1),
                    Layer = Codec.Layer(reader.GetString(2)) ?? Layer.Unknown,
                    Side = Codec.Side(reader.GetString(3)) ?? Side.Infrastructure,
                    Signature = reader.GetString(4),
                    StartedAt = FromDb(reader, 5),
                    ResolvedAt = reader.IsDBNull(6) ? null : FromDb(reader, 6),
                    SuppressedBy = NullableString(reader, 7),
                    Evidence = Codec.Evidence(reader.GetString(8)),
                    Remedy = NullableString(reader, 9),
                });
            }
        }

        return incidents;
    }

    private async Task<DateTimeOffset?> TimeAsync(DbConnection connection, string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        var command = Command(connection, sql);
        await using (command.ConfigureAwait(false))
        {
            foreach (var (name, value) in parameters)
            {
                Add(command, name, value);
            }

            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) && !reader.IsDBNull(0) ? FromDb(reader, 0) : null;
            }
        }
    }

    /// <summary>
    /// Rolls up the hours in [start, end of the last complete hour) that hold results, a day of hours per
    /// transaction (the watermark moves with each, so an interrupted run resumes where it stopped), then
    /// deletes what is past retention. The last rolled-up hour is rolled up again while its raw results are
    /// kept, so a result written just after its hour ended still counts; results later than that are only
    /// in the raw table.
    /// </summary>
    private async Task RetainAsync(DbConnection connection, DateTimeOffset now, TimeSpan raw, TimeSpan rollups, CancellationToken cancellationToken)
    {
        var end = Codec.FloorHour(now);
        var rawCut = now - raw;
        var rolledUntil = await TimeAsync(connection, "SELECT rolled_until FROM rollup_state WHERE name = @name", cancellationToken, ("name", StateName)).ConfigureAwait(false);
        DateTimeOffset? from;
        if (rolledUntil is { } until)
        {
            from = until - TimeSpan.FromHours(1) >= rawCut ? until - TimeSpan.FromHours(1) : until;
        }
        else
        {
            var first = await TimeAsync(connection, "SELECT MIN(at) FROM results", cancellationToken).ConfigureAwait(false);
            from = first is { } at ? Codec.FloorHour(at) : null;
        }

        var hours = 0;
        while (from is { } start && start < end)
        {
            var stop = start + RollupChunk < end ? start + RollupChunk : end;
            hours += await RollUpAsync(connection, start, stop, rolledUntil is { } r0 && r0 > stop ? r0 : stop, cancellationToken).ConfigureAwait(false);
            rolledUntil = rolledUntil is { } r1 && r1 > stop ? r1 : stop;
            var next = await TimeAsync(connection, "SELECT MIN(at) FROM results WHERE at >= @from AND at < @to", cancellationToken, ("from", ToDb(stop)), ("to", ToDb(end))).ConfigureAwait(false);
            from = next is { } n ? Codec.FloorHour(n) : null;
        }

        if (rolledUntil is { } reached && reached < end && from is null)
        {
            // No results after the last chunk: the watermark still moves to the end of the last complete hour.
            await SetWatermarkAsync(connection, null, end, cancellationToken).ConfigureAwait(false);
            rolledUntil = end;
        }

        // Raw results not rolled up yet are never deleted.
        var cut = rolledUntil is { } r && r < rawCut ? r : rawCut;
        long rawDeleted = 0;
        while (true)
        {
            var delete = Command(connection, $"DELETE FROM results WHERE id IN (SELECT id FROM results WHERE at < @cut LIMIT {DeleteChunk})");
            await using (delete.ConfigureAwait(false))
            {
                Add(delete, "cut", ToDb(cut));
                var deleted = await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                rawDeleted += deleted;
                if (deleted < DeleteChunk)
                {
                    break;
                }
            }
        }

        long rollupsDeleted;
        var expire = Command(connection, "DELETE FROM rollups WHERE hour < @cut");
        await using (expire.ConfigureAwait(false))
        {
            Add(expire, "cut", ToDb(now - rollups));
            rollupsDeleted = await expire.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        StoreLog.RetentionApplied(Logger, Description, hours, rawDeleted, rollupsDeleted);
    }

    /// <summary>Rolls up [from, to) and moves the watermark to <paramref name="watermark"/> in one transaction; returns the hours that held results.</summary>
    private async Task<int> RollUpAsync(DbConnection connection, DateTimeOffset from, DateTimeOffset to, DateTimeOffset watermark, CancellationToken cancellationToken)
    {
        var byHour = new SortedDictionary<DateTimeOffset, HourRollup>();
        var select = Command(connection, "SELECT target_id, at, status, layer, duration_ms FROM results WHERE at >= @from AND at < @to");
        await using (select.ConfigureAwait(false))
        {
            Add(select, "from", ToDb(from));
            Add(select, "to", ToDb(to));
            var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var hour = Codec.FloorHour(FromDb(reader, 1));
                    if (!byHour.TryGetValue(hour, out var rollup))
                    {
                        rollup = new HourRollup();
                        byHour[hour] = rollup;
                    }

                    rollup.Add(reader.GetInt64(0), Codec.Status(reader.GetString(2)), Codec.Layer(NullableString(reader, 3)), reader.GetDouble(4));
                }
            }
        }

        var rows = byHour.SelectMany(h => h.Value.Rows().Select(row => (h.Key, row))).ToList();
        var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (transaction.ConfigureAwait(false))
        {
            if (rows.Count > 0)
            {
                await UpsertRollupsAsync(connection, transaction, rows, cancellationToken).ConfigureAwait(false);
            }

            await SetWatermarkAsync(connection, transaction, watermark, cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        return byHour.Count;
    }

    private async Task SetWatermarkAsync(DbConnection connection, DbTransaction? transaction, DateTimeOffset until, CancellationToken cancellationToken)
    {
        var state = Command(connection, "INSERT INTO rollup_state (name, rolled_until) VALUES (@name, @until) ON CONFLICT (name) DO UPDATE SET rolled_until = excluded.rolled_until", transaction);
        await using (state.ConfigureAwait(false))
        {
            Add(state, "name", StateName);
            Add(state, "until", ToDb(until));
            await state.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
