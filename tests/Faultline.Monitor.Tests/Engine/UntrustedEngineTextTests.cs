using System.Text.Json;
using Faultline.Core.Model;
using Faultline.Monitor.Engine;
using Faultline.Monitor.Tests.Alerts;

namespace Faultline.Monitor.Tests.Engine;

/// <summary>A remote target's component names and error kinds come from the service: the engine's log shows them escaped, its JSON lines exact.</summary>
public sealed class UntrustedEngineTextTests
{
    private const string Component = "pg " + HostileText.Text;

    [Fact]
    public async Task Run_RemoteComponentWithHostileNameAndErrorKind_LogLinesAreEscaped()
    {
        using var logs = new CapturingLoggerFactory();
        await using (var h = new EngineHarness(EngineHarness.Config(EngineHarness.Target("api")), loggerFactory: logs))
        {
            await FailThenRecoverAsync(h);
        }

        var stateLines = logs.WithEventId(400);
        Assert.Contains(stateLines, e => e.Message.Contains("-> Down", StringComparison.Ordinal) && e.Message.Contains(HostileText.EscapedColour, StringComparison.Ordinal));
        var opened = Assert.Single(logs.WithEventId(401), e => ((string)e.Values["Target"]!).StartsWith("api/pg", StringComparison.Ordinal));
        HostileText.AssertEscaped(opened.Message);
        HostileText.AssertEscaped((string)opened.Values["Signature"]!);
        HostileText.AssertEscaped(Assert.Single(logs.WithEventId(402), e => ((string)e.Values["Target"]!).StartsWith("api/pg", StringComparison.Ordinal)).Message);
        Assert.All(logs.Entries, e => HostileText.AssertInert(e.AllText));
    }

    [Fact]
    public async Task Run_RemoteComponentWithHostileNameAndErrorKind_JsonLinesCarryTheExactText()
    {
        await using var h = new EngineHarness(EngineHarness.Config(EngineHarness.Target("api")));
        await FailThenRecoverAsync(h);

        var target = "api/" + Component;
        var open = Assert.Single(h.Sink.Alerts, a => a.Event == AlertEventKind.Open);
        var alertLine = MonitorJson.Alert(open);
        HostileText.AssertInert(alertLine);
        using (var alert = JsonDocument.Parse(alertLine))
        {
            var root = alert.RootElement;
            Assert.Equal(target, root.GetProperty("incident").GetProperty("target").GetString());
            Assert.Equal("database/" + HostileText.Text, root.GetProperty("incident").GetProperty("signature").GetString());
            Assert.Equal(open.Summary, root.GetProperty("summary").GetString());
            Assert.Contains(HostileText.Text, open.Summary, StringComparison.Ordinal);
            Assert.Equal(open.Evidence, root.GetProperty("evidence").EnumerateArray().Select(e => e.GetString()!));
            Assert.Equal(open.Remedy, root.GetProperty("remedy").GetString());
        }

        var down = h.Sink.StatesOf(target).First(s => s.To == TargetState.Down);
        var stateLine = MonitorJson.State(down);
        HostileText.AssertInert(stateLine);
        using (var state = JsonDocument.Parse(stateLine))
        {
            Assert.Equal(target, state.RootElement.GetProperty("target").GetString());
            Assert.Equal("database/" + HostileText.Text, state.RootElement.GetProperty("signature").GetString());
        }

        var failed = h.Sink.ResultsOf(target).First(r => r.Result.Status == ResultStatus.Fail);
        var resultLine = MonitorJson.Result(failed);
        HostileText.AssertInert(resultLine);
        using var result = JsonDocument.Parse(resultLine);
        Assert.Equal(failed.Result.Error!.Message, result.RootElement.GetProperty("result").GetProperty("error").GetProperty("message").GetString());
        Assert.Contains(HostileText.Text, failed.Result.Error.Message, StringComparison.Ordinal);
    }

    /// <summary>The component fails with a hostile error kind until its incident opens, then recovers until it resolves.</summary>
    private static async Task FailThenRecoverAsync(EngineHarness h)
    {
        var failing = Outcome.Fail(Layer.Database, HostileText.Text);
        h.Probe.Set("api", failing);
        h.Probe.SetComponents("api", (Component, failing));
        await h.ProbesAsync("api", 3);
        Assert.Contains(h.Sink.Alerts, a => a.Event == AlertEventKind.Open);

        h.Probe.Set("api", Outcome.Pass());
        h.Probe.SetComponents("api", (Component, Outcome.Pass()));
        await h.ProbesAsync("api", 3);
        Assert.Contains(h.Sink.Alerts, a => a.Event == AlertEventKind.Resolve);
    }
}
