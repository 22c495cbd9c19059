using System.Globalization;
using System.Text;
using System.Text.Json;
using Faultline.Core.Model;
using Faultline.Core.Reporting;

namespace Faultline.Lab.Scenarios;

/// <summary>Writes a <see cref="LabRunReport"/> as a table for people or as JSON.</summary>
public static class LabReportWriter
{
    /// <summary>The formats <c>faultline lab run --format</c> accepts.</summary>
    public static IReadOnlyList<string> Formats { get; } = ["table", "json"];

    /// <summary>Writes <paramref name="report"/> in <paramref name="format"/> (<c>table</c> or <c>json</c>).</summary>
    public static void Write(LabRunReport report, string format, TextWriter output)
    {
        switch (format)
        {
            case "table":
                WriteTable(report, output);
                break;
            case "json":
                WriteJson(report, output);
                break;
            default:
                throw new ArgumentException($"unknown format '{format}'; use table or json", nameof(format));
        }
    }

    /// <summary>
    /// Per scenario: expected, got, verdict time, pass/MISS; then every miss with the judged check's
    /// evidence, the confusion matrix (layer × layer) and the accuracy.
    /// </summary>
    public static void WriteTable(LabRunReport report, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(output);
        var rows = report.Scenarios.Select(o => new[]
        {
            report.Repeat == 1 ? o.Scenario.Name : Invariant($"{o.Scenario.Name} #{o.Run}"),
            Describe(o.Scenario.Expect),
            o.Got is null ? "(no verdict)" : Describe(o.Got),
            Seconds(o.VerdictMs) + (o.Settled || o.Got is null ? string.Empty : " (unsettled)"),
            o.Pass ? "pass" : "MISS",
        }).ToList();
        WriteGrid(output, ["scenario", "expected", "got", "verdict", "result"], rows);

        var misses = report.Scenarios.Where(o => !o.Pass).ToList();
        if (misses.Count > 0)
        {
            output.WriteLine();
            output.WriteLine(Invariant($"Misses ({misses.Count}):"));
            foreach (var miss in misses)
            {
                output.WriteLine(Invariant($"  {miss.Scenario.Name}: expected {Describe(miss.Scenario.Expect)}, got {(miss.Got is null ? "no verdict" : Describe(miss.Got))}"));
                if (miss.Scenario.SourcePath is { } path)
                {
                    output.WriteLine($"    scenario: {path}");
                }

                if (miss.Scenario.Faults.Count > 0)
                {
                    output.WriteLine("    faults: " + string.Join("; ", miss.Scenario.Faults.Select(f => f.Describe())));
                }

                if (miss.Error is { } error)
                {
                    output.WriteLine($"    error: {SafeText.OneLine(error)}");
                }

                foreach (var problem in miss.Problems)
                {
                    output.WriteLine($"    mismatch: {SafeText.OneLine(problem)}");
                }

                foreach (var line in Evidence(miss))
                {
                    output.WriteLine("    " + SafeText.OneLine(line));
                }
            }
        }

        var problems = report.Scenarios.Where(o => o.Pass && o.Error is not null).ToList();
        if (problems.Count > 0)
        {
            output.WriteLine();
            output.WriteLine(Invariant($"Lab problems ({problems.Count}):"));
            foreach (var problem in problems)
            {
                output.WriteLine($"  {problem.Scenario.Name}: {problem.Error}");
            }
        }

        var matrix = report.Confusion();
        if (matrix.Rows.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("Confusion matrix (rows: expected, columns: got)");
            var grid = matrix.Rows.Select(row => new[] { row }
                .Concat(matrix.Columns.Select(col => matrix[row, col] == 0 ? "." : matrix[row, col].ToString(CultureInfo.InvariantCulture)))
                .ToArray()).ToList();
            WriteGrid(output, ["expected \\ got", .. matrix.Columns], grid);
        }

        if (report.Repeat > 1)
        {
            output.WriteLine();
            output.WriteLine(Invariant($"Stability over {report.Repeat} runs (stable only at {report.Repeat}/{report.Repeat})"));
            var stability = report.Stability().Select(st => new[]
            {
                st.Name,
                Invariant($"{st.Passes}/{st.Runs}"),
                st.Stable ? "stable" : "UNSTABLE",
                Seconds(st.MeanVerdictMs),
                st.MeanBaselineMs is { } b ? Seconds(b) : "-",
            }).ToList();
            WriteGrid(output, ["scenario", "passes", "", "mean verdict", "mean baseline"], stability);
        }

        output.WriteLine();
        var passed = report.Scenarios.Count(s => s.Pass);
        output.WriteLine(Invariant($"Accuracy: {passed}/{report.Scenarios.Count} ({report.Accuracy * 100:0.#}%)"));
        var matching = report.Scenarios.Sum(s => s.ResultCauses.Matching);
        var total = report.Scenarios.Sum(s => s.ResultCauses.Total);
        output.WriteLine(Invariant($"Result accuracy: {matching}/{total} failing results attributed to the expected cause ({report.ResultAccuracy * 100:0.#}%)"));
    }

    /// <summary>
    /// <c>{ accuracy, resultAccuracy, repeat, startedAt, durationMs, stability: [ { name, passes, runs, stable, meanVerdictMs, meanBaselineMs } ],
    /// scenarios: [ { name, expected { status, target, layer, side }, got { ... }, run, pass, verdictMs, baselineMs, problems, attribution,
    /// roots, findings, results: [ { name, status, layer, side, cause } ] } ] }</c>; unset fields are null; <c>error</c> only when a
    /// scenario could not be judged. See docs/lab.md.
    /// </summary>
    public static void WriteJson(LabRunReport report, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(output);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteNumber("accuracy", Math.Round(report.Accuracy, 4));
            json.WriteNumber("resultAccuracy", Math.Round(report.ResultAccuracy, 4));
            json.WriteNumber("repeat", report.Repeat);
            json.WriteString("startedAt", report.StartedAt);
            json.WriteNumber("durationMs", Math.Round(report.DurationMs, 1));
            json.WriteStartArray("stability");
            foreach (var st in report.Stability())
            {
                json.WriteStartObject();
                json.WriteString("name", st.Name);
                json.WriteNumber("passes", st.Passes);
                json.WriteNumber("runs", st.Runs);
                json.WriteBoolean("stable", st.Stable);
                json.WriteNumber("meanVerdictMs", st.MeanVerdictMs);
                if (st.MeanBaselineMs is { } b)
                {
                    json.WriteNumber("meanBaselineMs", b);
                }
                else
                {
                    json.WriteNull("meanBaselineMs");
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("scenarios");
            foreach (var outcome in report.Scenarios)
            {
                json.WriteStartObject();
                json.WriteString("name", outcome.Scenario.Name);
                var e = outcome.Scenario.Expect;
                WriteVerdict(json, "expected", e.Status, e.Target, e.Layer, e.Side);
                if (outcome.Got is { } got)
                {
                    WriteVerdict(json, "got", got.Status, got.Target, got.Layer, got.Side);
                }
                else
                {
                    json.WriteNull("got");
                }

                json.WriteNumber("run", outcome.Run);
                json.WriteBoolean("pass", outcome.Pass);
                json.WriteNumber("verdictMs", Math.Round(outcome.VerdictMs, 1));
                if (outcome.BaselineMs is { } baseline)
                {
                    json.WriteNumber("baselineMs", baseline);
                }
                else
                {
                    json.WriteNull("baselineMs");
                }

                if (outcome.Error is { } error)
                {
                    json.WriteString("error", error);
                }

                json.WriteStartArray("problems");
                foreach (var problem in outcome.Problems)
                {
                    json.WriteStringValue(problem);
                }

                json.WriteEndArray();
                WriteReportFacts(json, outcome.Report);

                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        output.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
    }

    /// <summary><c>healthy</c>, or <c>api/postgres (database, infrastructure)</c>, <c>degraded: cache, infrastructure</c>.</summary>
    public static string Describe(ScenarioExpectation expected)
    {
        ArgumentNullException.ThrowIfNull(expected);
        var parts = new List<string>();
        if (expected.Target is not null)
        {
            parts.Add(expected.Target);
        }

        var where = string.Join(", ", new[] { expected.Layer?.Wire(), expected.Side?.Wire() }.Where(p => p is not null));
        if (where.Length > 0)
        {
            parts.Add(expected.Target is null ? where : $"({where})");
        }

        var text = string.Join(' ', parts);
        return expected.Status switch
        {
            null => text,
            { } s when text.Length == 0 => s.Wire(),
            { } s => $"{s.Wire()}: {text}",
        };
    }

    public static string Describe(ScenarioVerdict got)
    {
        ArgumentNullException.ThrowIfNull(got);
        return got.Target is null
            ? got.Status.Wire()
            : $"{(got.Status == OverallStatus.Unhealthy ? string.Empty : got.Status.Wire() + ": ")}{got.Target} ({got.Layer?.Wire()}, {got.Side?.Wire()})";
    }

    /// <summary>The evidence behind a verdict: the primary result's error and evidence, and every other failing result in one line.</summary>
    private static IEnumerable<string> Evidence(ScenarioOutcome outcome)
    {
        if (outcome.Report is not { } report)
        {
            yield break;
        }

        var primary = outcome.Got?.Target is { } target ? report.Results.FirstOrDefault(r => r.Name == target) : null;
        if (primary is not null)
        {
            if (primary.Error is { } error)
            {
                yield return $"{primary.Name}: {error.Kind}: {error.Message}";
            }

            foreach (var line in primary.Evidence.Take(4))
            {
                yield return $"{primary.Name}: {line}";
            }
        }

        var others = report.Results.Where(r => r.Status != ResultStatus.Pass && r != primary)
            .Select(r => $"{r.Name} {r.Status.Wire()} ({r.Layer?.Wire()}, {r.Side?.Wire()})")
            .ToList();
        if (others.Count > 0)
        {
            yield return "also: " + string.Join("; ", others);
        }
    }

    /// <summary><c>attribution</c>, <c>roots</c>, <c>findings</c> and <c>results [{ name, status, layer, side, cause }]</c> of the judged report (null / empty without one).</summary>
    private static void WriteReportFacts(Utf8JsonWriter json, Report? report)
    {
        WriteOrNull(json, "attribution", report?.Summary.Attribution.Wire());
        JsonReportWriter.WriteRoots(json, report?.Summary.Roots ?? []);
        JsonReportWriter.WriteFindings(json, report?.Summary.Findings ?? []);
        json.WriteStartArray("results");
        foreach (var r in report?.Results ?? [])
        {
            var passed = r.Status == ResultStatus.Pass;
            json.WriteStartObject();
            json.WriteString("name", r.Name);
            json.WriteString("status", r.Status.Wire());
            WriteOrNull(json, "layer", passed ? null : r.Layer?.Wire());
            WriteOrNull(json, "side", passed ? null : r.Side?.Wire());
            WriteOrNull(json, "cause", r.Cause?.Target);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    private static void WriteVerdict(Utf8JsonWriter json, string name, OverallStatus? status, string? target, Layer? layer, Side? side)
    {
        json.WriteStartObject(name);
        WriteOrNull(json, "status", status?.Wire());
        WriteOrNull(json, "target", target);
        WriteOrNull(json, "layer", layer?.Wire());
        WriteOrNull(json, "side", side?.Wire());
        json.WriteEndObject();
    }

    private static void WriteOrNull(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }

    private static void WriteGrid(TextWriter output, string[] header, IReadOnlyList<string[]> rows)
    {
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        output.WriteLine(string.Join("  ", header.Select((h, i) => h.PadRight(widths[i]))).TrimEnd());
        output.WriteLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var row in rows)
        {
            output.WriteLine(string.Join("  ", row.Select((c, i) => c.PadRight(widths[i]))).TrimEnd());
        }
    }

    private static string Seconds(double ms) => (ms / 1000).ToString("0.0", CultureInfo.InvariantCulture) + " s";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
