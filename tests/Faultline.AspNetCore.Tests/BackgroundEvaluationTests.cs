using System.Net;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Running;
using Faultline.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Faultline.AspNetCore.Tests;

public sealed class BackgroundEvaluationTests
{
    private static Task Ok(PhaseContext context, CancellationToken cancellationToken) => Task.CompletedTask;

    [Fact]
    public async Task Infrastructure_ThousandRequests_AddNoDependencyQueries()
    {
        var probe = new CountingProbe();
        await using var app = await TestApp.StartAsync(
            (f, _) => f.AddPhase("configuration", Ok).AddProbe(probe).AddDependency(new TargetSpec { Name = "counted", Kind = CountingProbe.KindName }),
            new Dictionary<string, string?> { ["Faultline:Health:Interval"] = "01:00:00" });
        await app.WaitForStartupAsync();
        await app.WaitForRoundsAsync();
        var before = probe.Calls;
        Assert.Equal(1, before);

        var requests = Enumerable.Range(0, 1000).Select(async _ =>
        {
            using var response = await app.Client.GetAsync("/health/infrastructure");
            return response.StatusCode;
        });
        var codes = await Task.WhenAll(requests);

        Assert.All(codes, c => Assert.Equal(HttpStatusCode.OK, c));
        Assert.Equal(before, probe.Calls);
    }

    [Fact]
    public async Task Infrastructure_DependencyKeepsFailing_BreakerOpensAndStopsAskingIt()
    {
        var probe = new CountingProbe { Fail = true };
        await using var app = await TestApp.StartAsync(
            (f, _) => f.AddPhase("configuration", Ok).AddProbe(probe).AddDependency(new TargetSpec { Name = "ledger", Kind = CountingProbe.KindName }),
            new Dictionary<string, string?>
            {
                ["Faultline:Health:Interval"] = "00:00:00.100",
                ["Faultline:Breakers:ledger:FailureThreshold"] = "2",
                ["Faultline:Breakers:ledger:BreakDuration"] = "01:00:00",
            });
        await app.WaitForStartupAsync();
        await app.WaitForRoundsAsync(5);

        Assert.Equal(2, probe.Calls);
        var (status, body, _, _) = await app.GetAsync("/health/infrastructure");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        var ledger = body.GetProperty("components").GetProperty("ledger");
        Assert.Equal("open", ledger.GetProperty("breaker").GetString());
        Assert.Equal("unhealthy", ledger.GetProperty("status").GetString());
        Assert.Equal("connection-refused", ledger.GetProperty("errorKind").GetString());
        Assert.Equal("open", body.GetProperty("breakers").GetProperty("ledger").GetString());
    }

    [Fact]
    public async Task Infrastructure_ExistingHealthCheckRegistrations_AppearAsComponents()
    {
        await using var app = await TestApp.StartAsync((f, b) =>
        {
            f.AddPhase("configuration", Ok);
            b.Services.AddHealthChecks()
                .AddCheck("session-store", () => HealthCheckResult.Unhealthy("down"), tags: ["cache", "optional"])
                .AddCheck("self", () => HealthCheckResult.Healthy());
        });
        await app.WaitForStartupAsync();
        await app.WaitForRoundsAsync();

        var (status, body, _, _) = await app.GetAsync("/health/infrastructure");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("degraded", body.GetProperty("status").GetString());
        var store = body.GetProperty("components").GetProperty("session-store");
        Assert.Equal("unhealthy", store.GetProperty("status").GetString());
        Assert.Equal("cache", store.GetProperty("layer").GetString());
        Assert.Equal("infrastructure", store.GetProperty("side").GetString());
        Assert.False(store.GetProperty("critical").GetBoolean());
        Assert.Equal("healthy", body.GetProperty("components").GetProperty("self").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Infrastructure_ConfigurationHealthChecksWithoutASide_SideFromTheErrorKindRule()
    {
        static HealthCheckResult Failing(string? errorKind) => HealthCheckResult.Unhealthy(
            "failed",
            data: errorKind is null ? null : new Dictionary<string, object> { ["errorKind"] = errorKind });
        await using var app = await TestApp.StartAsync((f, b) =>
        {
            f.AddPhase("configuration", Ok);
            b.Services.AddHealthChecks()
                .AddCheck("vault", () => Failing("secret-missing"), tags: ["configuration", "optional"])
                .AddCheck("signing-key", () => Failing("secret-invalid"), tags: ["configuration", "optional"])
                .AddCheck("settings", () => Failing(null), tags: ["configuration", "optional"]);
        });
        await app.WaitForStartupAsync();
        await app.WaitForRoundsAsync();

        var (_, body, _, _) = await app.GetAsync("/health/infrastructure");
        var components = body.GetProperty("components");
        Assert.Equal("infrastructure", components.GetProperty("vault").GetProperty("side").GetString());
        Assert.Equal("application", components.GetProperty("signing-key").GetProperty("side").GetString());
        Assert.Equal("application", components.GetProperty("settings").GetProperty("side").GetString());
    }

    [Theory]
    [InlineData(null, "infrastructure")]
    [InlineData(Side.Application, "application")]
    public async Task Infrastructure_SecretDependencyMissing_SideOfTheSharedRuleOrTheTargetsOwner(Side? owner, string side)
    {
        var absent = $"FAULTLINE_TEST_ABSENT_{Guid.NewGuid():N}";
        var secrets = new TargetSpec { Name = "secrets", Kind = TargetKinds.Secret, Source = new SecretSourceSpec(), Required = [absent], Critical = false, Owner = owner };
        await using var app = await TestApp.StartAsync((f, _) => f.AddPhase("configuration", Ok).AddDependency(secrets));
        await app.WaitForStartupAsync();
        await app.WaitForRoundsAsync();

        var (_, body, _, _) = await app.GetAsync("/health/infrastructure");
        var component = body.GetProperty("components").GetProperty("secrets");
        var check = await new CheckRunner(Faultline.Probes.BuiltInProbes.Create(), Faultline.Probes.Net.HostResolvers.For, TimeProvider.System)
            .RunAsync(new FaultlineConfig { Targets = [secrets] });
        Assert.Equal("unhealthy", component.GetProperty("status").GetString());
        Assert.Equal("configuration", component.GetProperty("layer").GetString());
        Assert.Equal("secret-missing", component.GetProperty("errorKind").GetString());
        Assert.Equal(side, component.GetProperty("side").GetString());
        Assert.Equal(side, check.Results[0].Side?.Wire());
    }

    [Fact]
    public async Task AddFaultlineProbe_ClosedPort_HealthCheckReportsTypedUnhealthy()
    {
        var port = TestServers.ClosedPort();
        await using var app = await TestApp.StartAsync((f, b) =>
        {
            f.AddPhase("configuration", Ok);
            b.Services.AddHealthChecks().AddFaultlineProbe(new TargetSpec { Name = "broker", Kind = TargetKinds.Tcp, Host = "127.0.0.1", Port = port, Timeout = TimeSpan.FromSeconds(2) });
        });
        await app.WaitForStartupAsync();

        var report = await app.App.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        var entry = report.Entries["broker"];
        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Equal("connection-refused", entry.Data["errorKind"]);
        Assert.Equal("network", entry.Data["layer"]);
        Assert.Equal("infrastructure", entry.Data["side"]);
        Assert.Contains($"127.0.0.1:{port}", entry.Description, StringComparison.Ordinal);

        await app.WaitForRoundsAsync();
        var (status, body, _, _) = await app.GetAsync("/health/infrastructure");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("connection-refused", body.GetProperty("components").GetProperty("broker").GetProperty("errorKind").GetString());
    }

    /// <summary>Counts every probe run: the dependency work the background evaluation does.</summary>
    private sealed class CountingProbe : IProbe
    {
        public const string KindName = "counting";
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        /// <summary>Report a refused connection instead of success.</summary>
        public bool Fail { get; init; }

        public string Kind => KindName;

        public Task<Observation> ProbeAsync(TargetSpec target, ProbeContext context, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            return Task.FromResult(Fail
                ? new Observation { Target = target.Name, Error = new ProbeError(ErrorKind.ConnectionRefused, $"nothing listening for {target.Name} (connection refused)") }
                : new Observation { Target = target.Name, Connected = true });
        }
    }
}
