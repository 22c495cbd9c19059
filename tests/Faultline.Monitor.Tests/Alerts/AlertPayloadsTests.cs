using System.Text.Json;
using Faultline.Monitor.Alerts;

namespace Faultline.Monitor.Tests.Alerts;

public sealed class AlertPayloadsTests
{
    [Fact]
    public void Generic_Reminder_CarriesItsSequence()
    {
        using var json = JsonDocument.Parse(AlertPayloads.Generic(AlertSamples.Reminder(3)));

        Assert.Equal("reminder", json.RootElement.GetProperty("event").GetString());
        Assert.Equal(3, json.RootElement.GetProperty("sequence").GetInt32());
        Assert.Equal("2026-11-26T06:00:00.000Z", json.RootElement.GetProperty("at").GetString());
    }

    [Fact]
    public void Slack_SummaryWithMarkup_IsEscapedAndLongEvidenceTruncated()
    {
        var alert = AlertSamples.Open() with
        {
            Summary = "api: <b>502</b> & more",
            Evidence = [new string('e', 5000)],
        };

        using var json = JsonDocument.Parse(AlertPayloads.Slack(alert));
        var blocks = json.RootElement.GetProperty("blocks");

        Assert.Equal("api: &lt;b&gt;502&lt;/b&gt; &amp; more", blocks[1].GetProperty("text").GetProperty("text").GetString());
        var evidence = blocks[2].GetProperty("text").GetProperty("text").GetString()!;
        Assert.Equal(3000, evidence.Length);
        Assert.EndsWith("…", evidence, StringComparison.Ordinal);
    }

    [Fact]
    public void Slack_SummaryWithMention_NotificationTextIsEscapedForMrkdwn()
    {
        var alert = AlertSamples.Open() with { Summary = "api: HTTP 500 <!channel> & <https://evil.example|click>" };

        using var json = JsonDocument.Parse(AlertPayloads.Slack(alert));
        var text = json.RootElement.GetProperty("text").GetString()!;

        Assert.EndsWith("api: HTTP 500 &lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;", text, StringComparison.Ordinal);
        Assert.DoesNotContain('<', text);
    }

    [Fact]
    public void Slack_Reminder_SaysStillOpenWithTheReminderNumber()
    {
        using var json = JsonDocument.Parse(AlertPayloads.Slack(AlertSamples.Reminder(2)));

        Assert.StartsWith("Incident still open: db", json.RootElement.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Contains("reminder 2", json.RootElement.GetProperty("blocks").EnumerateArray().Last().GetRawText(), StringComparison.Ordinal);
    }
}
