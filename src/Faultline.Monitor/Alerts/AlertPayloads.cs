using System.Globalization;
using System.Text;
using System.Text.Json;
using Faultline.Core.Model;
using Faultline.Core.Reporting;

namespace Faultline.Monitor.Alerts;

/// <summary>The bodies the webhook channel POSTs; docs/monitor.md shows an example of each.</summary>
internal static class AlertPayloads
{
    public const string GenericFormat = "generic";
    public const string SlackFormat = "slack";

    public static IReadOnlyList<string> Formats { get; } = [GenericFormat, SlackFormat];

    // Slack's documented limits: header text 150 characters, section text 3000, a field 2000.
    private const int SlackHeaderLimit = 150;
    private const int SlackSectionLimit = 3000;
    private const int SlackFieldLimit = 2000;

    public static string EventName(AlertEventKind kind) => kind switch
    {
        AlertEventKind.Open => "open",
        AlertEventKind.Resolve => "resolve",
        AlertEventKind.Reminder => "reminder",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown alert event"),
    };

    /// <summary>ISO-8601 in UTC with a <c>Z</c>, e.g. <c>2026-11-26T03:04:05.123Z</c>.</summary>
    public static string Timestamp(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public static byte[] Render(string format, AlertEvent alert) => format switch
    {
        GenericFormat => Generic(alert),
        SlackFormat => Slack(alert),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "unknown webhook format"),
    };

    /// <summary><c>{ event, at, incident { id, target, layer, side, signature, startedAt, resolvedAt, suppressed }, evidence, remedy, summary, sequence }</c>.</summary>
    public static byte[] Generic(AlertEvent alert)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            var incident = alert.Incident;
            json.WriteStartObject();
            json.WriteString("event", EventName(alert.Event));
            json.WriteString("at", Timestamp(alert.At));
            json.WriteStartObject("incident");
            json.WriteNumber("id", incident.Id);
            json.WriteString("target", incident.Target);
            json.WriteString("layer", incident.Layer.Wire());
            json.WriteString("side", incident.Side.Wire());
            json.WriteString("signature", incident.Signature);
            json.WriteString("startedAt", Timestamp(incident.StartedAt));
            if (incident.ResolvedAt is { } resolvedAt)
            {
                json.WriteString("resolvedAt", Timestamp(resolvedAt));
            }
            else
            {
                json.WriteNull("resolvedAt");
            }

            json.WriteStartArray("suppressed");
            foreach (var child in incident.Suppressed)
            {
                json.WriteStringValue(child);
            }

            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteStartArray("evidence");
            foreach (var line in alert.Evidence)
            {
                json.WriteStringValue(line);
            }

            json.WriteEndArray();
            if (alert.Remedy is { } remedy)
            {
                json.WriteString("remedy", remedy);
            }
            else
            {
                json.WriteNull("remedy");
            }

            json.WriteString("summary", alert.Summary);
            json.WriteNumber("sequence", alert.Sequence);
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>
    /// A Slack incoming-webhook message: <c>text</c> (the notification line) and Block Kit <c>blocks</c> with the same facts.
    /// Every text from the alert is one line with control characters escaped (<see cref="SafeText.OneLine"/>); the
    /// line breaks in it are the message's own (between a field's name and value, between evidence lines).
    /// </summary>
    public static byte[] Slack(AlertEvent alert)
    {
        var incident = alert.Incident;
        var headline = Headline(alert);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            // Slack formats the notification text as mrkdwn too: a "<!channel>" in a server's message must not ping anyone.
            json.WriteString("text", Truncate(Escape($"{headline} — {alert.Summary}"), SlackSectionLimit));
            json.WriteStartArray("blocks");

            json.WriteStartObject();
            json.WriteString("type", "header");
            PlainText(json, "text", Truncate(headline, SlackHeaderLimit));
            json.WriteEndObject();

            json.WriteStartObject();
            json.WriteString("type", "section");
            Markdown(json, "text", Truncate(Escape(alert.Summary), SlackSectionLimit));
            json.WriteStartArray("fields");
            Field(json, "Target", incident.Target);
            Field(json, "Layer", $"{incident.Layer.Wire()} ({incident.Side.Wire()})");
            Field(json, "Signature", incident.Signature);
            Field(json, "Started", Timestamp(incident.StartedAt));
            if (incident.ResolvedAt is { } resolvedAt)
            {
                Field(json, "Resolved", $"{Timestamp(resolvedAt)} (after {Duration(resolvedAt - incident.StartedAt)})");
            }

            if (incident.Suppressed.Count > 0)
            {
                Field(json, "Suppressed", string.Join(", ", incident.Suppressed));
            }

            json.WriteEndArray();
            json.WriteEndObject();

            if (alert.Evidence.Count > 0)
            {
                var evidence = new StringBuilder("*Evidence*");
                foreach (var line in alert.Evidence)
                {
                    evidence.Append("\n• ").Append(Escape(line));
                }

                Section(json, Truncate(evidence.ToString(), SlackSectionLimit));
            }

            if (!string.IsNullOrEmpty(alert.Remedy))
            {
                Section(json, Truncate("*Remedy*\n" + Escape(alert.Remedy), SlackSectionLimit));
            }

            json.WriteStartObject();
            json.WriteString("type", "context");
            json.WriteStartArray("elements");
            json.WriteStartObject();
            json.WriteString("type", "mrkdwn");
            var context = alert.Event == AlertEventKind.Reminder
                ? $"Faultline incident #{incident.Id} · reminder {alert.Sequence} · {Timestamp(alert.At)}"
                : $"Faultline incident #{incident.Id} · {EventName(alert.Event)} · {Timestamp(alert.At)}";
            json.WriteString("text", context);
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>"Incident opened: api (database, infrastructure)".</summary>
    public static string Headline(AlertEvent alert)
    {
        var incident = alert.Incident;
        var what = alert.Event switch
        {
            AlertEventKind.Open => "Incident opened",
            AlertEventKind.Resolve => "Incident resolved",
            _ => "Incident still open",
        };
        return $"{what}: {SafeText.OneLine(incident.Target)} ({incident.Layer.Wire()}, {incident.Side.Wire()})";
    }

    public static string Duration(TimeSpan span) => span switch
    {
        { TotalDays: >= 1 } => string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalDays}d{span.Hours}h"),
        { TotalHours: >= 1 } => string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalHours}h{span.Minutes}m"),
        { TotalMinutes: >= 1 } => string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalMinutes}m{span.Seconds}s"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{Math.Max(0, (int)span.TotalSeconds)}s"),
    };

    private static void Field(Utf8JsonWriter json, string name, string value)
    {
        json.WriteStartObject();
        json.WriteString("type", "mrkdwn");
        json.WriteString("text", Truncate($"*{name}*\n{Escape(value)}", SlackFieldLimit));
        json.WriteEndObject();
    }

    private static void Section(Utf8JsonWriter json, string markdown)
    {
        json.WriteStartObject();
        json.WriteString("type", "section");
        Markdown(json, "text", markdown);
        json.WriteEndObject();
    }

    private static void PlainText(Utf8JsonWriter json, string property, string text)
    {
        json.WriteStartObject(property);
        json.WriteString("type", "plain_text");
        json.WriteString("text", text);
        json.WriteEndObject();
    }

    private static void Markdown(Utf8JsonWriter json, string property, string text)
    {
        json.WriteStartObject(property);
        json.WriteString("type", "mrkdwn");
        json.WriteString("text", text);
        json.WriteEndObject();
    }

    /// <summary>
    /// One line of text for mrkdwn: control and text-reordering characters as escapes (<see cref="SafeText.OneLine"/>:
    /// Slack shows the text, so what a probed server sent must not format it), then Slack's mrkdwn control characters
    /// escaped as its docs ask.
    /// </summary>
    private static string Escape(string text) =>
        SafeText.OneLine(text)
            .Replace("&", "&amp;", StringComparison.Ordinal)
            .Replace("<", "&lt;", StringComparison.Ordinal)
            .Replace(">", "&gt;", StringComparison.Ordinal);

    private static string Truncate(string text, int limit) =>
        text.Length <= limit ? text : string.Concat(text.AsSpan(0, limit - 1), "…");
}
