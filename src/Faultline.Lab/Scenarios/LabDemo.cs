using Faultline.Core.Reporting;
using Faultline.Lab.Stack;

namespace Faultline.Lab.Scenarios;

/// <summary>
/// <c>faultline lab demo</c>: brings the lab up, shows a healthy check, breaks the stack with one
/// scenario and shows the check's verdict on it, then takes the lab down again (also when a step fails).
/// </summary>
public static class LabDemo
{
    /// <summary>
    /// Runs the demo and returns its exit code: 0 when the broken scenario was attributed as expected, 1 otherwise.
    /// <see cref="LabException"/> (a missing package, a port in use) propagates after the lab is taken down.
    /// </summary>
    /// <param name="stack">The lab (<see cref="LabStack.Open"/>); it is brought up and down here.</param>
    /// <param name="output">Where the reports go (tables).</param>
    /// <param name="progress">Lab start/stop lines.</param>
    /// <param name="scenarioName">The broken scenario to show; default <see cref="LabRunner.DemoScenario"/>.</param>
    /// <param name="color">Colour the check tables.</param>
    public static async Task<int> RunAsync(LabStack stack, TextWriter output, IProgress<string>? progress, CancellationToken cancellationToken, string? scenarioName = null, bool color = false)
    {
        ArgumentNullException.ThrowIfNull(stack);
        ArgumentNullException.ThrowIfNull(output);
        var scenario = LabRunner.SelectScenarios(stack.RepositoryRoot, name: scenarioName ?? LabRunner.DemoScenario).Single();
        try
        {
            await output.WriteLineAsync("== 1/4  faultline lab up").ConfigureAwait(false);
            await stack.UpAsync(progress, cancellationToken).ConfigureAwait(false);

            var runner = new LabRunner(stack);
            await output.WriteLineAsync($"{Environment.NewLine}== 2/4  faultline check --config {Path.GetRelativePath(stack.RepositoryRoot, runner.CheckFile)}  (the healthy stack)").ConfigureAwait(false);
            var healthy = await runner.CheckAsync(cancellationToken).ConfigureAwait(false);
            ReportWriters.Create("table", color).Write(healthy, output);

            await output.WriteLineAsync($"{Environment.NewLine}== 3/4  scenario {scenario.Name}: {scenario.Description}").ConfigureAwait(false);
            await output.WriteLineAsync("        faults: " + string.Join("; ", scenario.Faults.Select(f => f.Describe()))).ConfigureAwait(false);
            var outcome = await runner.RunAsync(scenario, cancellationToken).ConfigureAwait(false);
            if (outcome.Report is { } broken)
            {
                ReportWriters.Create("table", color).Write(broken, output);
            }

            await output.WriteLineAsync().ConfigureAwait(false);
            LabReportWriter.WriteTable(new LabRunReport { Scenarios = [outcome] }, output);
            return outcome.Pass ? 0 : 1;
        }
        finally
        {
            await output.WriteLineAsync($"{Environment.NewLine}== 4/4  faultline lab down").ConfigureAwait(false);
            await stack.DownAsync(progress, CancellationToken.None).ConfigureAwait(false);
        }
    }
}
