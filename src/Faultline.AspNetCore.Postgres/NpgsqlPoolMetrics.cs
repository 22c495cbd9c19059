using System.Diagnostics.Metrics;
using Faultline.AspNetCore.Pools;

namespace Faultline.AspNetCore.Postgres;

/// <summary>
/// Reads one pool's use from Npgsql's own meter (<c>Npgsql</c>), filtered by the pool's name
/// (<c>db.client.connection.pool.name</c>, the data source's <c>Name</c>): <c>db.client.connection.count</c> by
/// <c>db.client.connection.state</c> (<c>idle</c> / <c>used</c>) and <c>db.client.connection.max</c>, both observed on
/// demand; <c>db.client.connection.npgsql.pending_requests</c> (requests waiting for a connection of a full pool) and
/// <c>db.client.connection.npgsql.timeouts</c> (waits that gave up), summed from the moment listening starts.
/// </summary>
internal sealed class NpgsqlPoolMetrics : IDisposable
{
    public const string MeterName = "Npgsql";
    public const string ConnectionCount = "db.client.connection.count";
    public const string ConnectionMax = "db.client.connection.max";
    public const string PendingRequests = "db.client.connection.npgsql.pending_requests";
    public const string Timeouts = "db.client.connection.npgsql.timeouts";
    public const string PoolNameTag = "db.client.connection.pool.name";
    public const string StateTag = "db.client.connection.state";

    private readonly MeterListener _listener;
    private readonly Lock _gate = new();
    private int _pending;
    private long _timeouts;

    // One observation pass (under _gate): the values and how many data sources reported them.
    private int _idle;
    private int _used;
    private int _max;
    private int _usedReports;
    private int _maxReports;

    public NpgsqlPoolMetrics(string poolName)
    {
        PoolName = poolName;
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == MeterName && instrument.Name is ConnectionCount or ConnectionMax or PendingRequests or Timeouts)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _listener.SetMeasurementEventCallback<int>(OnMeasurement);
        _listener.Start();
    }

    public string PoolName { get; }

    /// <summary>The pool's use now; null when Npgsql reports no such pool (not pooling, or gone).</summary>
    public (PoolUsage Usage, bool Ambiguous)? Read()
    {
        lock (_gate)
        {
            _idle = _used = _max = _usedReports = _maxReports = 0;
            _listener.RecordObservableInstruments();
            if (_usedReports == 0 || _maxReports == 0)
            {
                return null;
            }

            var usage = new PoolUsage(_used, _idle, _max, Math.Max(0, Volatile.Read(ref _pending)), Interlocked.Read(ref _timeouts));
            return (usage, _usedReports > 1 || _maxReports > 1);
        }
    }

    private void OnMeasurement(Instrument instrument, int value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        string? pool = null;
        string? connectionState = null;
        foreach (var tag in tags)
        {
            if (tag.Key == PoolNameTag)
            {
                pool = tag.Value as string;
            }
            else if (tag.Key == StateTag)
            {
                connectionState = tag.Value as string;
            }
        }

        if (!string.Equals(pool, PoolName, StringComparison.Ordinal))
        {
            return;
        }

        switch (instrument.Name)
        {
            case PendingRequests:
                Interlocked.Add(ref _pending, value);
                break;
            case Timeouts:
                Interlocked.Add(ref _timeouts, value);
                break;

            // The observable ones arrive only inside Read's RecordObservableInstruments, on its thread, under _gate.
            case ConnectionCount when connectionState == "used":
                _used += value;
                _usedReports++;
                break;
            case ConnectionCount when connectionState == "idle":
                _idle += value;
                break;
            case ConnectionMax:
                _max += value;
                _maxReports++;
                break;
        }
    }

    public void Dispose() => _listener.Dispose();
}
