using System.Text.Json;
using Faultline.Core.Config;
using Faultline.Monitor.Alerts;
using Faultline.TestSupport;

namespace Faultline.Monitor.Tests.Alerts;

/// <summary>Text from probed servers reaches alert text, a command's environment and the log escaped; JSON bodies stay exact.</summary>
public sealed class UntrustedAlertTextTests : IDisposable
{
    private readonly HttpClient http = new();
    private readonly CapturingLoggerFactory logs = new();
    private readonly string dir = Directory.CreateTempSubdirectory("faultline-untrusted-").FullName;

    public void Dispose()
    {
        http.Dispose();
        logs.Dispose();
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public async Task Enqueue_SlackWebhookWithHostileText_EveryTextEscapedAndLineBreaksOnlyTheMessagesOwn()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var spec = new AlertSpec { Name = "chat", Kind = AlertKinds.Webhook, Url = receiver.Url("/services/T1/B2"), Format = "slack" };
        await using var dispatcher = new AlertDispatcher([spec], http, TimeProvider.System, logs);

        dispatcher.Enqueue(HostileText.Alert("chat"));
        await receiver.WaitForAsync(1);

        using var json = JsonDocument.Parse(receiver.Requests[0].Body);
        var root = json.RootElement;
        var texts = Texts(root).ToList();
        Assert.All(texts, t => HostileText.AssertInert(t, lineBreaks: true));
        HostileText.AssertEscaped(root.GetProperty("text").GetString()!);
        var blocks = root.GetProperty("blocks").EnumerateArray().ToList();
        HostileText.AssertEscaped(blocks[0].GetProperty("text").GetProperty("text").GetString()!);
        HostileText.AssertEscaped(blocks[1].GetProperty("text").GetProperty("text").GetString()!);

        // A field is "*Name*\nvalue": the server's CR LF did not add a line.
        var fields = blocks[1].GetProperty("fields").EnumerateArray().Select(f => f.GetProperty("text").GetString()!).ToList();
        Assert.All(fields, f => Assert.Equal(2, f.Split('\n').Length));
        foreach (var name in new[] { "*Target*", "*Signature*", "*Suppressed*" })
        {
            HostileText.AssertEscaped(Assert.Single(fields, f => f.StartsWith(name, StringComparison.Ordinal)), lineBreaks: true);
        }

        var evidence = Assert.Single(texts, t => t.StartsWith("*Evidence*", StringComparison.Ordinal));
        Assert.Equal(3, evidence.Split('\n').Length);
        HostileText.AssertEscaped(evidence, lineBreaks: true);
        var remedy = Assert.Single(texts, t => t.StartsWith("*Remedy*", StringComparison.Ordinal));
        Assert.Equal(2, remedy.Split('\n').Length);
        HostileText.AssertEscaped(remedy, lineBreaks: true);
    }

    [Fact]
    public async Task Enqueue_GenericWebhookWithHostileText_BodyIsJsonEscapedAndRoundTripsExactly()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var spec = new AlertSpec { Name = "ops", Kind = AlertKinds.Webhook, Url = receiver.Url("/hook") };
        await using var dispatcher = new AlertDispatcher([spec], http, TimeProvider.System, logs);
        var alert = HostileText.Alert("ops");

        dispatcher.Enqueue(alert);
        await receiver.WaitForAsync(1);

        var body = receiver.Requests[0].Body;
        HostileText.AssertInert(body);
        Assert.Contains("\\u001b[31m", body, StringComparison.OrdinalIgnoreCase);
        AssertExactJson(body, alert);
    }

    [Fact]
    public async Task Enqueue_CommandWithHostileText_EnvironmentAsTheShellSeesItIsEscapedAndJsonExact()
    {
        var envFile = Path.Combine(dir, "env");
        var spec = new AlertSpec { Name = "pager", Kind = AlertKinds.Command, Run = $"env -0 > '{envFile}'" };
        await using var dispatcher = new AlertDispatcher([spec], http, TimeProvider.System, logs);
        var alert = HostileText.Alert("pager");

        dispatcher.Enqueue(alert);
        await dispatcher.FlushAsync(TimeSpan.FromSeconds(20));

        Assert.Single(logs.WithEventId(6103));
        var env = File.ReadAllText(envFile).Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(v => v.Split('=', 2))
            .Where(p => p[0].StartsWith("FAULTLINE_", StringComparison.Ordinal))
            .ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        foreach (var (_, value) in env.Where(v => v.Key is not ("FAULTLINE_EVIDENCE" or "FAULTLINE_JSON")))
        {
            HostileText.AssertInert(value);
        }

        foreach (var name in new[] { "FAULTLINE_SUMMARY", "FAULTLINE_REMEDY", "FAULTLINE_SIGNATURE", "FAULTLINE_TARGET", "FAULTLINE_SUPPRESSED" })
        {
            HostileText.AssertEscaped(env[name]);
        }

        var evidence = env["FAULTLINE_EVIDENCE"].Split('\n');
        Assert.Equal(alert.Evidence.Count, evidence.Length);
        Assert.All(evidence, line => HostileText.AssertEscaped(line));
        Assert.StartsWith("reason phrase: Bad \\x1b[31mred forged line\\x07 \\x9b2J end", evidence[0], StringComparison.Ordinal);

        HostileText.AssertInert(env["FAULTLINE_JSON"]);
        AssertExactJson(env["FAULTLINE_JSON"], alert);
    }

    [Fact]
    public async Task Enqueue_CommandPrintsControlCharacters_LoggedOutputIsEscaped()
    {
        // ESC [31m, CR LF, BEL and U+009B (UTF-8 C2 9B) on both streams.
        const string Print = "printf 'out \\033[31mred\\r\\nnext\\007 \\302\\2332J end\\n'";
        var spec = new AlertSpec { Name = "pager", Kind = AlertKinds.Command, Run = $"{Print}; {Print} >&2; exit 3", Retries = 0 };
        await using var dispatcher = new AlertDispatcher([spec], http, TimeProvider.System, logs);

        dispatcher.Enqueue(HostileText.Alert("pager"));
        await dispatcher.FlushAsync(TimeSpan.FromSeconds(20));

        var output = Assert.Single(logs.WithEventId(6121));
        HostileText.AssertEscaped((string)output.Values["Stdout"]!);
        HostileText.AssertEscaped((string)output.Values["Stderr"]!);
        Assert.Equal("out \\x1b[31mred next\\x07 \\x9b2J end", output.Values["Stdout"]);
        HostileText.AssertEscaped(output.Message);
        Assert.All(logs.Entries, e => HostileText.AssertInert(e.AllText));
    }

    [Fact]
    public async Task Enqueue_CommandKilledAfterPrintingControlCharacters_LoggedOutputIsEscaped()
    {
        var spec = new AlertSpec
        {
            Name = "pager",
            Kind = AlertKinds.Command,
            Run = "printf 'started \\033[31mred\\r\\n\\007\\n'; exec sleep 60",
            Retries = 0,
            Timeout = TimeSpan.FromMilliseconds(500),
        };
        await using var dispatcher = new AlertDispatcher([spec], http, TimeProvider.System, logs);

        dispatcher.Enqueue(HostileText.Alert("pager"));
        await dispatcher.FlushAsync(TimeSpan.FromSeconds(20));

        var killed = Assert.Single(logs.WithEventId(6122));
        HostileText.AssertEscaped((string)killed.Values["Stdout"]!);
        HostileText.AssertEscaped(killed.Message);
        Assert.All(logs.Entries, e => HostileText.AssertInert(e.AllText));
    }

    [Fact]
    public async Task Enqueue_LogChannelWithHostileText_AlertLineIsEscaped()
    {
        var spec = new AlertSpec { Name = "journal", Kind = AlertKinds.Log };
        await using var dispatcher = new AlertDispatcher([spec], http, TimeProvider.System, logs);

        dispatcher.Enqueue(HostileText.Alert("journal"));
        await dispatcher.FlushAsync(TimeSpan.FromSeconds(20));

        var line = Assert.Single(logs.WithEventId(6120));
        HostileText.AssertEscaped(line.Message);
        HostileText.AssertEscaped((string)line.Values["Summary"]!);
        HostileText.AssertEscaped((string)line.Values["Signature"]!);
        HostileText.AssertEscaped((string)line.Values["Target"]!);
        Assert.All(logs.Entries, e => HostileText.AssertInert(e.AllText));
    }

    /// <summary>The generic body (webhook or <c>FAULTLINE_JSON</c>) parses back to the alert's exact text.</summary>
    private static void AssertExactJson(string body, AlertEvent alert)
    {
        using var json = JsonDocument.Parse(body);
        var root = json.RootElement;
        var incident = root.GetProperty("incident");
        Assert.Equal(alert.Summary, root.GetProperty("summary").GetString());
        Assert.Equal(alert.Remedy, root.GetProperty("remedy").GetString());
        Assert.Equal(alert.Evidence, root.GetProperty("evidence").EnumerateArray().Select(e => e.GetString()!));
        Assert.Equal(alert.Incident.Target, incident.GetProperty("target").GetString());
        Assert.Equal(alert.Incident.Signature, incident.GetProperty("signature").GetString());
        Assert.Equal(alert.Incident.Suppressed, incident.GetProperty("suppressed").EnumerateArray().Select(e => e.GetString()!));
    }

    /// <summary>Every string under a property named <c>text</c>, at any depth.</summary>
    private static IEnumerable<string> Texts(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().SelectMany(p => p.Name == "text" && p.Value.ValueKind == JsonValueKind.String ? [p.Value.GetString()!] : Texts(p.Value)),
        JsonValueKind.Array => element.EnumerateArray().SelectMany(Texts),
        _ => [],
    };
}
