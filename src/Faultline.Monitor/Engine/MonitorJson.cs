using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Faultline.Core.Model;
using Faultline.Core.Reporting;

namespace Faultline.Monitor.Engine;

/// <summary>
/// The monitor's JSON event lines (<c>faultline monitor --format json</c>): one object per line,
/// <c>type</c> first, camelCase names, lowercase enum words. Results are already redacted by the runner;
/// nothing here adds a value from the config. Documented in docs/commands/monitor.md.
/// </summary>
public static class MonitorJson
{
    private static readonly JsonWriterOptions Options = new() { Indented = false, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Wire(this TargetState state) => state.ToString().ToLowerInvariant();

    public static string Wire(this AlertEventKind kind) => kind.ToString().ToLowerInvariant();

    /// <summary><c>{"type":"result","target","scheduledAt","startedAt","lagMs","result":{...}}</c>.</summary>
    public static string Result(ResultEvent result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return Write(w =>
        {
            w.WriteString("type", "result");
            w.WriteString("target", result.Target);
            w.WriteString("scheduledAt", result.ScheduledAt);
            w.WriteString("startedAt", result.StartedAt);
            w.WriteNumber("lagMs", Math.Round(Math.Max(0, (result.StartedAt - result.ScheduledAt).TotalMilliseconds), 1));
            w.WritePropertyName("result");
            JsonReportWriter.WriteResult(w, result.Result, includeDetails: false);
        });
    }

    /// <summary><c>{"type":"state","target","at","from","to","incidentId","suppressedBy","signature","reason"}</c>; <c>reason</c> is set when <c>to</c> is <c>error</c>.</summary>
    public static string State(StateEvent state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return Write(w =>
        {
            w.WriteString("type", "state");
            w.WriteString("target", state.Target);
            w.WriteString("at", state.At);
            w.WriteString("from", state.From.Wire());
            w.WriteString("to", state.To.Wire());
            if (state.IncidentId is { } id)
            {
                w.WriteNumber("incidentId", id);
            }
            else
            {
                w.WriteNull("incidentId");
            }

            NullableString(w, "suppressedBy", state.SuppressedBy);
            NullableString(w, "signature", state.Signature);
            NullableString(w, "reason", state.Reason);
        });
    }

    /// <summary>
    /// <c>{"type":"alert","event","at","sequence","held","incident":{...},"summary","evidence","remedy","channels"}</c>;
    /// <c>held</c> is null for an alert that was sent, <c>"maintenance"</c> for one a maintenance window held.
    /// </summary>
    public static string Alert(AlertEvent alert, string? held = null)
    {
        ArgumentNullException.ThrowIfNull(alert);
        return Write(w =>
        {
            w.WriteString("type", "alert");
            w.WriteString("event", alert.Event.Wire());
            w.WriteString("at", alert.At);
            w.WriteNumber("sequence", alert.Sequence);
            NullableString(w, "held", held);
            var i = alert.Incident;
            w.WriteStartObject("incident");
            w.WriteNumber("id", i.Id);
            w.WriteString("target", i.Target);
            w.WriteString("layer", i.Layer.Wire());
            w.WriteString("side", i.Side.Wire());
            w.WriteString("signature", i.Signature);
            w.WriteString("startedAt", i.StartedAt);
            if (i.ResolvedAt is { } resolved)
            {
                w.WriteString("resolvedAt", resolved);
            }
            else
            {
                w.WriteNull("resolvedAt");
            }

            Strings(w, "suppressed", i.Suppressed);
            w.WriteEndObject();
            w.WriteString("summary", alert.Summary);
            Strings(w, "evidence", alert.Evidence);
            NullableString(w, "remedy", alert.Remedy);
            Strings(w, "channels", alert.Channels);
        });
    }

    private static string Write(Action<Utf8JsonWriter> body)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, Options))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void Strings(Utf8JsonWriter w, string name, IReadOnlyList<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values)
        {
            w.WriteStringValue(v);
        }

        w.WriteEndArray();
    }

    private static void NullableString(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }

    private static void Optional(Utf8JsonWriter w, string name, double? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
    }
}
