namespace Faultline.Core.Model;

/// <summary>The layer of the stack a failure is attributed to. JSON: lowercase.</summary>
public enum Layer
{
    Dns,
    Network,
    Tls,
    Proxy,
    Application,
    Database,
    Cache,
    Configuration,
    Unknown,
}

/// <summary>Who owns the fix: the platform (infrastructure) or the service code (application).</summary>
public enum Side
{
    Infrastructure,
    Application,
}

/// <summary>Outcome of one target. JSON: pass|warn|fail.</summary>
public enum ResultStatus
{
    Pass,
    Warn,
    Fail,
}

/// <summary>Outcome of a whole report. JSON: healthy|degraded|unhealthy.</summary>
public enum OverallStatus
{
    Healthy,
    Degraded,
    Unhealthy,
}

/// <summary>Which side the failures of a report fall on. JSON: infrastructure|application|mixed|none.</summary>
public enum Attribution
{
    None,
    Infrastructure,
    Application,
    Mixed,
}

/// <summary>Where a result was observed from. JSON: outside|inside.</summary>
public enum Vantage
{
    /// <summary>Faultline probed the target itself (outside-in).</summary>
    Outside,

    /// <summary>The service reported what it sees of its own dependencies (inside-out).</summary>
    Inside,
}

public static class LayerNames
{
    /// <summary>Tie-break order for the root cause: dns → network → tls → proxy → configuration → database → cache → application → unknown.</summary>
    public static IReadOnlyList<Layer> RootCauseOrder { get; } =
    [
        Layer.Dns, Layer.Network, Layer.Tls, Layer.Proxy, Layer.Configuration,
        Layer.Database, Layer.Cache, Layer.Application, Layer.Unknown,
    ];

    public static string Wire(this Layer layer) => layer.ToString().ToLowerInvariant();

    public static string Wire(this Side side) => side.ToString().ToLowerInvariant();

    public static string Wire(this ResultStatus status) => status.ToString().ToLowerInvariant();

    public static string Wire(this OverallStatus status) => status.ToString().ToLowerInvariant();

    public static string Wire(this Attribution attribution) => attribution.ToString().ToLowerInvariant();

    public static string Wire(this Vantage vantage) => vantage.ToString().ToLowerInvariant();
}
