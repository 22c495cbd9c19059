using System.Globalization;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Reporting;
using Faultline.Core.Running;

namespace Faultline.Core.Validation;

/// <summary>
/// Runs the whole check N times, waiting <c>interval</c> between runs (on the injected
/// <see cref="TimeProvider"/>), reports one progress line per run ("run 2/3: 5 passed, 1 failed")
/// and evaluates the runs with <see cref="Validator"/>. Cancellation stops between or during runs
/// with <see cref="OperationCanceledException"/>.
/// </summary>
public sealed class ValidationRunner
{
    private readonly Func<FaultlineConfig, CancellationToken, Task<Report>> _runOnce;
    private readonly TimeProvider _time;

    public ValidationRunner(CheckRunner checkRunner, TimeProvider time)
        : this(WrapRunner(checkRunner), time)
    {
    }

    /// <summary>With any "run the check once" function (tests give canned reports).</summary>
    public ValidationRunner(Func<FaultlineConfig, CancellationToken, Task<Report>> runOnce, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(runOnce);
        ArgumentNullException.ThrowIfNull(time);
        _runOnce = runOnce;
        _time = time;
    }

    /// <summary>Runs the check <paramref name="runs"/> times and returns each run's report, in order.</summary>
    public async Task<IReadOnlyList<Report>> RunAsync(FaultlineConfig config, int runs, TimeSpan interval, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentOutOfRangeException.ThrowIfLessThan(runs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(interval, TimeSpan.Zero);

        var reports = new List<Report>(runs);
        for (var run = 1; run <= runs; run++)
        {
            if (run > 1 && interval > TimeSpan.Zero)
            {
                await Task.Delay(interval, _time, cancellationToken).ConfigureAwait(false);
            }

            cancellationToken.ThrowIfCancellationRequested();
            var report = await _runOnce(config, cancellationToken).ConfigureAwait(false);

            // A cancelled check returns a partial report; it must not be counted as a run.
            cancellationToken.ThrowIfCancellationRequested();
            reports.Add(report);
            progress?.Report(Progress(run, runs, report));
        }

        return reports;
    }

    /// <summary>Runs and evaluates: <see cref="RunAsync(FaultlineConfig, int, TimeSpan, IProgress{string}?, CancellationToken)"/> then <see cref="Validator.Evaluate"/>.</summary>
    public async Task<ValidationResult> ValidateAsync(FaultlineConfig config, int runs, TimeSpan interval, Baseline? baseline = null, string? baselineSource = null, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        var reports = await RunAsync(config, runs, interval, progress, cancellationToken).ConfigureAwait(false);
        return Validator.Evaluate(reports, config.Validation, baseline, baselineSource);
    }

    /// <summary><c>run 2/3: 5 passed, 1 failed (1.2 s)</c>; warnings count as passed and are named.</summary>
    public static string Progress(int run, int runs, Report report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var results = report.Results;
        var failed = results.Count(r => r.Status == ResultStatus.Fail);
        var warned = results.Count(r => r.Status == ResultStatus.Warn);
        var line = string.Create(CultureInfo.InvariantCulture, $"run {run}/{runs}: {results.Count - failed} passed, {failed} failed");
        if (warned > 0)
        {
            line += string.Create(CultureInfo.InvariantCulture, $" ({warned} with warnings)");
        }

        return line + " in " + ReportText.Time(report.DurationMs);
    }

    private static Func<FaultlineConfig, CancellationToken, Task<Report>> WrapRunner(CheckRunner checkRunner)
    {
        ArgumentNullException.ThrowIfNull(checkRunner);
        return (config, cancellationToken) => checkRunner.RunAsync(config, null, cancellationToken);
    }
}
