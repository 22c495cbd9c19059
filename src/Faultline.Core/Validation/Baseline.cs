using System.Text.Json;

namespace Faultline.Core.Validation;

/// <summary>The file given as a baseline is not a Faultline report (or cannot be read as one).</summary>
public sealed class BaselineException : Exception
{
    public BaselineException()
    {
    }

    public BaselineException(string message)
        : base(message)
    {
    }

    public BaselineException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// What a previous report said about each target, by name: from a <c>validate</c> report the
/// target's <c>outcome</c> (passing|failing|flaky), from a <c>check</c> report the result's
/// <c>status</c> (pass and warn → passing, fail → failing). Inside-out children
/// (<c>api/postgres</c>) are targets like any other.
/// </summary>
public sealed record Baseline(IReadOnlyDictionary<string, TargetOutcome> Targets)
{
    /// <summary>Reads a report JSON written by <c>faultline check</c> or <c>faultline validate</c> (<c>--format json</c>).</summary>
    /// <exception cref="BaselineException">The text is not JSON, or not a Faultline report.</exception>
    public static Baseline Parse(string json, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new BaselineException($"{source}: not a Faultline report: not JSON ({ex.Message})", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("schemaVersion", out var version) || version.ValueKind != JsonValueKind.Number
                || !root.TryGetProperty("results", out var results) || results.ValueKind != JsonValueKind.Array)
            {
                throw new BaselineException($"{source}: not a Faultline report: expected the JSON of 'faultline check --format json' or 'faultline validate --format json' (schemaVersion and results[])");
            }

            if (!version.TryGetInt32(out var v) || v != Model.Report.CurrentSchemaVersion)
            {
                throw new BaselineException($"{source}: unsupported report schemaVersion {version.GetRawText()}; this Faultline reads version {Model.Report.CurrentSchemaVersion}");
            }

            var targets = new Dictionary<string, TargetOutcome>(StringComparer.Ordinal);
            if (root.TryGetProperty("validation", out var validation) && validation.ValueKind == JsonValueKind.Object)
            {
                if (!validation.TryGetProperty("targets", out var list) || list.ValueKind != JsonValueKind.Array)
                {
                    throw new BaselineException($"{source}: not a Faultline report: validation.targets[] is missing");
                }

                foreach (var item in list.EnumerateArray())
                {
                    var name = Text(item, "name", source, "validation.targets[]");
                    var outcome = Text(item, "outcome", source, "validation.targets[]");
                    targets[name] = outcome switch
                    {
                        "passing" => TargetOutcome.Passing,
                        "failing" => TargetOutcome.Failing,
                        "flaky" => TargetOutcome.Flaky,
                        _ => throw new BaselineException($"{source}: target '{name}' has an unknown outcome '{outcome}' (passing, failing or flaky)"),
                    };
                }

                return new Baseline(targets);
            }

            foreach (var item in results.EnumerateArray())
            {
                var name = Text(item, "name", source, "results[]");
                var status = Text(item, "status", source, "results[]");
                targets[name] = status switch
                {
                    "pass" or "warn" => TargetOutcome.Passing,
                    "fail" => TargetOutcome.Failing,
                    _ => throw new BaselineException($"{source}: result '{name}' has an unknown status '{status}' (pass, warn or fail)"),
                };
            }

            return new Baseline(targets);
        }
    }

    /// <summary>
    /// The diff label of one target. The whole table:
    /// not in the baseline → new; flaky now → flaky (whatever the baseline);
    /// passing → passing: unchanged; passing → failing: regressed;
    /// failing or flaky → passing: fixed; failing or flaky → failing: still-broken.
    /// </summary>
    public static BaselineChange Compare(TargetOutcome? before, TargetOutcome now) => (before, now) switch
    {
        (null, _) => BaselineChange.New,
        (_, TargetOutcome.Flaky) => BaselineChange.Flaky,
        (TargetOutcome.Passing, TargetOutcome.Passing) => BaselineChange.Unchanged,
        (TargetOutcome.Passing, TargetOutcome.Failing) => BaselineChange.Regressed,
        (_, TargetOutcome.Passing) => BaselineChange.Fixed,
        _ => BaselineChange.StillBroken,
    };

    private static string Text(JsonElement item, string property, string source, string where)
    {
        if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty(property, out var value) || value.ValueKind != JsonValueKind.String)
        {
            throw new BaselineException($"{source}: not a Faultline report: an entry of {where} has no '{property}' string");
        }

        return value.GetString()!;
    }
}
