using System.CommandLine;
using Faultline.Core.Config;
using Faultline.Lab.Scenarios;
using Faultline.Lab.Stack;

namespace Faultline.Cli.Commands;

/// <summary><c>faultline lab run</c> and <c>faultline lab demo</c>: fault scenarios against the lab, judged by the check's attribution.</summary>
internal static class LabRunCommands
{
    public static Command CreateRun(TextWriter output, TextWriter error)
    {
        var scenario = new Option<string?>("--scenario") { Description = "Run the shipped scenario with this name (examples/lab/NAME.yaml)." };
        var scenarioFile = new Option<FileInfo?>("--scenario-file") { Description = "Run the scenario in this file (anywhere)." };
        var all = new Option<bool>("--all") { Description = "Run every shipped scenario (the default)." };
        var format = new Option<string>("--format", "-f") { Description = "table (default) or json.", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong([.. LabReportWriter.Formats]);
        var repeat = new Option<int>("--repeat") { Description = "Run the whole list N times in a row (default 1) and report each scenario's passes out of N; a scenario is stable only at N/N.", DefaultValueFactory = _ => 1 };
        repeat.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 1 or > 100)
            {
                result.AddError("--repeat must be between 1 and 100");
            }
        });
        var command = new Command("run", "Bring the lab up, then for each scenario: restore to a verified healthy baseline, apply its faults, wait until the verdict settles (≤ 20 s), run examples/lab/check.yaml, judge the whole report against the scenario's expect (primary, attribution, every failing result's cause, findings), restore. Prints expected/got/verdict time per scenario, a confusion matrix, the accuracy and the result accuracy; with --repeat N, each scenario's passes out of N. Exit 0: every scenario run judged as expected; 1: a miss; 2: invalid scenario or usage.")
        {
            scenario, scenarioFile, all, format, repeat,
        };
        command.SetAction(async (parse, cancellationToken) => await GuardAsync(error, async () =>
        {
            var stack = LabStack.Open();
            await using (stack.ConfigureAwait(false))
            {
                var scenarios = LabRunner.SelectScenarios(stack.RepositoryRoot, parse.GetValue(scenario), parse.GetValue(scenarioFile)?.FullName, parse.GetValue(all));
                var progress = new ErrorProgress(error);
                await stack.UpAsync(progress, cancellationToken).ConfigureAwait(false);
                var report = await new LabRunner(stack).RunAllAsync(scenarios, progress, cancellationToken, parse.GetValue(repeat)).ConfigureAwait(false);
                LabReportWriter.Write(report, parse.GetValue(format) ?? "table", output);
                await output.FlushAsync(cancellationToken).ConfigureAwait(false);
                return LabRunner.ExitCode(report);
            }
        }).ConfigureAwait(false));
        return command;
    }

    public static Command CreateDemo(TextWriter output, TextWriter error)
    {
        var scenario = new Option<string?>("--scenario") { Description = $"The broken scenario to show (default {LabRunner.DemoScenario})." };
        var command = new Command("demo", "Faultline in one command: bring the lab up, check the healthy stack, break it with one scenario and show the verdict, take the lab down. Exit 0 when the verdict names the expected layer.")
        {
            scenario,
        };
        command.SetAction(async (parse, cancellationToken) => await GuardAsync(error, async () =>
        {
            var stack = LabStack.Open();
            await using (stack.ConfigureAwait(false))
            {
                var color = !Console.IsOutputRedirected && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"));
                return await LabDemo.RunAsync(stack, output, new ErrorProgress(error), cancellationToken, parse.GetValue(scenario), color).ConfigureAwait(false);
            }
        }).ConfigureAwait(false));
        return command;
    }

    /// <summary>Invalid scenarios and usage exit 2 (file:line:column errors); lab problems exit 1 with one line.</summary>
    private static async Task<int> GuardAsync(TextWriter error, Func<Task<int>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (ConfigException ex)
        {
            await CommandSupport.WriteErrorLinesAsync(error, ex).ConfigureAwait(false);
            await error.WriteLineAsync($"faultline lab: {CommandSupport.ErrorCount(ex)} in the scenarios or the check; nothing was run.").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        catch (ArgumentException ex)
        {
            await error.WriteLineAsync($"faultline lab: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        catch (LabException ex)
        {
            await error.WriteLineAsync($"faultline lab: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.CriticalFailure;
        }
    }

    /// <summary>Progress on stderr, so stdout carries only the report (JSON stays parseable).</summary>
    private sealed class ErrorProgress(TextWriter error) : IProgress<string>
    {
        public void Report(string value)
        {
            error.WriteLine(value);
            error.Flush();
        }
    }
}
