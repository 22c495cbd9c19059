using System.Globalization;
using Faultline.Core.Config;
using Microsoft.Extensions.Logging;

namespace Faultline.Cli.Commands;

/// <summary>What check, validate and monitor do alike: report config errors, log to stderr.</summary>
internal static class CommandSupport
{
    /// <summary>
    /// The errors shown (at most <see cref="ConfigLimits.MaxErrorsShown"/>, each with its file:line:column), "and N more
    /// errors" when there are more, then one line saying what was not done (e.g. "nothing was probed").
    /// </summary>
    public static async Task WriteConfigErrorsAsync(TextWriter error, ConfigException ex, string outcome)
    {
        await WriteErrorLinesAsync(error, ex).ConfigureAwait(false);
        await error.WriteLineAsync($"faultline: the config has {ErrorCount(ex)}; {outcome}.").ConfigureAwait(false);
    }

    /// <summary>The errors shown, then "and N more errors" when some were left out.</summary>
    public static async Task WriteErrorLinesAsync(TextWriter error, ConfigException ex)
    {
        foreach (var e in ex.Errors)
        {
            await error.WriteLineAsync(e.ToString()).ConfigureAwait(false);
        }

        if (ex.OmittedLine is { } omitted)
        {
            await error.WriteLineAsync(omitted).ConfigureAwait(false);
        }
    }

    /// <summary><c>1 error</c>, <c>1,000,000 errors</c>.</summary>
    public static string ErrorCount(ConfigException ex) =>
        string.Create(CultureInfo.InvariantCulture, $"{ex.Count:N0} error{(ex.Count == 1 ? string.Empty : "s")}");

    /// <summary>
    /// The one way check, validate and monitor load a config file (<see cref="ConfigLoader.LoadFile"/>: a regular file
    /// within <see cref="ConfigLimits"/>); a signal cancels it (<see cref="OperationCanceledException"/>).
    /// </summary>
    public static FaultlineConfig LoadConfigFile(string path, CancellationToken cancellationToken) =>
        ConfigLoader.LoadFile(path, getEnvironmentVariable: null, cancellationToken);

    /// <summary>Single-line logs on stderr: warnings and above, everything with --verbose.</summary>
    public static ILoggerFactory CreateLoggerFactory(bool verbose) => LoggerFactory.Create(builder =>
    {
        builder.SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Warning);
        builder.AddSimpleConsole(o => o.SingleLine = true);
        builder.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    });
}
