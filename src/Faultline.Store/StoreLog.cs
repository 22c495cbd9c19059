using Microsoft.Extensions.Logging;

namespace Faultline.Store;

/// <summary>The store's log events (ids 4100–4199).</summary>
internal static partial class StoreLog
{
    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Applied history schema step {Version} ({Step}) to {Store}")]
    public static partial void MigrationApplied(ILogger logger, int version, string step, string store);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Debug, Message = "Retention on {Store}: rolled up {Hours} hour(s), deleted {RawDeleted} raw result(s) and {RollupsDeleted} rollup(s)")]
    public static partial void RetentionApplied(ILogger logger, string store, int hours, long rawDeleted, long rollupsDeleted);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Debug, Message = "Retention on {Store} skipped: another replica is applying it")]
    public static partial void RetentionBusy(ILogger logger, string store);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Warning, Message = "The alert lease on {Store} was lost: the connection holding it failed; another replica may send alerts now")]
    public static partial void LeaseLost(ILogger logger, string store, Exception exception);

    [LoggerMessage(EventId = 4105, Level = LogLevel.Warning, Message = "SQLite store {Store} runs in journal mode '{Mode}', not WAL (a file system without shared memory?); writes are slower and readers wait for writers")]
    public static partial void NotWal(ILogger logger, string store, string mode);

    [LoggerMessage(EventId = 4106, Level = LogLevel.Information, Message = "Took the alert lease on {Store}: this replica sends alerts")]
    public static partial void LeaseTaken(ILogger logger, string store);
}
