using System.Globalization;
using Faultline.Core.Model;
using Faultline.TestSupport;
using static Faultline.Cli.Tests.EndToEnd.EndToEndRun;

namespace Faultline.Cli.Tests.EndToEnd;

/// <summary>Transport faults produced for real on loopback: a closed port, a port whose SYNs are dropped, a reset.</summary>
public sealed class NetworkFaultTests
{
    [Fact]
    public async Task Check_ClosedPort_NetworkInfrastructureNothingListening()
    {
        var port = TestServers.ClosedPort();

        var result = await RunOneAsync($$"""
            defaults: { timeout: 5s }
            targets:
              - { name: api-port, kind: tcp, host: 127.0.0.1, port: {{port}} }
            """);

        AssertFailure(result, Layer.Network, Side.Infrastructure, ErrorKind.ConnectionRefused);
        AssertEvidence(result, "nothing listening", string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{port}"));
    }

    [Fact]
    public async Task Check_PortDroppingSyns_NetworkConnectTimeoutAtItsDeadline()
    {
        await using var server = await TestServers.SynDropAsync();

        var result = await RunOneAsync($$"""
            defaults: { timeout: 5s }
            targets:
              - { name: filtered, kind: tcp, host: 127.0.0.1, port: {{server.Port}}, timeout: 2s }
            """);

        AssertFailure(result, Layer.Network, Side.Infrastructure, ErrorKind.ConnectTimeout);
        AssertEvidence(result, "filtered or blackholed", server.Address);
        AssertDuration(result, 1800, 4000);
    }

    [Fact]
    public async Task Check_ServerResetsTheConnection_NetworkConnectionReset()
    {
        await using var server = TestServers.Reset();

        var result = await RunOneAsync($$"""
            defaults: { timeout: 5s }
            targets:
              - { name: api, kind: http, url: "http://{{server.Address}}/health" }
            """);

        AssertFailure(result, Layer.Network, Side.Infrastructure, ErrorKind.ConnectionReset);
        AssertEvidence(result, server.Address, "reset");
    }

    [Fact]
    public async Task Check_RedisOnClosedPort_CacheInfrastructureNothingListening()
    {
        var port = TestServers.ClosedPort();

        var result = await RunOneAsync($$"""
            defaults: { timeout: 5s }
            targets:
              - { name: cache, kind: redis, connectionString: "redis://127.0.0.1:{{port}}/0" }
            """);

        AssertFailure(result, Layer.Cache, Side.Infrastructure, ErrorKind.ConnectionRefused);
        AssertEvidence(result, "nothing listening", string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{port}"));
    }

    [Fact]
    public async Task Check_PostgresBehindDroppedSyns_DatabaseConnectTimeout()
    {
        await using var server = await TestServers.SynDropAsync();

        var result = await RunOneAsync($$"""
            defaults: { timeout: 5s }
            targets:
              - { name: db, kind: postgres, connectionString: "postgres://faultline:not-used@127.0.0.1:{{server.Port}}/faultline", timeout: 2s }
            """);

        AssertFailure(result, Layer.Database, Side.Infrastructure, ErrorKind.ConnectTimeout);
        AssertEvidence(result, "blackholed path to the database", server.Address);
        AssertDuration(result, 1800, 4000);
    }
}
