using System.Globalization;
using System.Text;
using System.Text.Json;
using Faultline.AspNetCore.Probing;
using Faultline.Core.Model;
using Microsoft.Extensions.Logging;

namespace Faultline.AspNetCore.Startup;

/// <summary>Where the one stderr line goes; tests substitute a writer of their own.</summary>
internal sealed class StandardError
{
    public TextWriter Writer { get; init; } = Console.Error;
}

/// <summary>
/// Writes a fatal startup failure where operators look: one line on stderr and, when
/// <c>Faultline:TerminationMessagePath</c> is set, one JSON line in that file (the Kubernetes
/// <c>/dev/termination-log</c> convention): <c>{ phase, layer, side, errorKind, message, attempts, elapsedMs }</c>.
/// Only typed, scrubbed text: no exception text, no secret.
/// </summary>
internal sealed partial class FailureReporter(StandardError standardError, SecretScrubber scrubber, ILogger<FailureReporter> logger)
{
    public void Report(StartupFailure failure, string? terminationMessagePath)
    {
        failure = failure with { Message = scrubber.Scrub(failure.Message) };
        var line = StderrLine(failure);
        lock (standardError)
        {
            standardError.Writer.WriteLine(line);
            standardError.Writer.Flush();
        }

        LogFatal(logger, failure.Phase, failure.Layer.Wire(), failure.Side.Wire(), failure.Kind?.Wire() ?? "condition-failed", failure.Attempts, failure.Message);
        if (string.IsNullOrWhiteSpace(terminationMessagePath))
        {
            return;
        }

        try
        {
            File.WriteAllText(terminationMessagePath, TerminationLine(failure) + "\n", new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or System.Security.SecurityException)
        {
            LogTerminationFileFailed(logger, ex, terminationMessagePath);
        }
    }

    public static string StderrLine(StartupFailure failure)
    {
        var attempts = failure.Attempts == 1 ? "1 attempt" : string.Create(CultureInfo.InvariantCulture, $"{failure.Attempts} attempts");
        var kind = failure.Kind is { } k ? $"{k.Wire()}: " : string.Empty;
        return string.Create(CultureInfo.InvariantCulture,
            $"faultline: startup failed in phase '{failure.Phase}': layer {failure.Layer.Wire()}, side {failure.Side.Wire()}, cause {kind}{failure.Message} ({attempts}, {Durations.Describe(TimeSpan.FromMilliseconds(failure.ElapsedMs))}); exit code {FaultlineExitCodes.StartupFailed}");
    }

    public static string TerminationLine(StartupFailure failure)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("phase", failure.Phase);
            json.WriteString("layer", failure.Layer.Wire());
            json.WriteString("side", failure.Side.Wire());
            if (failure.Kind is { } kind)
            {
                json.WriteString("errorKind", kind.Wire());
            }
            else
            {
                json.WriteNull("errorKind");
            }

            json.WriteString("message", failure.Message);
            json.WriteNumber("attempts", failure.Attempts);
            json.WriteNumber("elapsedMs", Math.Round(failure.ElapsedMs, 1));
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    [LoggerMessage(EventId = 3010, Level = LogLevel.Critical, Message = "startup failed in phase {Phase}: layer {Layer}, side {Side}, {ErrorKind} after {Attempts} attempt(s): {Reason}")]
    private static partial void LogFatal(ILogger logger, string phase, string layer, string side, string errorKind, int attempts, string reason);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Error, Message = "could not write the termination message to {Path}")]
    private static partial void LogTerminationFileFailed(ILogger logger, Exception exception, string path);
}
