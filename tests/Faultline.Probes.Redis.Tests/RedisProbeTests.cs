using System.Text.Json;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Running;
using Faultline.Probes.Net;
using Faultline.TestSupport;
using StackExchange.Redis;

namespace Faultline.Probes.Redis.Tests;

/// <summary>The redis probe against the real Redis of scripts/services.sh; every fault is produced for real.</summary>
[Trait(TestTiers.Name, TestTiers.Services)]
[Collection(LocalServices.Collection)]
public sealed class RedisProbeTests(LocalServices services)
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task ProbeAsync_HealthyUrl_ReportsPingClientsAndMemory()
    {
        var observation = await RunAsync(services.RedisUrl);

        Assert.Null(observation.Error);
        Assert.True(observation.Connected);
        Assert.Equal($"127.0.0.1:{services.RedisPort}/0", observation.Target);
        var cache = Assert.IsType<CacheObservation>(observation.Cache);
        Assert.StartsWith("7.", cache.ServerVersion, StringComparison.Ordinal);
        Assert.Equal("master", cache.Role);
        Assert.NotNull(cache.PingMs);
        Assert.InRange(cache.ConnectedClients ?? 0, 1, 10_000);
        Assert.True(cache.MaxClients > 0);
        Assert.True(cache.UsedMemoryBytes > 0);
        Assert.Equal(0, cache.MaxMemoryBytes);
        Assert.Null(cache.WriteOk);
        Assert.NotNull(observation.Phases.DnsMs);
        Assert.NotNull(observation.Phases.ConnectMs);
        Assert.NotNull(observation.Phases.FirstByteMs);
        Assert.NotNull(observation.Phases.TransferMs);
        Assert.Null(observation.Tls);
        Assert.Empty(observation.Warnings);
    }

    [Fact]
    public async Task ProbeAsync_KeyValueFormWithWrite_SetsAKeyWithExpiry()
    {
        var observation = await RunAsync($"127.0.0.1:{services.RedisPort},password={services.RedisPassword},defaultDatabase=1", write: true);

        Assert.Null(observation.Error);
        Assert.Equal($"127.0.0.1:{services.RedisPort}/1", observation.Target);
        Assert.True(observation.Cache!.WriteOk);

        await using var admin = await AdminAsync();
        var keys = admin.GetServer(admin.GetEndPoints()[0]).Keys(database: 1, pattern: "faultline:probe:*").ToList();
        Assert.NotEmpty(keys);
        var ttl = await admin.GetDatabase(1).KeyTimeToLiveAsync(keys[0]);
        Assert.InRange(ttl ?? TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task ProbeAsync_RedissWithTheLocalCa_ValidatesTheCertificate()
    {
        var observation = await RunAsync(services.RedisTlsUrl, write: true, tls: new TlsSpec { CaFile = services.CaFile });

        Assert.Null(observation.Error);
        Assert.Equal($"localhost:{services.RedisTlsPort}/0", observation.Target);
        var tls = Assert.IsType<TlsObservation>(observation.Tls);
        Assert.True(tls.Trusted);
        Assert.True(tls.HostnameMatches);
        Assert.Equal("localhost", tls.ServerName);
        Assert.Equal("CN=localhost", tls.Leaf!.Subject);
        Assert.NotNull(observation.Phases.TlsMs);
        Assert.True(observation.Cache!.WriteOk);
    }

    [Fact]
    public async Task ProbeAsync_RedissWithoutTheCa_FailsAsTlsUntrusted()
    {
        var observation = await RunAsync(services.RedisTlsUrl);

        var error = AssertError(observation, ErrorKind.TlsUntrusted, "tls");
        Assert.Contains("Faultline local CA", error.Message, StringComparison.Ordinal);
        Assert.True(observation.Connected);
        Assert.False(observation.Tls!.Trusted);
    }

    [Fact]
    public async Task ProbeAsync_RedissForANameTheCertificateDoesNotCover_FailsAsTlsNameMismatch()
    {
        var observation = await RunAsync(services.RedisTlsUrl, tls: new TlsSpec { CaFile = services.CaFile, ServerName = "cache.staging.example" });

        var error = AssertError(observation, ErrorKind.TlsNameMismatch, "tls");
        Assert.Contains("cache.staging.example", error.Message, StringComparison.Ordinal);
        Assert.True(observation.Tls!.Trusted);
        Assert.False(observation.Tls.HostnameMatches);
    }

    [Fact]
    public async Task ProbeAsync_ClosedPort_FailsAsConnectionRefused()
    {
        var port = TestServers.ClosedPort();

        var observation = await RunAsync($"redis://:{services.RedisPassword}@127.0.0.1:{port}/0");

        var error = AssertError(observation, ErrorKind.ConnectionRefused, "connect");
        Assert.Contains($"127.0.0.1:{port}", error.Message, StringComparison.Ordinal);
        Assert.False(observation.Connected);
        Assert.Null(observation.Cache);
    }

    [Fact]
    public async Task ProbeAsync_WrongPassword_FailsAsCacheAuthFailedWithoutEchoingIt()
    {
        const string WrongPassword = "not-the-password-4711";

        var observation = await RunAsync($"redis://:{WrongPassword}@127.0.0.1:{services.RedisPort}/0");

        var error = AssertError(observation, ErrorKind.CacheAuthFailed, "auth");
        Assert.Equal("WRONGPASS", error.Code);
        Assert.Contains("invalid username-password pair", error.Message, StringComparison.Ordinal);
        Assert.True(observation.Connected);
        Assert.DoesNotContain(WrongPassword, Json(observation), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProbeAsync_NoPasswordForAProtectedServer_FailsAsCacheAuthFailed()
    {
        var observation = await RunAsync($"redis://127.0.0.1:{services.RedisPort}/0");

        var error = AssertError(observation, ErrorKind.CacheAuthFailed, "auth");
        Assert.Equal("NOAUTH", error.Code);
    }

    [Fact]
    public async Task ProbeAsync_WriteWhenMaxmemoryIsExhausted_FailsAsCacheOutOfMemory()
    {
        await using var admin = await AdminAsync();
        var server = admin.GetServer(admin.GetEndPoints()[0]);
        var policy = (await server.ConfigGetAsync("maxmemory-policy")).Single().Value;
        try
        {
            await server.ConfigSetAsync("maxmemory-policy", "noeviction");
            await server.ConfigSetAsync("maxmemory", "1");

            var observation = await RunAsync(services.RedisUrl, write: true);

            var error = AssertError(observation, ErrorKind.CacheOutOfMemory, "write");
            Assert.Equal("OOM", error.Code);
            Assert.False(observation.Cache!.WriteOk);
            Assert.Equal(1, observation.Cache.MaxMemoryBytes);
            Assert.NotNull(observation.Cache.PingMs);
            Assert.Contains(observation.Warnings, w => w.Contains("of maxmemory", StringComparison.Ordinal));
        }
        finally
        {
            await server.ConfigSetAsync("maxmemory", "0");
            await server.ConfigSetAsync("maxmemory-policy", policy);
        }

        var after = await RunAsync(services.RedisUrl, write: true);
        Assert.Null(after.Error);
    }

    [Fact]
    public async Task ProbeAsync_HungServer_FailsAsReadTimeoutAtTheDeadline()
    {
        await using var hung = TestServers.Hung();
        var timeout = TimeSpan.FromSeconds(2);

        var started = TimeProvider.System.GetTimestamp();
        var observation = await RunAsync($"redis://:x1y2z3w4@127.0.0.1:{hung.Port}/0", timeout: timeout);
        var elapsed = TimeProvider.System.GetElapsedTime(started);

        var error = AssertError(observation, ErrorKind.ReadTimeout, "auth");
        Assert.Contains($"127.0.0.1:{hung.Port}", error.Message, StringComparison.Ordinal);
        Assert.True(observation.Connected);
        Assert.InRange(elapsed, timeout * 0.9, timeout * 2);
    }

    [Theory]
    [InlineData("redis://:s3cret-Value-99@127.0.0.1:notaport/0")]
    [InlineData("redis://:s3cret-Value-99@127.0.0.1/zero")]
    [InlineData("127.0.0.1:6379,password=s3cret-Value-99,bogusKey=1")]
    [InlineData("a:1,b:2,password=s3cret-Value-99")]
    public async Task ProbeAsync_MalformedConnectionString_FailsAsConfigInvalidWithoutThePassword(string connectionString)
    {
        var observation = await RunAsync(connectionString);

        var error = AssertError(observation, ErrorKind.ConfigInvalid, "config");
        Assert.StartsWith("connection string for 'cache' is not a valid redis URL or key=value string: ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-Value-99", Json(observation), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProbeAsync_AnyOutcome_NeverContainsThePasswordAndRegistersIt()
    {
        var context = Context(Generous);
        var outcomes = new List<Observation>
        {
            await RunAsync(services.RedisUrl, write: true, context: context),
            await RunAsync($"127.0.0.1:{services.RedisPort},password={services.RedisPassword}", context: context),
            await RunAsync($"redis://faultline:{services.RedisPassword}@127.0.0.1:{services.RedisPort}/0", context: context),
        };

        foreach (var observation in outcomes)
        {
            Assert.DoesNotContain(services.RedisPassword, Json(observation), StringComparison.Ordinal);
        }

        // A user that does not exist with the right password: WRONGPASS, and still no password in the message.
        Assert.Equal(ErrorKind.CacheAuthFailed, outcomes[2].Error!.Kind);
        Assert.Contains("user 'faultline'", outcomes[2].Error!.Message, StringComparison.Ordinal);
        Assert.Equal(SecretRedactor.Mask, context.Redactor.Redact(services.RedisPassword));
    }

    private async Task<ConnectionMultiplexer> AdminAsync()
    {
        var options = new ConfigurationOptions { Password = services.RedisPassword, AllowAdmin = true, AbortOnConnectFail = true };
        options.EndPoints.Add("127.0.0.1", services.RedisPort);
        return await ConnectionMultiplexer.ConnectAsync(options);
    }

    private static ProbeContext Context(TimeSpan timeout) => new()
    {
        Time = TimeProvider.System,
        Timeout = timeout,
        Resolver = HostResolvers.System,
        Redactor = new SecretRedactor(),
    };

    private static async Task<Observation> RunAsync(string connectionString, bool write = false, TimeSpan? timeout = null, ProbeContext? context = null, TlsSpec? tls = null)
    {
        context ??= Context(timeout ?? Generous);
        var target = new TargetSpec
        {
            Name = "cache",
            Kind = TargetKinds.Redis,
            ConnectionString = connectionString,
            Write = write,
            Tls = tls,
        };
        using var deadline = new CancellationTokenSource(context.Timeout);
        return await RedisProbes.Create().ProbeAsync(target, context, deadline.Token);
    }

    private static ProbeError AssertError(Observation observation, ErrorKind kind, string phase)
    {
        Assert.True(observation.Error is not null, $"expected {kind.Wire()} but the probe reported no error");
        Assert.True(kind == observation.Error.Kind, $"expected {kind.Wire()} but got {observation.Error.Kind.Wire()} ({observation.Error.Code}, phase {observation.Error.Phase}): {observation.Error.Message}");
        Assert.Equal(phase, observation.Error.Phase);
        return observation.Error;
    }

    private static string Json(Observation observation) => JsonSerializer.Serialize(observation);
}
