using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Faultline.Monitor.Tests.Alerts;

/// <summary>One captured log entry: the formatted message, its structured values and the exception text.</summary>
internal sealed record LogEntry(string Category, LogLevel Level, EventId EventId, string Message, IReadOnlyDictionary<string, object?> Values, string? Exception)
{
    /// <summary>Everything a log sink could write for this entry.</summary>
    public string AllText => string.Join(" | ", [Category, Message, .. Values.Select(v => $"{v.Key}={v.Value}"), Exception ?? string.Empty]);
}

/// <summary>
/// A real <see cref="LoggerFactory"/> (all levels) whose one provider keeps every entry in memory: what the code logs
/// goes through the same pipeline (filters, source-generated message formatting) as in the CLI.
/// </summary>
internal sealed class CapturingLoggerFactory : ILoggerFactory
{
    private readonly ConcurrentQueue<LogEntry> entries = new();
    private readonly ILoggerFactory inner;

    public CapturingLoggerFactory()
    {
        var provider = new CapturingLoggerProvider(entries);
        inner = LoggerFactory.Create(builder => builder.SetMinimumLevel(LogLevel.Trace).AddProvider(provider));
    }

    public IReadOnlyList<LogEntry> Entries => [.. entries];

    public IReadOnlyList<LogEntry> WithEventId(int id) => [.. entries.Where(e => e.EventId.Id == id)];

    public ILogger CreateLogger(string categoryName) => inner.CreateLogger(categoryName);

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    public void Dispose() => inner.Dispose();

    private sealed class CapturingLoggerProvider(ConcurrentQueue<LogEntry> entries) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new CapturingLogger(categoryName, entries);

        public void Dispose()
        {
        }
    }

    private sealed class CapturingLogger(string category, ConcurrentQueue<LogEntry> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? pairs.ToDictionary(p => p.Key, p => p.Value)
                : [];
            entries.Enqueue(new LogEntry(category, logLevel, eventId, formatter(state, exception), values, exception?.ToString()));
        }
    }
}
