using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Lab.Relay;

namespace Faultline.Lab.Scenarios;

/// <summary>
/// One fault scenario of the lab (one YAML file under <c>examples/lab/</c>): the faults that bring the
/// stack into a broken state, how to wait for that state, and the verdict a correct Faultline gives.
/// </summary>
public sealed record Scenario
{
    /// <summary>Unique name, e.g. <c>db-path-saturated</c>; what <c>faultline lab run --scenario NAME</c> selects.</summary>
    public required string Name { get; init; }

    public string? Description { get; init; }

    /// <summary>Applied in order after the stack was restored to healthy.</summary>
    public IReadOnlyList<ScenarioFault> Faults { get; init; } = [];

    public ScenarioSettle Settle { get; init; } = new();

    public required ScenarioExpectation Expect { get; init; }

    /// <summary>The file the scenario was read from (full path); null when loaded from text.</summary>
    public string? SourcePath { get; init; }
}

/// <summary>One entry of a scenario's <c>faults:</c> list: a relay fault or a lab action.</summary>
public abstract record ScenarioFault
{
    /// <summary>Where the entry is written (file:line:column).</summary>
    public SourceLocation? Location { get; init; }

    /// <summary>The entry in the compact form a report prints, e.g. <c>db: latency delay=5s</c> or <c>stop redis</c>.</summary>
    public abstract string Describe();
}

/// <summary><c>{ link: db, fault: latency, delay: 5s }</c>: a fault switched on in the relay for one link.</summary>
public sealed record RelayFault(string Link, FaultSpec Spec) : ScenarioFault
{
    public override string Describe() => $"{Link}: {Spec}";
}

/// <summary>One lab action (<see cref="LabActions"/> reads, describes and applies each kind); <see cref="Argument"/> is the service, certificate state or name; <see cref="Number"/> the connection limit.</summary>
public sealed record LabAction(LabActionKind Kind, string? Argument = null, int? Number = null) : ScenarioFault
{
    public override string Describe() => LabActions.Describe(this);
}

/// <summary>What the runner waits for before it judges a scenario.</summary>
public enum SettleMode
{
    /// <summary>Check until two checks in a row give the same verdict (status and primary).</summary>
    Stable,

    /// <summary>Wait until the service has exited (its termination message is written), then check until stable.</summary>
    AppExited,
}

/// <summary><c>settle: { until: stable|app-exited, delay: 1s, timeout: 20s }</c>.</summary>
public sealed record ScenarioSettle
{
    /// <summary>The most a scenario may take from its first fault to its verdict.</summary>
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromSeconds(20);

    public SettleMode Until { get; init; } = SettleMode.Stable;

    /// <summary>
    /// The default <see cref="Delay"/>: the time the service's inside view needs to see a fault (the lab
    /// runs its background health evaluation every second, and a dependency check may take the Lab
    /// profile's 2 s before it times out).
    /// </summary>
    public static readonly TimeSpan DefaultDelay = TimeSpan.FromSeconds(3);

    /// <summary>A pause after the faults and before the first check, so the service's background health checks have seen the fault.</summary>
    public TimeSpan Delay { get; init; } = DefaultDelay;

    /// <summary>The deadline of settling and judging together; at most <see cref="MaxTimeout"/>.</summary>
    public TimeSpan Timeout { get; init; } = MaxTimeout;
}

/// <summary><c>{ target: golden-path, dependency: api/redis }</c>: a finding of kind <c>optional-dependency-blocks</c> the report must hold.</summary>
public sealed record ExpectedFinding(string Target, string Dependency);

/// <summary>
/// <c>expect: { status?, target?, layer?, side?, findings? }</c>. <see cref="Target"/> means "the primary failure is this
/// target"; without it the primary failure's layer and side are compared. Any field set must match.
/// </summary>
public sealed record ScenarioExpectation
{
    public OverallStatus? Status { get; init; }

    public string? Target { get; init; }

    public Layer? Layer { get; init; }

    public Side? Side { get; init; }

    /// <summary>
    /// The secondary findings the report must hold, exactly (<c>expect.findings</c>; none when not written):
    /// each names the target that waits and the optional dependency it waits on.
    /// </summary>
    public IReadOnlyList<ExpectedFinding> Findings { get; init; } = [];

    /// <summary>True when the expectation names a primary failure (target, layer or side).</summary>
    public bool ExpectsPrimary => Target is not null || Layer is not null || Side is not null;
}
