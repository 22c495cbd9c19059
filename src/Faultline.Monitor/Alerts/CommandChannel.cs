using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Reporting;
using Faultline.Core.Running;
using Microsoft.Extensions.Logging;

namespace Faultline.Monitor.Alerts;

/// <summary>
/// Runs <see cref="AlertSpec.Run"/> with <c>/bin/sh -c</c>, the alert in its environment (<c>FAULTLINE_*</c>).
/// Exit 0 = delivered, any other exit = retried; killed (with its children) at the attempt's deadline.
/// The first <see cref="OutputLimit"/> characters of stdout and stderr go to the log, escaped to one line.
/// The command inherits the monitor's environment except the variables that hold one of the config's
/// <paramref name="secrets"/> (a token the config interpolated into a header, a database URL): a script
/// that dumps its environment cannot leak them. A command that needs one names it in its <c>run</c>.
/// </summary>
internal sealed class CommandChannel(AlertSpec spec, ILogger logger, IReadOnlyList<string> secrets) : IAlertChannel
{
    public const string Shell = "/bin/sh";

    /// <summary><c>kind: command</c>: needs a <c>run</c> line.</summary>
    public static readonly AlertChannelKind Kind = new(
        AlertKinds.Command,
        spec => string.IsNullOrEmpty(spec.Run) ? "is a command without run" : null,
        (spec, context) => new CommandChannel(spec, context.LoggerFactory.CreateLogger<CommandChannel>(), context.Secrets));

    /// <summary>Characters of each stream kept for the log; the rest is read and discarded.</summary>
    public const int OutputLimit = 4096;

    public AlertSpec Spec { get; } = spec;

    public string Destination => AlertKinds.Command;

    /// <summary>
    /// The environment a command sees, by variable name. Text that can come from a probed server (target, signature,
    /// summary, remedy, each evidence line) is escaped to one line (<see cref="SafeText.OneLine"/>), so a script that
    /// echoes it writes no control characters; <c>FAULTLINE_EVIDENCE</c> keeps <c>\n</c> between its lines.
    /// <c>FAULTLINE_JSON</c> is the exact generic webhook body (JSON escapes control characters itself).
    /// </summary>
    public static IReadOnlyDictionary<string, string> Environment(AlertEvent alert)
    {
        var incident = alert.Incident;
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["FAULTLINE_EVENT"] = AlertPayloads.EventName(alert.Event),
            ["FAULTLINE_TARGET"] = SafeText.OneLine(incident.Target),
            ["FAULTLINE_LAYER"] = incident.Layer.Wire(),
            ["FAULTLINE_SIDE"] = incident.Side.Wire(),
            ["FAULTLINE_INCIDENT"] = incident.Id.ToString(CultureInfo.InvariantCulture),
            ["FAULTLINE_SIGNATURE"] = SafeText.OneLine(incident.Signature),
            ["FAULTLINE_SUMMARY"] = SafeText.OneLine(alert.Summary),
            ["FAULTLINE_REMEDY"] = SafeText.OneLine(alert.Remedy ?? string.Empty),
            ["FAULTLINE_EVIDENCE"] = string.Join('\n', alert.Evidence.Select(SafeText.OneLine)),
            ["FAULTLINE_SUPPRESSED"] = string.Join(',', incident.Suppressed.Select(SafeText.OneLine)),
            ["FAULTLINE_SEQUENCE"] = alert.Sequence.ToString(CultureInfo.InvariantCulture),
            ["FAULTLINE_STARTED_AT"] = AlertPayloads.Timestamp(incident.StartedAt),
            ["FAULTLINE_RESOLVED_AT"] = incident.ResolvedAt is { } resolved ? AlertPayloads.Timestamp(resolved) : string.Empty,
            ["FAULTLINE_JSON"] = Encoding.UTF8.GetString(AlertPayloads.Generic(alert)),
        };
        return env;
    }

    /// <summary>True when <paramref name="value"/> is or contains one of the config's secrets (of at least the redactor's minimum length).</summary>
    private bool HoldsSecret(string? value) =>
        !string.IsNullOrEmpty(value)
        && secrets.Any(s => s.Length >= SecretRedactor.MinimumLength && value.Contains(s, StringComparison.Ordinal));

    public async Task<DeliveryResult> DeliverAsync(AlertEvent alert, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(Shell)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        if (Spec.WorkingDirectory is { } directory)
        {
            start.WorkingDirectory = directory;
        }

        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(Spec.Run!);
        foreach (var name in start.Environment.Where(v => HoldsSecret(v.Value)).Select(v => v.Key).ToList())
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in Environment(alert))
        {
            start.Environment[name] = value;
        }

        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            return DeliveryResult.Rejected($"cannot start {Shell}: {ex.NativeErrorCode}");
        }

        process.StandardInput.Close();
        var stdout = ReadBoundedAsync(process.StandardOutput);
        var stderr = ReadBoundedAsync(process.StandardError);
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            AlertLog.CommandKilled(logger, Spec.Name, SafeText.OneLine(await Collected(stdout).ConfigureAwait(false)), SafeText.OneLine(await Collected(stderr).ConfigureAwait(false)));
            throw;
        }

        var output = await Collected(stdout).ConfigureAwait(false);
        var errors = await Collected(stderr).ConfigureAwait(false);
        if (output.Length > 0 || errors.Length > 0 || process.ExitCode != 0)
        {
            AlertLog.CommandOutput(logger, Spec.Name, process.ExitCode, SafeText.OneLine(output), SafeText.OneLine(errors));
        }

        var detail = string.Create(CultureInfo.InvariantCulture, $"exit {process.ExitCode}");
        return process.ExitCode == 0 ? DeliveryResult.Delivered(detail) : DeliveryResult.Retry(detail);
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It exited between the deadline and the kill.
        }
    }

    /// <summary>What a stream produced, once the stream closes or shortly after the process is gone (a background child may keep it open).</summary>
    private static async Task<string> Collected(Task<string> reader)
    {
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            return await reader.WaitAsync(grace.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return "(still open)";
        }
    }

    private static async Task<string> ReadBoundedAsync(StreamReader reader)
    {
        var kept = new StringBuilder();
        var buffer = new char[1024];
        var truncated = false;
        int read;
        while ((read = await reader.ReadAsync(buffer).ConfigureAwait(false)) > 0)
        {
            var room = OutputLimit - kept.Length;
            if (room > 0)
            {
                kept.Append(buffer, 0, Math.Min(room, read));
            }

            truncated |= read > room;
        }

        var text = kept.ToString().TrimEnd();
        return truncated ? text + " …(truncated)" : text;
    }
}
