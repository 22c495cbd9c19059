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
    /// A probe error decides first (the error table); otherwise the failed conditions (HTTP
    /// response rules and placeholder rules); otherwise the observation's warnings.
    /// </remarks>
    public static Model.Classification Classify(TargetSpec target, Observation observation, IReadOnlyList<ConditionResult> conditions)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(observation);
        ArgumentNullException.ThrowIfNull(conditions);

        var facts = new Facts(target, observation);
        if (observation.Error is { } error)
        {
            return ErrorRules.Classify(facts, error);
        }

        var failed = conditions.Where(c => !c.Ok).ToList();
        if (failed.Count > 0)
        {
            return ConditionRules.Classify(facts, failed);
        }

        return Warnings(facts);
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

        var side = layer is Layer.Application or Layer.Configuration ? Side.Application : Side.Infrastructure;
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
