using Faultline.Store;

namespace Faultline.Monitor.Tests.Engine;

/// <summary>A history store in memory whose alert lease the test grants or takes away (a second replica holding it).</summary>
internal sealed class InMemoryStore : IHistoryStore
{
    private readonly Lock _lock = new();
    private readonly List<StoredIncident> _incidents = [];
    private readonly HashSet<(long, string)> _notifications = [];
    private readonly List<StoredResult> _results = [];
    private long _nextId;

    /// <summary>Whether this replica can take the lease; false = another replica holds it.</summary>
    public bool LeaseAvailable { get; set; } = true;

    public int LeaseAttempts { get; private set; }

    public Lease? Current { get; private set; }

    public int RetentionRuns { get; private set; }

    public string Description => "memory:";

    public IReadOnlyList<StoredIncident> Incidents { get { lock (_lock) { return [.. _incidents]; } } }

    public IReadOnlyList<StoredResult> Results { get { lock (_lock) { return [.. _results]; } } }

    public Task MigrateAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task WriteResultsAsync(IReadOnlyList<StoredResult> results, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            _results.AddRange(results);
        }

        return Task.CompletedTask;
    }

    public Task<StoredIncident> OpenIncidentAsync(StoredIncident incident, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            var open = _incidents.FirstOrDefault(i => i.Target == incident.Target && i.ResolvedAt is null);
            if (open is not null)
            {
                return Task.FromResult(open);
            }

            var row = incident with { Id = ++_nextId };
            _incidents.Add(row);
            return Task.FromResult(row);
        }
    }

    public Task<StoredIncident?> ResolveIncidentAsync(string target, DateTimeOffset resolvedAt, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            var index = _incidents.FindIndex(i => i.Target == target && i.ResolvedAt is null);
            if (index < 0)
            {
                return Task.FromResult<StoredIncident?>(null);
            }

            _incidents[index] = _incidents[index] with { ResolvedAt = resolvedAt };
            return Task.FromResult<StoredIncident?>(_incidents[index]);
        }
    }

    public Task<IReadOnlyList<StoredIncident>> OpenIncidentsAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<StoredIncident>>(_incidents.Where(i => i.ResolvedAt is null).ToList());
        }
    }

    public Task<IReadOnlyList<StoredIncident>> IncidentsAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<StoredIncident>>(_incidents.Where(i => i.StartedAt >= from && i.StartedAt < to).Reverse().ToList());
        }
    }

    public Task<bool> TryRecordNotificationAsync(long incidentId, string eventName, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult(_notifications.Add((incidentId, eventName)));
        }
    }

    public Task ApplyRetentionAsync(DateTimeOffset now, TimeSpan raw, TimeSpan rollups, CancellationToken cancellationToken = default)
    {
        RetentionRuns++;
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<HourlyRollup>> RollupsAsync(string? target, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<HourlyRollup>>([]);

    public Task<IReadOnlyList<StoredResult>> ResultsAsync(string? target, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<StoredResult>>(_results.Where(r => (target is null || r.Target == target) && r.At >= from && r.At < to).ToList());
        }
    }

    public Task<IAlertLease?> TryAcquireAlertLeaseAsync(CancellationToken cancellationToken = default)
    {
        LeaseAttempts++;
        Current = LeaseAvailable ? new Lease() : null;
        return Task.FromResult<IAlertLease?>(Current);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    internal sealed class Lease : IAlertLease
    {
        public bool IsHeld { get; set; } = true;

        public ValueTask DisposeAsync()
        {
            IsHeld = false;
            return ValueTask.CompletedTask;
        }
    }
}
