using Faultline.Core.Config;
using Microsoft.Extensions.Logging;

namespace Faultline.Cli.Commands;

/// <summary>What check, validate and monitor do alike: report config errors, log to stderr.</summary>
internal static class CommandSupport
{
    /// <summary>Every error with its file:line:column, then one line saying what was not done (e.g. "nothing was probed").</summary>
    public static async Task WriteConfigErrorsAsync(TextWriter error, ConfigException ex, string outcome)
    {
        foreach (var e in ex.Errors)
        {
            await error.WriteLineAsync(e.ToString()).ConfigureAwait(false);
        }

        await error.WriteLineAsync($"faultline: the config has {ex.Errors.Count} error{(ex.Errors.Count == 1 ? string.Empty : "s")}; {outcome}.").ConfigureAwait(false);
    }

    /// <summary>Single-line logs on stderr: warnings and above, everything with --verbose.</summary>
    public static ILoggerFactory CreateLoggerFactory(bool verbose) => LoggerFactory.Create(builder =>
    {
        builder.SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Warning);
        builder.AddSimpleConsole(o => o.SingleLine = true);
        builder.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    });
}
