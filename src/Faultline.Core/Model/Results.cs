namespace Faultline.Core.Model;

/// <summary>One evaluated condition: the expression as written, whether it held, and the value it saw.</summary>
public sealed record ConditionResult(string Expr, bool Ok, string? Actual);

/// <summary>The classifier's verdict on one failure.</summary>
public sealed record Classification(Layer Layer, Side Side, IReadOnlyList<string> Evidence, string Remedy);

public sealed record ResultError(string Kind, string Message);

/// <summary>One target's line in a report.</summary>
public sealed record TargetResult
{
    public required string Name { get; init; }

    public required string Kind { get; init; }

    public required string Target { get; init; }

    public string Category { get; init; } = "default";

    public bool Critical { get; init; } = true;

    public ResultStatus Status { get; init; }

    public Layer? Layer { get; init; }

    public Side? Side { get; init; }

    public double DurationMs { get; init; }

    public PhaseTimings Phases { get; init; } = new();

    public IReadOnlyList<ConditionResult> Conditions { get; init; } = [];

    public ResultError? Error { get; init; }

    public IReadOnlyList<string> Evidence { get; init; } = [];

    public string? Remedy { get; init; }

    public IReadOnlyList<string> DependsOn { get; init; } = [];

    /// <summary>The <c>remote</c> target of the service that serves this target, as configured (<c>service:</c>); null to infer it from the URL.</summary>
    public string? Service { get; init; }

    /// <summary>The root this result follows from (null for a root, a pass, or before the report was built); set by <see cref="Reporting.ReportBuilder"/>.</summary>
    public Reporting.CauseRef? Cause { get; init; }

    /// <summary>The raw observation, for writers that show protocol facts (certificate, DNS answers, headroom).</summary>
    public Observation? Observation { get; init; }

    /// <summary>Where the result was seen from: Faultline's own probe (outside) or the service's view of its dependencies (inside).</summary>
    public Vantage Vantage { get; init; }
}

public sealed record PrimaryFailure(string Target, Layer Layer, Side Side);

public sealed record ReportSummary
{
    public int Total { get; init; }

    public int Passed { get; init; }

    public int Failed { get; init; }

    public int Warnings { get; init; }

    public int CriticalFailures { get; init; }

    /// <summary>Failures that are targets the run never probed (<c>not-started</c>): counted in <see cref="Failed"/>, never a root.</summary>
    public int NotStarted { get; init; }

    public IReadOnlyDictionary<Layer, int> ByLayer { get; init; } = new Dictionary<Layer, int>();

    public Attribution Attribution { get; init; }

    public PrimaryFailure? Primary { get; init; }

    /// <summary>The independent roots of the failing and warning results, in tie-break order; see <see cref="Reporting.Causality"/>.</summary>
    public IReadOnlyList<Reporting.RootCause> Roots { get; init; } = [];

    /// <summary>Secondary findings next to the roots (an optional dependency a critical path waits on).</summary>
    public IReadOnlyList<Reporting.Finding> Findings { get; init; } = [];
}

public sealed record Report
{
    public const int CurrentSchemaVersion = 1;

    public int SchemaVersion { get; init; } = CurrentSchemaVersion;

    public OverallStatus Status { get; init; }

    public string? Environment { get; init; }

    public DateTimeOffset StartedAt { get; init; }

    public double DurationMs { get; init; }

    public required ReportSummary Summary { get; init; }

    public IReadOnlyList<TargetResult> Results { get; init; } = [];
}
