using Faultline.AspNetCore.Options;
using Faultline.AspNetCore.Pools;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Faultline.AspNetCore.Postgres;

/// <summary>
/// The application's data source of one postgres dependency, built on first use with the pool settings in effect,
/// and the reader of its pool's use from Npgsql's own metrics. One per container; owns the metrics listener (the
/// data source itself is disposed with the container, which created it).
/// </summary>
internal sealed partial class PostgresPool(
    PostgresRegistration registration,
    IOptions<FaultlineOptions> options,
    IHostEnvironment environment,
    ILoggerFactory loggerFactory) : IPoolUsageReader, IDisposable
{
    private readonly Lock _gate = new();
    private readonly ILogger _logger = loggerFactory.CreateLogger("Faultline.Pools");
    private NpgsqlDataSource? _dataSource;
    private NpgsqlPoolMetrics? _metrics;
    private bool _ambiguityLogged;
    private bool _disposed;

    public string Dependency => registration.Name;

    /// <summary>The settings the data source was built with; null before it is built.</summary>
    public PostgresPoolSettings? Settings { get; private set; }

    /// <summary>The data source, built on first use; throws <see cref="InvalidOperationException"/> when the connection string is missing or unusable.</summary>
    public NpgsqlDataSource DataSource
    {
        get
        {
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                return _dataSource ??= Build();
            }
        }
    }

    public PoolUsage? Read()
    {
        NpgsqlPoolMetrics? metrics;
        lock (_gate)
        {
            metrics = _metrics;
        }

        if (metrics?.Read() is not { } reading)
        {
            return null;
        }

        if (reading.Ambiguous)
        {
            if (!_ambiguityLogged)
            {
                _ambiguityLogged = true;
                LogAmbiguousPool(_logger, registration.Name, metrics.PoolName);
            }

            return null;
        }

        return reading.Usage;
    }

    private NpgsqlDataSource Build()
    {
        if (!PostgresPoolSettingsReader.TryParse(registration, out var connection, out var problem))
        {
            throw new InvalidOperationException(problem);
        }

        var value = options.Value;
        var profile = FaultlineOptionsReader.ProfileOf(value, environment);
        var resolver = new PoolSettingsResolver(registration.Name);
        var settings = PostgresPoolSettingsReader.Resolve(registration.Name, value.Pools.GetValueOrDefault(registration.Name), connection, PoolDefaults.Postgres(profile), resolver);
        if (resolver.Conflicts.Count > 0)
        {
            // Validation at start reports these (exit code 3); this guards a data source asked for without it.
            throw new InvalidOperationException(string.Join("; ", resolver.Conflicts));
        }

        PostgresPoolSettingsReader.Apply(settings, connection);
        var builder = new NpgsqlDataSourceBuilder(connection.ConnectionString) { Name = registration.Name };
        builder.UseLoggerFactory(loggerFactory);
        registration.ConfigureDataSource?.Invoke(builder);
        builder.Name ??= registration.Name;

        // Listening starts before the data source exists, so every waiting request it will count is seen from zero.
        var metrics = new NpgsqlPoolMetrics(builder.Name);
        try
        {
            var dataSource = builder.Build();
            _metrics = metrics;
            Settings = settings;
            LogPoolBuilt(_logger, registration.Name, profile.ToString(), settings.MinSize, settings.MaxSize, settings.ConnectionTimeout.TotalSeconds, settings.IdleLifetime.TotalSeconds, settings.Lifetime.TotalSeconds, settings.CommandTimeout.TotalSeconds);
            return dataSource;
        }
        catch
        {
            metrics.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        NpgsqlPoolMetrics? metrics;
        lock (_gate)
        {
            _disposed = true;
            metrics = _metrics;
            _metrics = null;
        }

        metrics?.Dispose();
    }

    [LoggerMessage(EventId = 3060, Level = LogLevel.Information, Message = "postgres pool {Dependency} ({Profile}): min {MinSize}, max {MaxSize}, connection timeout {ConnectionTimeout} s, idle lifetime {IdleLifetime} s, lifetime {Lifetime} s, command timeout {CommandTimeout} s")]
    private static partial void LogPoolBuilt(ILogger logger, string dependency, string profile, int minSize, int maxSize, double connectionTimeout, double idleLifetime, double lifetime, double commandTimeout);

    [LoggerMessage(EventId = 3061, Level = LogLevel.Warning, Message = "postgres pool {Dependency}: more than one data source in this process is named {PoolName}, so Npgsql's metrics cannot tell their pools apart; pool use is not reported (give each a unique NpgsqlDataSourceBuilder.Name)")]
    private static partial void LogAmbiguousPool(ILogger logger, string dependency, string poolName);
}
