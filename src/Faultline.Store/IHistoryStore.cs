using Faultline.Core.Model;

namespace Faultline.Store;

/// <summary>One probe result as the history keeps it (no secrets: built from a redacted TargetResult).</summary>
public sealed record StoredResult
{
    public required string Target { get; init; }

    /// <summary>When the probe was due.</summary>
    public required DateTimeOffset ScheduledAt { get; init; }

    /// <summary>When the probe finished.</summary>
    public required DateTimeOffset At { get; init; }

    public required ResultStatus Status { get; init; }

    public Layer? Layer { get; init; }

    public Side? Side { get; init; }

    /// <summary>The error kind on the wire (<c>connect-timeout</c>), or null.</summary>
    public string? ErrorKind { get; init; }

    public double DurationMs { get; init; }

    /// <summary>A short, redacted message (the error message or the first failed condition).</summary>
    public string? Message { get; init; }
}

/// <summary>An incident as the history keeps it; one row per (target, opening), shared by every replica.</summary>
public sealed record StoredIncident
{
    public required long Id { get; init; }

    public required string Target { get; init; }

    public Layer Layer { get; init; }

    public Side Side { get; init; }

    /// <summary>layer + error kind, e.g. <c>database/connect-timeout</c>: recurring failures group by it.</summary>
    public required string Signature { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public DateTimeOffset? ResolvedAt { get; init; }

    /// <summary>When set, this incident's failures are attributed to the parent target's incident.</summary>
    public string? SuppressedBy { get; init; }

    public IReadOnlyList<string> Evidence { get; init; } = [];

    public string? Remedy { get; init; }
}

/// <summary>One target's hour: counts, percentiles and failures by layer.</summary>
public sealed record HourlyRollup
{
    public required string Target { get; init; }

    /// <summary>Start of the hour (UTC).</summary>
    public required DateTimeOffset Hour { get; init; }

    public int Total { get; init; }

    /// <summary>pass + warn.</summary>
    public int Passed { get; init; }

    public double P50Ms { get; init; }

    public double P95Ms { get; init; }

    public double P99Ms { get; init; }

    public IReadOnlyDictionary<Layer, int> FailuresByLayer { get; init; } = new Dictionary<Layer, int>();

    public double Uptime => Total == 0 ? 0 : (double)Passed / Total;
}

/// <summary>The incident notifications are sent by one replica at a time: the holder of this lease.</summary>
public interface IAlertLease : IAsyncDisposable
{
    /// <summary>True while this process holds the lease; false after the connection holding it was lost.</summary>
    bool IsHeld { get; }
}

/// <summary>
/// The monitor's history: raw results (kept for the raw retention), hourly rollups (kept for the
/// rollup retention), incidents shared by every replica writing to the same store, and a record of
/// the notifications sent, so each incident event is announced once whichever replica sends it.
/// </summary>
public interface IHistoryStore : IAsyncDisposable
{
    /// <summary>A readable name: <c>sqlite:/path/faultline.db</c> or <c>postgres:host:port/db</c> (never a password).</summary>
    string Description { get; }

    /// <summary>Creates or upgrades the schema to the current version; safe to call from several replicas at once.</summary>
    Task MigrateAsync(CancellationToken cancellationToken = default);

    /// <summary>Appends results in one transaction: after it returns they survive a crash.</summary>
    Task WriteResultsAsync(IReadOnlyList<StoredResult> results, CancellationToken cancellationToken = default);

    /// <summary>Opens an incident for the target, or returns the one already open (opened by this or another replica).</summary>
    Task<StoredIncident> OpenIncidentAsync(StoredIncident incident, CancellationToken cancellationToken = default);

    /// <summary>Marks the open incident resolved; returns it, or null when none was open.</summary>
    Task<StoredIncident?> ResolveIncidentAsync(string target, DateTimeOffset resolvedAt, CancellationToken cancellationToken = default);

    /// <summary>Incidents not yet resolved, for a monitor that restarts.</summary>
    Task<IReadOnlyList<StoredIncident>> OpenIncidentsAsync(CancellationToken cancellationToken = default);

    /// <summary>Incidents that started in [from, to), newest first.</summary>
    Task<IReadOnlyList<StoredIncident>> IncidentsAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records that <paramref name="eventName"/> (open, resolve, reminder-N) of an incident is being sent;
    /// true the first time for that pair, false when it was already recorded (by any replica).
    /// </summary>
    Task<bool> TryRecordNotificationAsync(long incidentId, string eventName, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>Rolls up every complete hour not yet rolled up, then deletes raw results older than <paramref name="raw"/> and rollups older than <paramref name="rollups"/>.</summary>
    Task ApplyRetentionAsync(DateTimeOffset now, TimeSpan raw, TimeSpan rollups, CancellationToken cancellationToken = default);

    /// <summary>Hourly rollups in [from, to) for one target (or all when null), oldest first.</summary>
    Task<IReadOnlyList<HourlyRollup>> RollupsAsync(string? target, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default);

    /// <summary>Raw results in [from, to) for one target (or all when null), oldest first.</summary>
    Task<IReadOnlyList<StoredResult>> ResultsAsync(string? target, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default);

    /// <summary>Tries to take the alert lease without waiting; null when another replica holds it. SQLite: always granted (one writer process).</summary>
    Task<IAlertLease?> TryAcquireAlertLeaseAsync(CancellationToken cancellationToken = default);
}
