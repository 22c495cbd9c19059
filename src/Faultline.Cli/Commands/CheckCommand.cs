using System.CommandLine;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Reporting;
using Faultline.Core.Running;
using Microsoft.Extensions.Logging;

namespace Faultline.Cli.Commands;

/// <summary><c>faultline check</c>: one-shot layered diagnosis with a verdict and an exit code.</summary>
internal static class CheckCommand
{
    public static Command Create(TextWriter output, TextWriter error, Termination termination)
    {
        var address = new Argument<string?>("address")
        {
            Description = "Quick mode: probe one address layer by layer (" + QuickTargets.Help + ") instead of a config file.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var config = new Option<FileInfo?>("--config", "-c") { Description = "The config file (YAML) listing the targets." };
        var format = new Option<string>("--format", "-f")
        {
            Description = "Report format: table (default, for people), json, junit or markdown.",
            DefaultValueFactory = _ => "table",
        };
        format.AcceptOnlyFromAmong([.. ReportWriters.Formats]);
        var outputFile = new Option<FileInfo?>("--output", "-o") { Description = "Write the report (in --format) to this file; the console still shows the table." };
        var category = new Option<string?>("--category") { Description = "Run only the targets of this category." };
        var timeout = new Option<string?>("--timeout") { Description = "Deadline per target when the config sets none (e.g. 5s); default 10s." };
        var resolver = new Option<string?>("--resolver") { Description = "Resolve every name through this DNS server (host:port), e.g. 127.0.0.1:5353." };
        var noColor = new Option<bool>("--no-color") { Description = "Plain output without colours (also when NO_COLOR is set or output is redirected)." };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Log probe progress to stderr." };

        var command = new Command("check", "Probe every target once, concurrently; attribute each failure to a layer (dns, network, tls, proxy, application, database, cache, configuration) and side (infrastructure or application); print a verdict. Exit 0: all critical targets pass; 1: a critical target failed; 2: invalid config or usage; 3: internal error; 130: interrupted (Ctrl-C); 143: terminated (SIGTERM).")
        {
            address, config, format, outputFile, category, timeout, resolver, noColor, verbose,
        };

        command.SetAction(async (parse, cancellationToken) =>
        {
            var request = new CheckRequest(
                parse.GetValue(address),
                parse.GetValue(config)?.FullName,
                parse.GetValue(format) ?? "table",
                parse.GetValue(outputFile)?.FullName,
                parse.GetValue(category),
                parse.GetValue(timeout),
                parse.GetValue(resolver),
                Color: !parse.GetValue(noColor) && !Console.IsOutputRedirected && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR")),
                Verbose: parse.GetValue(verbose));
            return await RunAsync(request, output, error, termination, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    internal sealed record CheckRequest(
        string? Address,
        string? ConfigPath,
        string Format,
        string? OutputPath,
        string? Category,
        string? Timeout,
        string? Resolver,
        bool Color,
        bool Verbose);

    internal static async Task<int> RunAsync(CheckRequest request, TextWriter output, TextWriter error, Termination termination, CancellationToken cancellationToken)
    {
        FaultlineConfig config;
        try
        {
            config = LoadConfig(request, cancellationToken);
        }
        catch (UsageException ex)
        {
            await error.WriteLineAsync($"faultline: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        catch (ConfigException ex)
        {
            await CommandSupport.WriteConfigErrorsAsync(error, ex, "nothing was probed").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        using var loggerFactory = CommandSupport.CreateLoggerFactory(request.Verbose);

        var runner = new CheckRunner(ProbeSet.Create(), ProbeSet.Resolver, TimeProvider.System, loggerFactory);
        var report = await runner.RunAsync(config, new CheckOptions { Category = request.Category }, cancellationToken).ConfigureAwait(false);
        if (cancellationToken.IsCancellationRequested)
        {
            await error.WriteLineAsync(termination.Line("the report below is partial")).ConfigureAwait(false);
        }

        if (request.OutputPath is not null)
        {
            await using (var file = new StreamWriter(request.OutputPath, append: false))
            {
                ReportWriters.Create(request.Format).Write(report, file);
            }

            ReportWriters.Create("table", request.Color).Write(report, output);
            await output.WriteLineAsync($"Report ({request.Format}) written to {request.OutputPath}").ConfigureAwait(false);
        }
        else
        {
            ReportWriters.Create(request.Format, request.Color).Write(report, output);
        }

        await output.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        if (cancellationToken.IsCancellationRequested)
        {
            return termination.ExitCode;
        }

        return report.Summary.CriticalFailures > 0 ? ExitCodes.CriticalFailure : ExitCodes.Ok;
    }

    private static FaultlineConfig LoadConfig(CheckRequest request, CancellationToken cancellationToken)
    {
        if (request.Address is not null && request.ConfigPath is not null)
        {
            throw new UsageException("give either --config FILE or an address, not both");
        }

        if (request.Address is null && request.ConfigPath is null)
        {
            throw new UsageException("nothing to check: give --config FILE (see examples/local.yaml) or an address (" + QuickTargets.Help + ")");
        }

        FaultlineConfig config;
        if (request.ConfigPath is not null)
        {
            config = CommandSupport.LoadConfigFile(request.ConfigPath, cancellationToken);
        }
        else
        {
            config = QuickTargets.Build(request.Address!);
        }

        if (request.Timeout is not null)
        {
            if (!Durations.TryParse(request.Timeout, out var t) || t <= TimeSpan.Zero)
            {
                throw new UsageException($"--timeout: bad duration \"{request.Timeout}\"; {Durations.Help}");
            }

            if (t > ConfigLimits.MaxTimeout)
            {
                throw new UsageException($"--timeout: {request.Timeout} is longer than {Durations.FormatExact(ConfigLimits.MaxTimeout)}, the longest deadline of a target");
            }

            config = config with { Defaults = config.Defaults with { Timeout = t } };
        }

        if (request.Resolver is not null)
        {
            config = config with { Resolver = request.Resolver };
        }

        if (request.Category is not null && !config.Targets.Any(t => t.Category == request.Category))
        {
            var known = string.Join(", ", config.Targets.Select(t => t.Category).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
            throw new UsageException($"--category: no target has category '{request.Category}'; categories in this config: {known}");
        }

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
}
