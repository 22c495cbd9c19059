using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Running;
using Faultline.Lab.Relay;
using Faultline.Lab.Stack;
using Faultline.Probes;
using Faultline.Probes.Net;
using Faultline.Probes.Postgres;
using Faultline.Probes.Redis;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Faultline.Lab.Scenarios;

/// <summary>
/// Runs scenarios against a running lab: for each, restore the stack to healthy, apply the faults in
/// order (relay faults through the relay's control API, actions through <see cref="LabStack"/>), wait
/// until the verdict settles (bounded by the scenario's <see cref="ScenarioSettle.Timeout"/>, at most
/// 20 s from the first fault), run <c>examples/lab/check.yaml</c> through the lab's resolver and CA,
/// judge the whole report against <c>expect</c> (<see cref="ScenarioJudge.Problems"/>), and restore again.
/// Before each scenario the lab returns to a verified healthy baseline (one check passes completely).
/// </summary>
/// <remarks>
/// For <c>faultline lab run</c>: <see cref="SelectScenarios"/> → <see cref="RunAllAsync"/> →
/// <see cref="LabReportWriter.Write"/> → exit code <see cref="ExitCode"/>. The lab must be up
/// (<see cref="LabStack.UpAsync"/>). For <c>faultline lab demo</c>: <see cref="LabDemo.RunAsync"/>.
/// </remarks>
public sealed partial class LabRunner
{
    /// <summary>The scenario <c>faultline lab demo</c> breaks the stack with.</summary>
    public const string DemoScenario = "db-path-saturated";

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    private readonly LabStack _stack;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;

    /// <param name="stack">The lab (opened with <see cref="LabStack.Open"/>; up).</param>
    /// <param name="checkFile">The check config; default <see cref="DefaultCheckFile"/> of the stack's repository.</param>
    /// <param name="time">Clock for deadlines and verdict times; default <see cref="TimeProvider.System"/>.</param>
    /// <param name="loggerFactory">Probe and runner logs; default none.</param>
    public LabRunner(LabStack stack, string? checkFile = null, TimeProvider? time = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(stack);
        _stack = stack;
        CheckFile = Path.GetFullPath(checkFile ?? DefaultCheckFile(stack.RepositoryRoot));
        _time = time ?? TimeProvider.System;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger("Faultline.Lab.Runner");
    }

    /// <summary>The check config every scenario is judged with.</summary>
    public string CheckFile { get; }

    /// <summary><c>&lt;repo&gt;/examples/lab/check.yaml</c>.</summary>
    public static string DefaultCheckFile(string repositoryRoot) => Path.Combine(ScenarioDirectory(repositoryRoot), ScenarioLoader.CheckFileName);

    /// <summary><c>&lt;repo&gt;/examples/lab</c>: the shipped scenarios.</summary>
    public static string ScenarioDirectory(string repositoryRoot)
    {
        ArgumentNullException.ThrowIfNull(repositoryRoot);
        return Path.Combine(repositoryRoot, "examples", "lab");
    }

    /// <summary>
    /// The scenarios <c>faultline lab run</c> runs: <paramref name="name"/> from the shipped ones,
    /// <paramref name="file"/> from anywhere, or every shipped one (<paramref name="all"/>, also the
    /// default when nothing is given). Exactly one of name, file, all may be given.
    /// </summary>
    /// <exception cref="ArgumentException">More than one selection, or an unknown name (the message lists the known ones).</exception>
    /// <exception cref="ConfigException">A scenario file is invalid (file:line:column errors).</exception>
    public static IReadOnlyList<Scenario> SelectScenarios(string repositoryRoot, string? name = null, string? file = null, bool all = false)
    {
        ArgumentNullException.ThrowIfNull(repositoryRoot);
        if ((name is not null ? 1 : 0) + (file is not null ? 1 : 0) + (all ? 1 : 0) > 1)
        {
            throw new ArgumentException("give one of --scenario NAME, --scenario-file FILE or --all");
        }

        if (file is not null)
        {
            return [ScenarioLoader.LoadFile(file)];
        }

        var shipped = ScenarioLoader.LoadDirectory(ScenarioDirectory(repositoryRoot));
        if (name is null)
        {
            return shipped;
        }

        return shipped.FirstOrDefault(s => s.Name == name) is { } found
            ? [found]
            : throw new ArgumentException($"no scenario named '{name}' in {ScenarioDirectory(repositoryRoot)}; known: {string.Join(", ", shipped.Select(s => s.Name))}");
    }

    /// <summary>The exit code of <c>faultline lab run</c>: 0 when every scenario passed, 1 when any missed.</summary>
    public static int ExitCode(LabRunReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return report.AllPassed ? 0 : 1;
    }

    /// <summary>
    /// Runs the scenarios one after another (each restored to a verified healthy baseline before, and restored
    /// after) and collects the outcomes. With <paramref name="repeat"/> N the whole list runs N times in a row,
    /// so one scenario's after-effects can reach the next, as they do in real use.
    /// </summary>
    public async Task<LabRunReport> RunAllAsync(IEnumerable<Scenario> scenarios, IProgress<string>? progress, CancellationToken cancellationToken, int repeat = 1)
    {
        ArgumentNullException.ThrowIfNull(scenarios);
        ArgumentOutOfRangeException.ThrowIfLessThan(repeat, 1);
        var list = scenarios.ToList();
        var startedAt = _time.GetUtcNow();
        var started = _time.GetTimestamp();
        var outcomes = new List<ScenarioOutcome>();
        for (var run = 1; run <= repeat; run++)
        {
            var prefix = repeat == 1 ? string.Empty : $"run {run}/{repeat} ";
            foreach (var scenario in list)
            {
                progress?.Report($"{prefix}{scenario.Name}: {(scenario.Faults.Count == 0 ? "no faults" : string.Join("; ", scenario.Faults.Select(f => f.Describe())))}");
                var outcome = await RunAsync(scenario, cancellationToken, run).ConfigureAwait(false);
                var baseline = outcome.BaselineMs is { } b ? $" (healthy baseline after {b / 1000:0.0} s)" : string.Empty;
                progress?.Report($"{prefix}{scenario.Name}: {(outcome.Pass ? "pass" : "MISS")} — got {(outcome.Got is null ? "no verdict" : LabReportWriter.Describe(outcome.Got))} in {outcome.VerdictMs / 1000:0.0} s{baseline}"
                    + string.Concat(outcome.Problems.Select(p => "\n    " + p)));
                outcomes.Add(outcome);
            }
        }

        return new LabRunReport { Scenarios = outcomes, StartedAt = startedAt, DurationMs = _time.GetElapsedTime(started).TotalMilliseconds, Repeat = repeat };
    }

    /// <summary>
    /// One scenario: restore to a verified healthy baseline, apply the faults, settle, judge the whole report,
    /// restore. A fault that cannot be applied, or a lab that does not return to healthy, makes the outcome a
    /// miss with <see cref="ScenarioOutcome.Error"/> set; the stack is restored in every case.
    /// </summary>
    public async Task<ScenarioOutcome> RunAsync(Scenario scenario, CancellationToken cancellationToken, int run = 1)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        var config = LoadCheck();
        var (problem, baselineMs) = await BaselineAsync(config, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return new ScenarioOutcome { Scenario = scenario, Run = run, Error = problem };
        }

        ScenarioOutcome outcome;
        try
        {
            outcome = await ApplyAndJudgeAsync(scenario, config, cancellationToken).ConfigureAwait(false) with { Run = run, BaselineMs = baselineMs };
        }
        catch
        {
            await RestoreAsync(CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        if (await RestoreAsync(CancellationToken.None).ConfigureAwait(false) is { } after)
        {
            LogRestoreFailed(_logger, scenario.Name, after);
            var note = "the lab could not be restored after the scenario: " + after;
            outcome = outcome with { Error = outcome.Error is null ? note : $"{outcome.Error}; {note}", Pass = false };
        }

        return outcome;
    }

    /// <summary>The most the lab may take, after a restore, to pass a whole check again.</summary>
    public static readonly TimeSpan BaselineTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Restores the lab and checks it until one check passes completely: every component of the service's
    /// <c>/health/infrastructure</c> healthy, its readiness and one golden-path chat passing — a verified
    /// healthy baseline, not just the faults cleared. Returns why it did not within <see cref="BaselineTimeout"/>
    /// (with the results still failing), or how long it took from the start of the restore.
    /// </summary>
    private async Task<(string? Problem, double Ms)> BaselineAsync(FaultlineConfig config, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        if (await RestoreAsync(cancellationToken).ConfigureAwait(false) is { } restore)
        {
            return ("the lab could not be restored to healthy before the scenario: " + restore, 0);
        }

        Report? last = null;
        while (true)
        {
            last = await CheckAsync(config, cancellationToken).ConfigureAwait(false);
            if (last.Status == OverallStatus.Healthy)
            {
                var ms = Math.Round(_time.GetElapsedTime(started).TotalMilliseconds, 1);
                LogBaseline(_logger, ms);
                return (null, ms);
            }

            if (_time.GetElapsedTime(started) > BaselineTimeout)
            {
                var failing = string.Join("; ", last.Results.Where(r => r.Status != ResultStatus.Pass)
                    .Select(r => $"{r.Name} {r.Status.Wire()}: {r.Error?.Kind ?? r.Layer?.Wire() ?? "?"}"));
                return ($"the lab did not return to a healthy baseline within {BaselineTimeout.TotalSeconds:0} s after the restore (still: {failing})", 0);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), _time, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<ScenarioOutcome> ApplyAndJudgeAsync(Scenario scenario, FaultlineConfig config, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var applied = await ApplyAsync(scenario, cancellationToken).ConfigureAwait(false);
        if (applied is not null)
        {
            LogFaultFailed(_logger, scenario.Name, applied);
            return new ScenarioOutcome { Scenario = scenario, Error = applied, VerdictMs = Math.Round(_time.GetElapsedTime(started).TotalMilliseconds, 1) };
        }

        var settled = await SettleAsync(scenario, config, started, cancellationToken).ConfigureAwait(false);
        var got = ScenarioJudge.VerdictOf(settled.Report);
        var problems = ScenarioJudge.Problems(scenario.Expect, settled.Report);
        var pass = problems.Count == 0;
        LogJudged(_logger, scenario.Name, pass, got.ToString(), settled.Checks);
        return new ScenarioOutcome
        {
            Scenario = scenario,
            Got = got,
            Pass = pass,
            Problems = problems,
            VerdictMs = Math.Round(settled.Elapsed.TotalMilliseconds, 1),
            Settled = settled.Stable,
            Checks = settled.Checks,
            Report = settled.Report,
        };
    }

    /// <summary>Restores the lab; returns why it could not, or null. A broken restore makes the next scenario an error, not the whole run.</summary>
    private async Task<string?> RestoreAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _stack.RestoreAsync(cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (Exception ex) when (ex is LabException or HttpRequestException or IOException or Npgsql.NpgsqlException or StackExchange.Redis.RedisException)
        {
            return ex.Message;
        }
    }

    /// <summary>One check of the lab as it is now (no faults, no restore): what <c>lab demo</c> shows for the healthy stack.</summary>
    public Task<Report> CheckAsync(CancellationToken cancellationToken) => CheckAsync(LoadCheck(), cancellationToken);

    private FaultlineConfig LoadCheck()
    {
        var variables = _stack.Environment.Variables;
        return ConfigLoader.LoadFile(CheckFile, name => variables.TryGetValue(name, out var value) ? value : Environment.GetEnvironmentVariable(name));
    }

    private async Task<Report> CheckAsync(FaultlineConfig config, CancellationToken cancellationToken)
    {
        var runner = new CheckRunner(BuiltInProbes.Create().With(PostgresProbes.Create()).With(RedisProbes.Create()), HostResolvers.For, _time, _loggerFactory);
        var env = _stack.Environment;
        var options = new CheckOptions { KnownSecrets = [env.ApiKey, env.DemoPassword, env.PostgresPassword, env.PostgresAdminPassword, env.RedisPassword] };
        return await runner.RunAsync(config, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Applies the faults in order; returns why one could not be applied, or null.</summary>
    private async Task<string?> ApplyAsync(Scenario scenario, CancellationToken cancellationToken)
    {
        foreach (var fault in scenario.Faults)
        {
            try
            {
                await ApplyAsync(fault, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is LabException or ArgumentException or HttpRequestException or IOException or NotSupportedException
                or Npgsql.NpgsqlException or StackExchange.Redis.RedisException or InvalidOperationException)
            {
                return $"{fault.Describe()} ({fault.Location}): {ex.Message}";
            }
        }

        return null;
    }

    private async Task ApplyAsync(ScenarioFault fault, CancellationToken cancellationToken)
    {
        switch (fault)
        {
            case RelayFault relay:
                using (var client = new RelayClient(_stack.Environment.RelayControl))
                {
                    await client.SetFaultAsync(relay.Link, relay.Spec, cancellationToken).ConfigureAwait(false);
                }

                break;
            case LabAction action:
                await LabActions.ApplyAsync(_stack, action, cancellationToken).ConfigureAwait(false);
                break;
            default:
                throw new NotSupportedException($"unknown fault {fault.GetType().Name}");
        }
    }

    private sealed record Settled(Report Report, bool Stable, int Checks, TimeSpan Elapsed);

    /// <summary>
    /// Checks until two checks in a row give the same verdict (status and primary). A scenario with faults
    /// is not settled by a healthy verdict (the fault may not have reached the service's background checks
    /// yet). <see cref="SettleMode.AppExited"/> first waits for the service's termination message. No
    /// check starts when the previous check's duration would overrun the deadline; the last report is judged.
    /// </summary>
    private async Task<Settled> SettleAsync(Scenario scenario, FaultlineConfig config, long started, CancellationToken cancellationToken)
    {
        var deadline = scenario.Settle.Timeout;
        TimeSpan Remaining() => deadline - _time.GetElapsedTime(started);

        if (scenario.Settle.Delay > TimeSpan.Zero && Remaining() > scenario.Settle.Delay)
        {
            await Task.Delay(scenario.Settle.Delay, _time, cancellationToken).ConfigureAwait(false);
        }

        if (scenario.Settle.Until == SettleMode.AppExited)
        {
            while (!AppExited() && Remaining() > PollInterval)
            {
                await Task.Delay(PollInterval, _time, cancellationToken).ConfigureAwait(false);
            }
        }

        Report? report = null;
        string? previous = null;
        var checks = 0;
        var lastDuration = TimeSpan.Zero;
        while (true)
        {
            var checkStarted = _time.GetTimestamp();
            report = await CheckAsync(config, cancellationToken).ConfigureAwait(false);
            lastDuration = _time.GetElapsedTime(checkStarted);
            checks++;
            var verdict = Signature(report);
            var counts = scenario.Faults.Count == 0 || report.Status != OverallStatus.Healthy;
            if (counts && verdict == previous)
            {
                return new Settled(report, true, checks, _time.GetElapsedTime(started));
            }

            previous = counts ? verdict : null;
            if (Remaining() < lastDuration + PollInterval)
            {
                return new Settled(report, false, checks, _time.GetElapsedTime(started));
            }

            await Task.Delay(PollInterval, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>What must repeat for a verdict to count as settled: the verdict, the attribution, and every non-passing result with its effective cause.</summary>
    private static string Signature(Report report) =>
        ScenarioJudge.VerdictOf(report) + " | " + report.Summary.Attribution.Wire() + " | "
        + string.Join(", ", report.Results.Where(r => r.Status != ResultStatus.Pass).Select(r => $"{r.Name}:{r.Status.Wire()}←{r.Cause?.Target ?? "root"}"))
        + " | " + string.Join(", ", report.Summary.Findings.Select(f => f.Target + "→" + f.Dependency));

    private bool AppExited()
    {
        var file = _stack.Environment.TerminationFile;
        return File.Exists(file) && new FileInfo(file).Length > 0;
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Scenario {Scenario}: {Result} (got {Verdict} after {Checks} checks)")]
    private static partial void LogJudgedCore(ILogger logger, string scenario, string result, string verdict, int checks);

    private static void LogJudged(ILogger logger, string scenario, bool pass, string verdict, int checks) =>
        LogJudgedCore(logger, scenario, pass ? "pass" : "miss", verdict, checks);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Information, Message = "The lab is at a verified healthy baseline after {Milliseconds} ms")]
    private static partial void LogBaseline(ILogger logger, double milliseconds);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Error, Message = "Scenario {Scenario}: the lab could not be restored afterwards: {Problem}")]
    private static partial void LogRestoreFailed(ILogger logger, string scenario, string problem);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "Scenario {Scenario}: a fault could not be applied: {Problem}")]
    private static partial void LogFaultFailed(ILogger logger, string scenario, string problem);
}
