using Faultline.TestSupport;
using Microsoft.Extensions.Logging;

namespace Faultline.Monitor.Tests.Alerts;

/// <summary>
/// A real <see cref="LoggerFactory"/> (all levels) whose one provider keeps every entry in memory: what the code logs
/// goes through the same pipeline (filters, source-generated message formatting) as in the CLI.
/// </summary>
internal sealed class CapturingLoggerFactory : ILoggerFactory
{
    private readonly CapturingLoggerProvider provider = new();
    private readonly ILoggerFactory inner;

    public CapturingLoggerFactory() =>
        inner = LoggerFactory.Create(builder => builder.SetMinimumLevel(LogLevel.Trace).AddProvider(provider));

    public IReadOnlyList<LogEntry> Entries => provider.Entries;

    public IReadOnlyList<LogEntry> WithEventId(int id) => provider.WithEventId(id);

    public ILogger CreateLogger(string categoryName) => inner.CreateLogger(categoryName);

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    public void Dispose() => inner.Dispose();
}
