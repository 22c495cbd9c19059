using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Reporting;
using Faultline.Core.Running;
using Faultline.Probes;
using Faultline.Probes.Net;
using Faultline.TestSupport;
using Microsoft.Extensions.Configuration;
using Xunit.Abstractions;

namespace GoldenPath.Tests;

/// <summary>
/// "Concurrent startup exhausts the database", for real: a <c>startup</c> target starts GoldenPath five
/// times at once against a PostgreSQL of the test's own with <c>max_connections = 8</c> (5 slots for the
/// service's role), each instance warming 2 pooled connections in its database phase. At most two
/// instances fit; the others find no slot, exit with code 3 and say so in their termination message.
/// Each test starts its own server, sized for what it shows.
/// </summary>
[Trait(TestTiers.Name, TestTiers.Services)]
[Collection(LocalServices.Collection)]
public sealed class StartupLoadTests(LocalServices services, ITestOutputHelper output)
{
    private const int Instances = 5;
    private const int WarmUp = 2;

    private readonly string _jwtSecret = TestStack.NewJwtSecret();
    private readonly string _apiKey = TestStack.NewApiKey();
    private TargetSpec Startup(ScratchPostgres server, int warmUp) => new()
    {
        Name = "api-startup",
        Kind = TargetKinds.Startup,
        Category = "startup",
        Run = $"exec dotnet \"{GoldenPathProcess.AssemblyPath()}\"",
        WorkingDir = Path.GetDirectoryName(GoldenPathProcess.AssemblyPath()),
        Env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:{port}",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Logging__Console__FormatterName"] = "simple",
            ["ConnectionStrings__Postgres"] = $"Host=127.0.0.1;Port={server.Port.ToString(CultureInfo.InvariantCulture)};Username=faultline;Password={server.Password};Database=faultline;SSL Mode=Disable",
            ["ConnectionStrings__Redis"] = services.RedisUrl,
            ["Jwt__Secret"] = _jwtSecret,
            ["Faultline__ApiKey"] = _apiKey,
            ["Faultline__Profile"] = "Lab",
            ["Faultline__Health__Interval"] = "00:00:01",
            ["Database__WarmUpConnections"] = warmUp.ToString(CultureInfo.InvariantCulture),

            // Five .NET processes starting on a small machine: give the database phase time, so what fails it is the slots, not the CPU
            // (its attempt, and opening a pooled connection, which the Lab profile bounds at 2 s).
            ["Faultline__Startup__Phases__database__AttemptTimeout"] = "00:00:15",
            ["Faultline__Pools__postgres__ConnectionTimeout"] = "00:00:15",
        },
        ReadyUrl = "http://127.0.0.1:{port}/health/ready",
        Instances = Instances,
        Deadline = TimeSpan.FromSeconds(90),
    };

    private async Task<TargetResult> RunAsync(ScratchPostgres server, TargetSpec target)
    {
        var runner = new CheckRunner(BuiltInProbes.Create(), HostResolvers.For, TimeProvider.System);
        var report = await runner.RunAsync(new FaultlineConfig { Targets = [target] });

        using var table = new StringWriter();
        ReportWriters.Create("table").Write(report, table);
        output.WriteLine(table.ToString());
        using var json = new StringWriter();
        ReportWriters.Create("json").Write(report, json);
        foreach (var secret in new[] { server.Password, _jwtSecret, _apiKey, services.RedisPassword })
        {
            Assert.DoesNotContain(secret, table.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain(secret, json.ToString(), StringComparison.Ordinal);
        }

        var result = Assert.Single(report.Results);
        foreach (var instance in result.Observation!.Load!.Instances)
        {
            Assert.False(await ListensAsync(instance.Port), $"instance {instance.Instance} still listens on {instance.Port} after the check");
        }

        return result;
    }

    [Fact]
    public async Task RunAsync_FiveInstancesWarmingTwoConnectionsEach_ReportsRateP95AndTheDatabaseCapacityLayer()
    {
        await using var server = await ScratchPostgres.StartAsync(maxConnections: 8);

        var result = await RunAsync(server, Startup(server, WarmUp));

        var load = result.Observation!.Load!;
        Assert.Equal(ResultStatus.Fail, result.Status);
        Assert.Equal(Instances, load.Attempts);
        Assert.InRange(load.Successes, 1, server.AppSlots / WarmUp);
        Assert.InRange(load.SuccessRate, 0.2, 0.4);
        Assert.NotNull(load.P95Ms);
        Assert.Equal(Layer.Database, result.Layer);
        Assert.Equal(Side.Infrastructure, result.Side);
        var group = load.FailureGroups[0];
        Assert.Equal((Layer.Database, Side.Infrastructure, "database-too-many-connections"), (group.Layer, group.Side, group.ErrorKind));
        Assert.All(load.FailureGroups, g => Assert.Equal(Layer.Database, g.Layer));
        foreach (var failed in load.Instances.Where(i => !i.Ready))
        {
            Assert.Equal(3, failed.ExitCode);
            Assert.Equal("database", failed.Termination?.Phase);
            Assert.Equal(Layer.Database, failed.Termination?.Layer);
        }

        Assert.All(load.Instances.Where(i => i.Ready), i => Assert.Null(i.ExitCode));
        Assert.Contains(result.Evidence, line => line.StartsWith($"{group.Count} of {Instances} instances failed: database-too-many-connections (database, infrastructure)", StringComparison.Ordinal));
        Assert.Contains("raise max_connections", result.Remedy, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_FiveInstancesWithoutWarmUp_AllReadyAndP95Reported()
    {
        await using var server = await ScratchPostgres.StartAsync(maxConnections: 40);
        var target = Startup(server, warmUp: 0) with { Conditions = ["[SUCCESS_RATE] == 1", "[P95] < 90s", "[FAILURES] == 0"] };

        var result = await RunAsync(server, target);

        Assert.Equal(ResultStatus.Pass, result.Status);
        Assert.All(result.Conditions, c => Assert.True(c.Ok, $"{c.Expr}: {c.Actual}"));
        Assert.All(result.Observation!.Load!.Instances, i => Assert.True(i.Ready && i.ReadyMs > 0));
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("many")]
    [InlineData("101")]
    public void Load_WarmUpConnectionsNotAWholeNumberUpTo100_IsAConfigurationError(string value)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [SampleSettings.JwtSecretKey] = _jwtSecret,
            [SampleSettings.PostgresKey] = "Host=127.0.0.1;Username=u;Password=p;Database=d",
            [SampleSettings.ApiKeyKey] = _apiKey,
            [SampleSettings.WarmUpConnectionsKey] = value,
        }).Build();

        var error = Assert.Throws<ProbeException>(() => new SampleSettings().Load(configuration));

        Assert.Equal(ErrorKind.ConfigInvalid, error.Error.Kind);
        Assert.Contains(SampleSettings.WarmUpConnectionsKey, error.Error.Message, StringComparison.Ordinal);
    }

    private static async Task<bool> ListensAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            return false;
        }
    }
}
