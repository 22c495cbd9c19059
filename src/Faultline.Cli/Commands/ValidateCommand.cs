using System.CommandLine;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Reporting;
using Faultline.Core.Running;
using Faultline.Core.Validation;
using Microsoft.Extensions.Logging;

namespace Faultline.Cli.Commands;

/// <summary><c>faultline validate</c>: "is it fixed?" — the whole check N times, pass rates per category, baseline diff, sign-off.</summary>
internal static class ValidateCommand
{
    public static Command Create(TextWriter output, TextWriter error, Termination termination)
    {
        var config = new Option<FileInfo?>("--config", "-c") { Description = "The config file (YAML): targets with their categories, and a validation: section." };
        var runs = new Option<int?>("--runs", "-n") { Description = "How many times the whole check runs (default: validation.runs, else 3)." };
        var interval = new Option<string?>("--interval") { Description = "Pause between runs, e.g. 5s (default: validation.interval, else 5s)." };
        var baseline = new Option<FileInfo?>("--baseline") { Description = "A report JSON from 'check --format json' or 'validate --format json' to diff against: fixed, still-broken, regressed, new, unchanged, flaky." };
        var format = new Option<string>("--format", "-f")
        {
            Description = "Output format: table (default, for people), json, junit or markdown.",
            DefaultValueFactory = _ => ReportWriters.Table,
        };
        format.AcceptOnlyFromAmong([.. ValidationWriters.Formats]);
        var outputFile = new Option<FileInfo?>("--output", "-o") { Description = "Write the validation (in --format) to this file; the console still shows the table." };
        var noColor = new Option<bool>("--no-color") { Description = "Plain output without colours (also when NO_COLOR is set or output is redirected)." };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Log probe progress to stderr." };

        var command = new Command("validate", "Is it fixed? Run every target N times; count each (target, run) once per category; verdict pass iff every critical category meets its minimum pass rate and the overall rate reaches validation.minPassRate; diff against a baseline report; sign-off with reasons. Exit 0: verdict pass; 1: verdict fail; 2: invalid config or usage; 3: internal error; 130: interrupted (Ctrl-C); 143: terminated (SIGTERM).")
        {
            config, runs, interval, baseline, format, outputFile, noColor, verbose,
        };

        command.SetAction(async (parse, cancellationToken) =>
        {
            var request = new ValidateRequest(
                parse.GetValue(config)?.FullName,
                parse.GetValue(runs),
                parse.GetValue(interval),
                parse.GetValue(baseline)?.FullName,
                parse.GetValue(format) ?? ReportWriters.Table,
                parse.GetValue(outputFile)?.FullName,
                Color: !parse.GetValue(noColor) && !Console.IsOutputRedirected && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR")),
                Verbose: parse.GetValue(verbose));
            return await RunAsync(request, output, error, TimeProvider.System, termination, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    internal sealed record ValidateRequest(
        string? ConfigPath,
        int? Runs,
        string? Interval,
        string? BaselinePath,
        string Format,
        string? OutputPath,
        bool Color,
        bool Verbose);

    internal static async Task<int> RunAsync(ValidateRequest request, TextWriter output, TextWriter error, TimeProvider time, Termination termination, CancellationToken cancellationToken)
    {
        FaultlineConfig config;
        Baseline? baseline;
        int runs;
        TimeSpan interval;
        try
        {
            config = LoadConfig(request, cancellationToken);
            (runs, interval) = Schedule(request, config.Validation ?? new ValidationSpec());
            baseline = request.BaselinePath is null ? null : await LoadBaselineAsync(request.BaselinePath, cancellationToken).ConfigureAwait(false);
        }
        catch (UsageException ex)
        {
            await error.WriteLineAsync($"faultline: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        catch (BaselineException ex)
        {
            await error.WriteLineAsync($"faultline: --baseline: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        catch (ConfigException ex)
        {
            await CommandSupport.WriteConfigErrorsAsync(error, ex, "nothing was probed").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        using var loggerFactory = CommandSupport.CreateLoggerFactory(request.Verbose);

        var checkRunner = new CheckRunner(ProbeSet.Create(), ProbeSet.Resolver, time, loggerFactory);
        var runner = new ValidationRunner(checkRunner, time);
        ValidationResult validation;
        try
        {
            validation = await runner.ValidateAsync(config, runs, interval, baseline, request.BaselinePath, new LineProgress(error), cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await error.WriteLineAsync(termination.Line("no verdict")).ConfigureAwait(false);
            return termination.ExitCode;
        }

        if (request.OutputPath is not null)
        {
            await using (var file = new StreamWriter(request.OutputPath, append: false))
            {
                ValidationWriters.Create(request.Format).Write(validation, file);
            }

            ValidationWriters.Create(ReportWriters.Table, request.Color).Write(validation, output);
            await output.WriteLineAsync($"Validation ({request.Format}) written to {request.OutputPath}").ConfigureAwait(false);
        }
        else
        {
            ValidationWriters.Create(request.Format, request.Color).Write(validation, output);
        }

        await output.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        return validation.Verdict == ValidationVerdict.Pass ? ExitCodes.Ok : ExitCodes.CriticalFailure;
    }

    private static FaultlineConfig LoadConfig(ValidateRequest request, CancellationToken cancellationToken)
    {
        if (request.ConfigPath is null)
        {
            throw new UsageException("nothing to validate: give --config FILE (see examples/validate.yaml)");
        }

        var config = CommandSupport.LoadConfigFile(request.ConfigPath, cancellationToken);
        if (request.OutputPath is not null)
        {
            var dir = Path.GetDirectoryName(request.OutputPath);
            if (!string.IsNullOrEmpty(dir) && !Directory.Exists(dir))
            {
                throw new UsageException($"--output: directory does not exist: {dir}");
            }
        }

        return config;
    }

    private static (int Runs, TimeSpan Interval) Schedule(ValidateRequest request, ValidationSpec spec)
    {
        var runs = request.Runs ?? spec.Runs;
        if (runs < 1)
        {
            throw new UsageException(request.Runs is null
                ? $"validation.runs must be at least 1 (got {spec.Runs})"
                : $"--runs must be at least 1 (got {request.Runs})");
        }

        var interval = spec.Interval;
        if (request.Interval is not null && (!Durations.TryParse(request.Interval, out interval) || interval < TimeSpan.Zero))
        {
            throw new UsageException($"--interval: bad duration \"{request.Interval}\"; {Durations.Help}");
        }

        if (interval > ConfigLimits.MaxInterval)
        {
            throw new UsageException($"--interval: {request.Interval} is longer than {Durations.FormatExact(ConfigLimits.MaxInterval)}, the longest pause between runs");
        }

        if (spec.MinPassRate is < 0 or > 1 || double.IsNaN(spec.MinPassRate))
        {
            throw new UsageException($"validation.minPassRate must be between 0 and 1 (got {spec.MinPassRate})");
        }

        return (runs, interval);
    }

    private static async Task<Baseline> LoadBaselineAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            throw new UsageException($"--baseline: file not found: {path}");
        }

        string text;
        try
        {
            text = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            throw new UsageException($"--baseline: cannot read {path}: {ex.Message}");
        }

        return Baseline.Parse(text, path);
    }

    /// <summary>Writes each progress line to stderr as it comes (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class LineProgress(TextWriter error) : IProgress<string>
    {
        public void Report(string value)
        {
            lock (error)
            {
                error.WriteLine(value);
            }
        }
    }
}
