using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Faultline.TestSupport;

/// <summary>One captured log entry: the formatted message, its structured values and the exception text.</summary>
public sealed record LogEntry(string Category, LogLevel Level, EventId EventId, string Message, IReadOnlyDictionary<string, object?> Values, string? Exception)
{
    /// <summary>Everything a log sink could write for this entry.</summary>
    public string AllText => string.Join(" | ", [Category, Message, .. Values.Select(v => $"{v.Key}={v.Value}"), Exception ?? string.Empty]);
}

/// <summary>
/// A logger provider that keeps every entry in memory, for a real <see cref="LoggerFactory"/> or a host's
/// logging: what the code logs goes through the same source-generated formatting as in a service or the CLI.
/// </summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();

    public IReadOnlyList<LogEntry> Entries => [.. _entries];

    public IReadOnlyList<LogEntry> WithEventId(int id) => [.. _entries.Where(e => e.EventId.Id == id)];

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(categoryName, _entries);

    public void Dispose()
    {
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
