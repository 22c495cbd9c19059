using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Faultline.Core.Model;
using Faultline.Core.Reporting;

namespace Faultline.Core.Validation;

/// <summary>
/// The report JSON of the last run (<see cref="JsonReportWriter"/>, schemaVersion 1) with a top-level
/// <c>validation</c> object: <c>runs, passed, total, passRate, minPassRate, verdict, baselineSource,
/// categories[], signoff { status, reasons[] }, targets[ { name, category, critical, outcome, baseline,
/// runs[ { run, status, layer, side, errorKind, evidence } ] } ]</c>. A rate is null when nothing was counted.
/// </summary>
internal sealed class ValidationJsonWriter() : FormatWriter<ValidationResult>(ReportWriters.Json), IValidationWriter
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    protected override void WriteTo(ValidationResult validation, TextWriter output)
    {
        output.Write(Serialize(validation));
        output.WriteLine();
    }

    public static string Serialize(ValidationResult v)
    {
        var root = JsonNode.Parse(JsonReportWriter.Serialize(v.LastReport))!.AsObject();
        root["validation"] = Validation(v);
        return root.ToJsonString(Options);
    }

    private static JsonObject Validation(ValidationResult v)
    {
        var categories = new JsonArray();
        foreach (var c in v.Categories)
        {
            categories.Add(new JsonObject
            {
                ["name"] = c.Name,
                ["critical"] = c.Critical,
                ["declared"] = c.Declared,
                ["passed"] = c.Passed,
                ["total"] = c.Total,
                ["passRate"] = c.PassRate,
                ["minPassRate"] = c.MinPassRate,
                ["met"] = c.Met,
                ["note"] = c.Note,
            });
        }

        var targets = new JsonArray();
        foreach (var t in v.Targets)
        {
            var runs = new JsonArray();
            foreach (var r in t.Runs)
            {
                runs.Add(new JsonObject
                {
                    ["run"] = r.Run,
                    ["status"] = r.Status.Wire(),
                    ["layer"] = r.Layer?.Wire(),
                    ["side"] = r.Side?.Wire(),
                    ["cause"] = r.Cause?.Target,
                    ["errorKind"] = r.ErrorKind,
                    ["evidence"] = r.Evidence,
                });
            }

            targets.Add(new JsonObject
            {
                ["name"] = t.Name,
                ["category"] = t.Category,
                ["critical"] = t.Critical,
                ["outcome"] = t.Outcome.Wire(),
                ["baseline"] = t.Baseline?.Wire(),
                ["passed"] = t.Passed,
                ["failed"] = t.Failed,
                ["runs"] = runs,
            });
        }

        return new JsonObject
        {
            ["runs"] = v.Runs,
            ["passed"] = v.Passed,
            ["total"] = v.Total,
            ["passRate"] = v.PassRate,
            ["minPassRate"] = v.MinPassRate,
            ["verdict"] = v.Verdict.Wire(),
            ["baselineSource"] = v.BaselineSource,
            ["categories"] = categories,
            ["signoff"] = new JsonObject
            {
                ["status"] = v.Signoff.Status.Wire(),
                ["reasons"] = new JsonArray([.. v.Signoff.Reasons.Select(r => (JsonNode?)JsonValue.Create(r))]),
            },
            ["targets"] = targets,
        };
    }
}
