using System.Globalization;
using System.Text.Json;
using Faultline.TestSupport;
using Xunit.Abstractions;

namespace Faultline.Lab.Tests.Stack;

/// <summary>
/// <c>faultline monitor</c> (the real CLI process) against the lab: Postgres and the app behind it are
/// stopped; exactly one incident opens — for the database — with the app attributed to it and no
/// alert of its own; both resolve after the restart, and a local webhook receiver gets open and resolve.
/// The app gets failureThreshold 5 at a 1 s interval: after its database is back it needs a few seconds to
/// restart, and a dependent is judged on its own again only after failureThreshold further failures.
/// </summary>
[Trait(TestTiers.Name, TestTiers.Services)]
[Collection(LabStackCollection.Name)]
public sealed class MonitorLabTests(LabFixture lab, ITestOutputHelper output)
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Monitor_PostgresAndAppStopped_OneDatabaseIncidentAppSuppressedBothResolve()
    {
        var env = lab.Stack.Environment;
        await using var receiver = await WebhookReceiver.StartAsync();
        var dir = Directory.CreateTempSubdirectory("faultline-monitor-lab-").FullName;
        var config = Path.Combine(dir, "monitor.yaml");
        var p = (int port) => port.ToString(CultureInfo.InvariantCulture);
        await File.WriteAllTextAsync(config, $$"""
            resolver: "127.0.0.1:{{p(env.DnsPort)}}"
            defaults: { timeout: 2s }
            alerts:
              - { name: ops, kind: webhook, url: "{{receiver.Url("/hook")}}" }
            targets:
              - name: db
                kind: postgres
                connectionString: "postgres://faultline:{{env.PostgresPassword}}@db.lab.test:{{p(env.RelayDbPort)}}/faultline?sslmode=disable"
                interval: 1s
                failureThreshold: 2
                successThreshold: 2
                alerts: [ops]
              - name: app
                kind: http
                url: "https://api.lab.test:{{p(env.LoadBalancerPort)}}/health/live"
                tls: { caFile: "{{env.CaFile}}" }
                conditions: ["[STATUS] == 200"]
                interval: 1s
                failureThreshold: 5
                successThreshold: 2
                dependsOn: [db]
                alerts: [ops]
            """);
        await using var monitor = CliProcess.Start(["monitor", "--config", config, "--format", "json", "--quiet", "--store", "sqlite:" + Path.Combine(dir, "history.db")]);
        try
        {
            await monitor.WaitForAsync(e => IsState(e, "db", "up") && IsState(e, "app", "up"), Settle, "db and app up");

            await lab.Stack.StopAsync("postgres");
            await lab.Stack.StopAsync("app");

            var events = await monitor.WaitForAsync(
                e => Alerts(e, "open").Any() && e.Any(x => Is(x, "state", "app") && x.GetProperty("to").GetString() == "down"),
                Settle, "the open alert and the app going down");
            var open = Assert.Single(Alerts(events, "open"));
            Assert.Equal("db", open.GetProperty("incident").GetProperty("target").GetString());
            Assert.Equal("database", open.GetProperty("incident").GetProperty("layer").GetString());
            Assert.Equal("infrastructure", open.GetProperty("incident").GetProperty("side").GetString());
            var appDown = events.First(x => Is(x, "state", "app") && x.GetProperty("to").GetString() == "down");
            Assert.Equal("db", appDown.GetProperty("suppressedBy").GetString());

            await lab.Stack.RestoreAsync();

            events = await monitor.WaitForAsync(
                e => Alerts(e, "resolve").Any() && LastState(e, "app") == "up" && LastState(e, "db") == "up",
                Settle, "the resolve alert and both targets up");
            await receiver.WaitForAsync(2, TimeSpan.FromSeconds(30));

            // Two more probes of each target: nothing else is announced.
            await Task.Delay(TimeSpan.FromSeconds(2.5));
            events = monitor.Events;
            Assert.Single(Alerts(events, "open"));
            Assert.Single(Alerts(events, "resolve"));
            Assert.All(Alerts(events, null), a => Assert.Equal("db", a.GetProperty("incident").GetProperty("target").GetString()));
            var hooks = receiver.Requests.Select(r => JsonDocument.Parse(r.Body).RootElement).ToList();
            Assert.Equal(["open", "resolve"], hooks.Select(h => h.GetProperty("event").GetString()));
            Assert.All(hooks, h => Assert.Equal("db", h.GetProperty("incident").GetProperty("target").GetString()));
            Assert.Contains("app", hooks[0].GetProperty("incident").GetProperty("suppressed").EnumerateArray().Select(s => s.GetString()));
            Assert.All(receiver.Requests, r => Assert.DoesNotContain(env.PostgresPassword, r.Body, StringComparison.Ordinal));
            Assert.All(monitor.Lines, l => Assert.DoesNotContain(env.PostgresPassword, l, StringComparison.Ordinal));
            Assert.Equal(0, await monitor.StopAsync(TimeSpan.FromSeconds(30)));
        }
        finally
        {
            foreach (var line in monitor.Lines.Concat(monitor.ErrorLines))
            {
                output.WriteLine(line);
            }

            await lab.Stack.RestoreAsync();
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// The database path saturated (the relay delays Postgres by 5 s on the service's path): the service's inside
    /// view fails for postgres, its readiness answers 503 and the golden path times out. Neither of the two
    /// declares a dependency: they are linked to the service's inside view by their URL's origin, the same causal
    /// model as a report. Exactly one incident (api/postgres) opens and alerts once; readiness and the golden path
    /// go down attributed to it, and are listed as its consequences.
    /// </summary>
    [Fact]
    public async Task Monitor_DatabasePathSaturated_OneIncidentWithItsImplicitConsequencesOneAlert()
    {
        var env = lab.Stack.Environment;
        await using var receiver = await WebhookReceiver.StartAsync();
        var dir = Directory.CreateTempSubdirectory("faultline-monitor-lab-").FullName;
        var config = Path.Combine(dir, "monitor.yaml");
        var lb = $"api.lab.test:{env.LoadBalancerPort.ToString(CultureInfo.InvariantCulture)}";
        await File.WriteAllTextAsync(config, $$"""
            resolver: "127.0.0.1:{{env.DnsPort.ToString(CultureInfo.InvariantCulture)}}"
            defaults: { timeout: 3s }
            alerts:
              - { name: ops, kind: webhook, url: "{{receiver.Url("/hook")}}" }
            targets:
              - name: api
                kind: remote
                url: "https://{{lb}}/health/infrastructure"
                apiKey: "{{env.ApiKey}}"
                tls: { caFile: "{{env.CaFile}}" }
                interval: 1s
                failureThreshold: 2
                successThreshold: 2
                alerts: [ops]
              - name: ready
                kind: http
                url: "https://{{lb}}/health/ready"
                tls: { caFile: "{{env.CaFile}}" }
                conditions: ["[STATUS] == 200"]
                interval: 1s
                failureThreshold: 3
                successThreshold: 2
                alerts: [ops]
              - name: golden-path
                kind: websocket
                url: "wss://{{lb}}/ws"
                login:
                  url: "https://{{lb}}/api/login"
                  body: { username: demo, password: "{{env.DemoPassword}}" }
                  token: "$.token"
                send: { type: chat, text: "what is 6 times 7?" }
                expect: [agent_started, agent_thinking, tool_executing, tool_completed, agent_completed, answer]
                eventField: type
                deadline: 3s
                timeout: 5s
                tls: { caFile: "{{env.CaFile}}" }
                interval: 1s
                failureThreshold: 3
                successThreshold: 2
                alerts: [ops]
            """);
        await using var monitor = CliProcess.Start(["monitor", "--config", config, "--format", "json", "--quiet", "--store", "sqlite:" + Path.Combine(dir, "history.db")]);
        try
        {
            await monitor.WaitForAsync(
                e => IsState(e, "api/postgres", "up") && IsState(e, "ready", "up") && IsState(e, "golden-path", "up"),
                Settle, "the service, its database, readiness and the golden path up");

            using (var relay = new Faultline.Lab.Relay.RelayClient(env.RelayControl))
            {
                await relay.SetFaultAsync("db", Faultline.Lab.Relay.FaultSpec.Latency(TimeSpan.FromSeconds(5)), CancellationToken.None);
            }

            var events = await monitor.WaitForAsync(
                e => Alerts(e, "open").Any() && LastState(e, "ready") == "down" && LastState(e, "golden-path") == "down",
                Settle, "the open alert, readiness and the golden path down");
            var open = Assert.Single(Alerts(events, "open"));
            Assert.Equal("api/postgres", open.GetProperty("incident").GetProperty("target").GetString());
            Assert.Equal("database", open.GetProperty("incident").GetProperty("layer").GetString());
            Assert.Equal("infrastructure", open.GetProperty("incident").GetProperty("side").GetString());
            foreach (var consequence in new[] { "ready", "golden-path" })
            {
                var down = events.Last(x => Is(x, "state", consequence) && x.GetProperty("to").GetString() == "down");
                Assert.Equal("api/postgres", down.GetProperty("suppressedBy").GetString());
            }

            await lab.Stack.RestoreAsync();
            events = await monitor.WaitForAsync(
                e => Alerts(e, "resolve").Any() && LastState(e, "api/postgres") == "up" && LastState(e, "ready") == "up" && LastState(e, "golden-path") == "up",
                Settle, "the resolve alert and every target up");
            await receiver.WaitForAsync(2, TimeSpan.FromSeconds(30));

            events = monitor.Events;
            Assert.Single(Alerts(events, "open"));
            Assert.Single(Alerts(events, "resolve"));
            Assert.All(Alerts(events, null), a => Assert.Equal("api/postgres", a.GetProperty("incident").GetProperty("target").GetString()));
            var hooks = receiver.Requests.Select(r => JsonDocument.Parse(r.Body).RootElement).ToList();
            Assert.Equal(["open", "resolve"], hooks.Select(h => h.GetProperty("event").GetString()));
            var listed = hooks.SelectMany(h => h.GetProperty("incident").GetProperty("suppressed").EnumerateArray().Select(s => s.GetString())).ToHashSet();
            Assert.Contains("ready", listed);
            Assert.Contains("golden-path", listed);
            Assert.All(receiver.Requests, r => Assert.DoesNotContain(env.DemoPassword, r.Body, StringComparison.Ordinal));
            Assert.All(monitor.Lines, l => Assert.DoesNotContain(env.ApiKey, l, StringComparison.Ordinal));
            Assert.Equal(0, await monitor.StopAsync(TimeSpan.FromSeconds(30)));
        }
        finally
        {
            foreach (var line in monitor.Lines.Concat(monitor.ErrorLines))
            {
                output.WriteLine(line);
            }

            await lab.Stack.RestoreAsync();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static bool Is(JsonElement e, string type, string target) =>
        e.GetProperty("type").GetString() == type && e.TryGetProperty("target", out var t) && t.GetString() == target;

    private static bool IsState(IReadOnlyList<JsonElement> events, string target, string state) => LastState(events, target) == state;

    private static string? LastState(IReadOnlyList<JsonElement> events, string target) =>
        events.LastOrDefault(e => Is(e, "state", target)) is { ValueKind: JsonValueKind.Object } last ? last.GetProperty("to").GetString() : null;

    private static IEnumerable<JsonElement> Alerts(IReadOnlyList<JsonElement> events, string? kind) =>
        events.Where(e => e.GetProperty("type").GetString() == "alert" && (kind is null || e.GetProperty("event").GetString() == kind));
}
