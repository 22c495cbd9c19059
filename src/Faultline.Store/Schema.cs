namespace Faultline.Store;

/// <summary>One numbered schema step; each runs in its own transaction and is recorded in <c>schema_version</c>.</summary>
internal sealed record Migration(int Version, string Description, string Sqlite, string Postgres);

/// <summary>
/// The schema of both backends: the same tables and columns; times are INTEGER unix milliseconds in
/// SQLite and timestamptz in PostgreSQL. Steps are append-only: a released step is never edited.
/// </summary>
internal static class Schema
{
    public const string VersionTable = """
        CREATE TABLE IF NOT EXISTS schema_version (
            version INTEGER PRIMARY KEY,
            description TEXT NOT NULL,
            applied_at TEXT NOT NULL
        )
        """;

    public static IReadOnlyList<Migration> Steps { get; } =
    [
        new(1, "targets, results, incidents, notifications",
            Sqlite: """
                CREATE TABLE targets (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE
                );
                CREATE TABLE results (
                    id INTEGER PRIMARY KEY,
                    target_id INTEGER NOT NULL REFERENCES targets (id),
                    scheduled_at INTEGER NOT NULL,
                    at INTEGER NOT NULL,
                    status TEXT NOT NULL,
                    layer TEXT,
                    side TEXT,
                    error_kind TEXT,
                    duration_ms REAL NOT NULL,
                    message TEXT
                );
                CREATE INDEX results_target_at ON results (target_id, at);
                CREATE INDEX results_at ON results (at);
                CREATE TABLE incidents (
                    id INTEGER PRIMARY KEY,
                    target TEXT NOT NULL,
                    layer TEXT NOT NULL,
                    side TEXT NOT NULL,
                    signature TEXT NOT NULL,
                    started_at INTEGER NOT NULL,
                    resolved_at INTEGER,
                    suppressed_by TEXT,
                    evidence TEXT NOT NULL,
                    remedy TEXT
                );
                CREATE UNIQUE INDEX incidents_one_open ON incidents (target) WHERE resolved_at IS NULL;
                CREATE INDEX incidents_started_at ON incidents (started_at);
                CREATE TABLE notifications (
                    incident_id INTEGER NOT NULL REFERENCES incidents (id),
                    event TEXT NOT NULL,
                    at INTEGER NOT NULL,
                    PRIMARY KEY (incident_id, event)
                );
                """,
            Postgres: """
                CREATE TABLE targets (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    name text NOT NULL UNIQUE
                );
                CREATE TABLE results (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    target_id bigint NOT NULL REFERENCES targets (id),
                    scheduled_at timestamptz NOT NULL,
                    at timestamptz NOT NULL,
                    status text NOT NULL,
                    layer text,
                    side text,
                    error_kind text,
                    duration_ms double precision NOT NULL,
                    message text
                );
                CREATE INDEX results_target_at ON results (target_id, at);
                CREATE INDEX results_at ON results (at);
                CREATE TABLE incidents (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    target text NOT NULL,
                    layer text NOT NULL,
                    side text NOT NULL,
                    signature text NOT NULL,
                    started_at timestamptz NOT NULL,
                    resolved_at timestamptz,
                    suppressed_by text,
                    evidence text NOT NULL,
                    remedy text
                );
                CREATE UNIQUE INDEX incidents_one_open ON incidents (target) WHERE resolved_at IS NULL;
                CREATE INDEX incidents_started_at ON incidents (started_at);
                CREATE TABLE notifications (
                    incident_id bigint NOT NULL REFERENCES incidents (id),
                    event text NOT NULL,
                    at timestamptz NOT NULL,
                    PRIMARY KEY (incident_id, event)
                );
                """),
        new(2, "hourly rollups",
            Sqlite: """
                CREATE TABLE rollups (
                    target_id INTEGER NOT NULL REFERENCES targets (id),
                    hour INTEGER NOT NULL,
                    total INTEGER NOT NULL,
                    passed INTEGER NOT NULL,
                    p50_ms REAL NOT NULL,
                    p95_ms REAL NOT NULL,
                    p99_ms REAL NOT NULL,
                    failures TEXT NOT NULL,
                    PRIMARY KEY (target_id, hour)
                ) WITHOUT ROWID;
                CREATE INDEX rollups_hour ON rollups (hour);
                CREATE TABLE rollup_state (
                    name TEXT PRIMARY KEY,
                    rolled_until INTEGER NOT NULL
                );
                """,
            Postgres: """
                CREATE TABLE rollups (
                    target_id bigint NOT NULL REFERENCES targets (id),
                    hour timestamptz NOT NULL,
                    total integer NOT NULL,
                    passed integer NOT NULL,
                    p50_ms double precision NOT NULL,
                    p95_ms double precision NOT NULL,
                    p99_ms double precision NOT NULL,
                    failures text NOT NULL,
                    PRIMARY KEY (target_id, hour)
                );
                CREATE INDEX rollups_hour ON rollups (hour);
                CREATE TABLE rollup_state (
                    name text PRIMARY KEY,
                    rolled_until timestamptz NOT NULL
                );
                """),
    ];

    public static int Latest => Steps[^1].Version;

    public static HistoryStoreException Newer(string description, long found) =>
        new($"history store {description} has schema version {found}, written by a newer Faultline; this Faultline knows up to version {Latest}. "
            + "Upgrade Faultline, or point --store (monitor.store) at another database; the store was not changed.");
}
