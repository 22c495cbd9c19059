using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Faultline.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Xunit.Abstractions;

namespace Faultline.Cli.Tests;

/// <summary>
/// Two `faultline monitor` replicas on one PostgreSQL store: one alert per incident whichever replica sees it, and
/// when the replica sending alerts is killed (SIGKILL), the other takes the alert lease and announces the next incident.
/// </summary>
[Trait(TestTiers.Name, TestTiers.Services)]
[Collection(LocalServices.Collection)]
public sealed class AlertFailoverTests(LocalServices services, ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);
    private readonly string _database = "faultline_replicas_" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _dir = Directory.CreateTempSubdirectory("faultline-replicas-").FullName;

    public async Task InitializeAsync()
    {
        await using var admin = new NpgsqlConnection(services.AdminConnectionString);
        await admin.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE {_database}", admin);
        await create.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(services.AdminConnectionString);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Monitor_TwoReplicasOnePostgresStore_OneAlertPerIncidentAndFailoverAfterKill()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var flip = await SwitchableServer.StartAsync();
        var closedPort = ClosedPort();
        var config = Path.Combine(_dir, "monitor.yaml");
        var seconds = Interval.TotalSeconds.ToString(CultureInfo.InvariantCulture);
        await File.WriteAllTextAsync(config, $$"""
            defaults: { timeout: 2s }
            alerts:
              - { name: hook, kind: webhook, url: "{{receiver.Url("/hook")}}" }
            targets:
              - { name: gone, kind: tcp, host: 127.0.0.1, port: {{closedPort}}, interval: {{seconds}}s, failureThreshold: 2, successThreshold: 2, alerts: [hook] }
              - { name: flip, kind: http, url: "{{flip.Url}}", conditions: ["[STATUS] == 200"], interval: {{seconds}}s, failureThreshold: 2, successThreshold: 2, alerts: [hook] }
            """);
        var store = new NpgsqlConnectionStringBuilder(services.AdminConnectionString) { Database = _database }.ConnectionString;
        string[] arguments = ["monitor", "--config", config, "--format", "json", "--quiet", "--verbose", "--store", "postgres:" + store];
        await using var a = CliProcess.Start(arguments);
        await using var b = CliProcess.Start(arguments);
        var replicas = new[] { a, b };
        try
        {
            // Both replicas see `gone` fail and share its incident; exactly one announces it.
            await receiver.WaitForAsync(1, TimeSpan.FromSeconds(60));
            await Task.WhenAll(replicas.Select(r => r.WaitForAsync(e => e.Any(x => IsState(x, "gone", "down")), TimeSpan.FromSeconds(60), "gone down")));
            await Task.Delay(Interval * 4);
            Assert.Equal(["open gone"], Hooks(receiver));
            var leader = Assert.Single(replicas, r => r.Events.Any(IsAlert));
            var survivor = leader == a ? b : a;

            // The alerting replica dies without a goodbye; the other takes the lease and announces the next incident.
            var killed = Stopwatch.StartNew();
            leader.Kill();
            await survivor.WaitForErrorLineAsync(l => l.Contains("alert lease taken", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "the alert lease");
            var takeover = killed.Elapsed;
            flip.Status = HttpStatusCode.InternalServerError;
            await survivor.WaitForAsync(e => e.Any(x => IsAlert(x) && Target(x) == "flip"), TimeSpan.FromSeconds(60), "the open alert for flip");
            await receiver.WaitForAsync(2, TimeSpan.FromSeconds(30));
            await Task.Delay(Interval * 3);

            output.WriteLine($"lease taken {takeover.TotalMilliseconds:0} ms after the alerting replica was killed (interval {Interval.TotalMilliseconds:0} ms)");
            Assert.Equal(["open gone", "open flip"], Hooks(receiver));
            Assert.True(takeover < Interval + TimeSpan.FromSeconds(5), $"lease taken after {takeover}");
            Assert.All(receiver.Requests, r => Assert.DoesNotContain(services.PgAdminPassword, r.Body, StringComparison.Ordinal));
            Assert.All(replicas.SelectMany(r => r.Lines.Concat(r.ErrorLines)), l => Assert.DoesNotContain(services.PgAdminPassword, l, StringComparison.Ordinal));
        }
        finally
        {
            foreach (var (name, replica) in new[] { ("a", a), ("b", b) })
            {
                foreach (var line in replica.ErrorLines.TakeLast(40))
                {
                    output.WriteLine($"{name}: {line}");
                }
            }
        }
    }

    private static List<string> Hooks(WebhookReceiver receiver) =>
        [.. receiver.Requests.Select(r => JsonDocument.Parse(r.Body).RootElement).Select(h => $"{h.GetProperty("event").GetString()} {h.GetProperty("incident").GetProperty("target").GetString()}")];

    private static bool IsAlert(JsonElement e) => e.GetProperty("type").GetString() == "alert" && e.GetProperty("held").ValueKind == JsonValueKind.Null;

    private static string? Target(JsonElement alert) => alert.GetProperty("incident").GetProperty("target").GetString();

    private static bool IsState(JsonElement e, string target, string to) =>
        e.GetProperty("type").GetString() == "state" && e.GetProperty("target").GetString() == target && e.GetProperty("to").GetString() == to;

    private static int ClosedPort()
    {
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>An HTTP server on 127.0.0.1 that answers every request with <see cref="Status"/>.</summary>
    private sealed class SwitchableServer : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private volatile int _status = (int)HttpStatusCode.OK;

        private SwitchableServer()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
            _app = builder.Build();
            _app.Run(context =>
            {
                context.Response.StatusCode = _status;
                return Task.CompletedTask;
            });
        }

        public HttpStatusCode Status
        {
            get => (HttpStatusCode)_status;
            set => _status = (int)value;
        }

        public string Url { get; private set; } = string.Empty;

        public static async Task<SwitchableServer> StartAsync()
        {
            var server = new SwitchableServer();
            await server._app.StartAsync();
            server.Url = server._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/";
            return server;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
