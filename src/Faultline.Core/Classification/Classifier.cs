using Faultline.Core.Config;
using Faultline.Core.Model;

namespace Faultline.Core.Classification;

/// <summary>
/// Decides where a failure is: one <see cref="Layer"/>, one <see cref="Side"/>, evidence lines and a
/// remedy. A pure function of the target, its observation and its condition results: no I/O, no
/// clock. The rules are tables (<c>ErrorRules</c>, <c>ConditionRules</c>, <see cref="ProxySignatures"/>),
/// documented one by one in docs/attribution.md.
/// </summary>
public static class Classifier
{
    /// <summary>Classify a target whose status is fail or warn.</summary>
    /// <remarks>
    /// A probe error decides first (the error table); then a load check's failure groups (the most
    /// frequent group's layer); otherwise the failed conditions (HTTP response rules and placeholder
    /// rules); otherwise the observation's warnings.
    /// </remarks>
    public static Model.Classification Classify(TargetSpec target, Observation observation, IReadOnlyList<ConditionResult> conditions)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(observation);
        ArgumentNullException.ThrowIfNull(conditions);

        var facts = new Facts(target, observation);
        Model.Classification verdict;
        if (observation.Error is { } error)
        {
            verdict = ErrorRules.Classify(facts, error);
        }
        else if (observation.Load is { } load)
        {
            verdict = LoadRules.Classify(load, conditions.Where(c => !c.Ok).ToList());
        }
        else if (conditions.Where(c => !c.Ok).ToList() is { Count: > 0 } failed)
        {
            verdict = ConditionRules.Classify(facts, failed);
        }
        else
        {
            verdict = Warnings(facts);
        }

        return WithOwner(WithInsideView(verdict, observation), target.Owner);
    }

    /// <summary>
    /// What a probe's raw facts mean, folded into its observation before conditions are evaluated: a startup check's
    /// instances become classified attempts (counts, percentiles, failure groups by layer and side), and a service whose
    /// health document gives its own status without naming a component fails on a failing status or warns otherwise.
    /// Any other observation is returned as it is. The runner applies it once to each observation a probe returns.
    /// </summary>
    public static Observation Interpret(TargetSpec target, Observation observation)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(observation);
        if (observation.Load is { Instances.Count: > 0 } load)
        {
            observation = observation with { Load = StartupRules.Judge(target, load) };
        }

        return SelfReportRules.Applies(observation) ? SelfReportRules.Judge(observation) : observation;
    }

    /// <summary>
    /// The side of a failure on <paramref name="layer"/>: the error table's row for <paramref name="kind"/> (for
    /// the kind of target the layer implies) when that row is on the same layer; otherwise the layer's
    /// default — infrastructure for dns, network, tls, proxy, database, cache and unknown, application for
    /// application and configuration. The one rule check, the library's health endpoints and its startup
    /// termination message share, so a service reports from inside the side check reports from outside.
    /// </summary>
    public static Side SideOf(Layer layer, ErrorKind? kind = null)
    {
        if (kind is { } k && ErrorRules.Find(k, ProbeKindFor(layer)) is { } rule && rule.Layer == layer)
        {
            return rule.Side;
        }

        return HealthBody.DefaultSide(layer);
    }

    /// <summary>
    /// A target's <c>owner</c> (or the config's <c>defaults.owner</c>) decides the side of its findings on the
    /// configuration layer, and of those only; without one the error table's side stands.
    /// </summary>
    public static Side SideFor(Layer layer, Side side, Side? owner) =>
        layer == Layer.Configuration && owner is { } decided ? decided : side;

    /// <summary>
    /// The status of a component a service reports about itself: healthy/ok/up → pass, degraded/warn
    /// (and words Faultline does not know) → warn, unhealthy/down/fail/error/... → fail.
    /// </summary>
    public static ResultStatus ComponentStatus(string status)
    {
        ArgumentNullException.ThrowIfNull(status);
        var word = status.Trim();
        if (HealthyStatuses.Contains(word))
        {
            return ResultStatus.Pass;
        }

        return HealthBody.IsFailing(word) ? ResultStatus.Fail : ResultStatus.Warn;
    }

    /// <summary>
    /// Classify one dependency as the service sees it from inside (a component of its
    /// <c>/health/infrastructure</c>, or the phase its termination message names). The layer and side
    /// the service reports win; without them the reported error kind's rule decides, then the name.
    /// The remedy comes from the error table row of the reported error kind, for the kind of target
    /// the layer implies (database → postgres, cache → redis, ...).
    /// </summary>
    public static Model.Classification ClassifyComponent(TargetSpec parent, ComponentObservation component)
    {
        ArgumentNullException.ThrowIfNull(parent);
        ArgumentNullException.ThrowIfNull(component);

        var service = component.Service ?? parent.Name;
        var nameLayer = HealthBody.LayerFromName(component.Name);
        ErrorKind? kind = component.ErrorKind is { } wire && ErrorKinds.TryParseWire(wire, out var parsed) ? parsed : null;
        var probeKind = ProbeKindFor(component.Layer ?? nameLayer);
        var pseudoTarget = new TargetSpec { Name = component.Name, Kind = probeKind, Host = $"the address {service} uses for {component.Name}" };
        var facts = new Facts(pseudoTarget, new Observation { Target = pseudoTarget.Host });
        var rule = kind is { } k ? ErrorRules.Find(k, probeKind) : null;

        var layer = component.Layer ?? rule?.Layer ?? nameLayer;
        var side = component.Side ?? (component.Layer is null ? rule?.Side : null) ?? SideOf(layer, kind);
        var lines = new List<string?>();
        if (component.Source == ComponentSources.TerminationFile)
        {
            lines.Add($"{service} stopped during startup phase {component.Name} ({layer.Wire()}, as its termination message reports)");
            lines.Add(component.Message);
            lines.Add(component.Attempts is { } attempts ? $"attempts: {attempts}" : null);
        }
        else
        {
            lines.Add($"from inside {service}: {component.Name} is {component.Status} ({layer.Wire()})");
            lines.Add(component.Message is { } message ? $"{component.Name}: {message}" : null);
        }

        lines.Add(component.ErrorKind is { } errorKind ? $"error kind reported by {service}: {errorKind}" : null);
        lines.Add(component.Breaker is { } breaker && !string.Equals(breaker, "closed", StringComparison.OrdinalIgnoreCase) ? $"circuit breaker: {breaker}" : null);
        lines.Add(component.LatencyMs is { } latency && component.Source != ComponentSources.TerminationFile ? $"check took {Facts.Ms(latency)}" : null);
        lines.Add(component.LastCheckedAt is { } checkedAt ? $"last checked {Facts.Date(checkedAt)}" : null);

        var remedy = rule is not null
            ? rule.RemedyFor?.Invoke(facts, new ProbeError(rule.Kind, component.Message ?? string.Empty)) ?? facts.Fill(rule.Remedy)
            : component.Source == ComponentSources.TerminationFile
                ? $"fix what stopped {service} in its {component.Name} phase (the message above), then restart it"
                : $"fix {component.Name}, which {service} reports {component.Status}; add a {probeKind} target for it to see the cause from outside";
        return WithOwner(new Model.Classification(layer, side, Evidence.Clean(lines), remedy), parent.Owner);
    }

    private static readonly HashSet<string> HealthyStatuses = new(StringComparer.OrdinalIgnoreCase)
    {
        "healthy", "ok", "up", "pass", "passed", "passing", "green", "true",
    };

    /// <summary>The probe kind whose rules describe a failure on <paramref name="layer"/> (postgres for database, ...).</summary>
    public static string ProbeKindFor(Layer layer) => layer switch
    {
        Layer.Database => TargetKinds.Postgres,
        Layer.Cache => TargetKinds.Redis,
        Layer.Dns => TargetKinds.Dns,
        Layer.Network => TargetKinds.Tcp,
        Layer.Tls => TargetKinds.Tls,
        Layer.Configuration => TargetKinds.Secret,
        _ => TargetKinds.Http,
    };

    /// <summary>The target's <c>owner</c> applied to a configuration-layer verdict, with a line saying so when it changes the side.</summary>
    private static Model.Classification WithOwner(Model.Classification verdict, Side? owner)
    {
        var side = SideFor(verdict.Layer, verdict.Side, owner);
        return side == verdict.Side
            ? verdict
            : verdict with
            {
                Side = side,
                Evidence = Evidence.Clean([.. verdict.Evidence.Take(Evidence.MaxLines - 1), $"owner: {side.Wire()} (the config gives this target's configuration findings to the {side.Wire()} side)"]),
            };
    }

    /// <summary>On an outside result whose probe brought back an inside view: name the inside failures too.</summary>
    private static Model.Classification WithInsideView(Model.Classification verdict, Observation observation)
    {
        var failing = observation.Components.Where(c => ComponentStatus(c.Status) != ResultStatus.Pass).ToList();
        if (failing.Count == 0)
        {
            return observation.Remote?.Problem is { } problem
                ? verdict with { Evidence = Evidence.Clean([.. verdict.Evidence.Take(Evidence.MaxLines - 1), "inside view unavailable: " + problem]) }
                : verdict;
        }

        var inside = failing.Take(3).Select(c => c.Source == ComponentSources.TerminationFile
            ? $"inside view: {c.Service ?? "the service"} stopped in startup phase {c.Name}" + (c.Message is { } m ? $": {Facts.OneLine(m, 120)}" : string.Empty)
            : $"inside view: {c.Name} is {c.Status}" + (c.Layer is { } l ? $" ({l.Wire()})" : string.Empty) + (c.ErrorKind is { } k ? $", {k}" : string.Empty));
        return verdict with { Evidence = Evidence.Clean([.. verdict.Evidence.Take(Evidence.MaxLines - Math.Min(3, failing.Count)), .. inside]) };
    }

    private static Model.Classification Warnings(Facts facts)
    {
        var warnings = facts.Observation.Warnings;
        var layer = ConditionRules.KindLayer(facts.Kind);
        // Certificate warnings belong to tls whatever the kind (an http, postgres or redis target that speaks TLS).
        if (facts.Observation.Tls is not null
            && warnings.Count > 0
            && warnings.All(w => w.Contains("certificate", StringComparison.OrdinalIgnoreCase)))
        {
            layer = Layer.Tls;
        }

        var side = SideOf(layer);
        var remedy = layer switch
        {
            Layer.Database => "act before the headroom runs out: shrink connection pools or raise max_connections",
            Layer.Cache => "act before the headroom runs out: raise maxmemory/maxclients or reduce usage",
            Layer.Tls => "renew the certificate before it expires",
            Layer.Configuration => "correct the secret or setting named above before it is needed",
            _ => "act on the warning above before it turns into a failure",
        };

        IReadOnlyList<string> evidence = warnings.Count > 0
            ? Evidence.Clean(warnings)
            : ["the target reported a warning without details"];
        return new Model.Classification(layer, side, evidence, remedy);
    }
}
