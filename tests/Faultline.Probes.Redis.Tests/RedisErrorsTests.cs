using System.Net;
using System.Net.Sockets;
using Faultline.Core.Model;
using Faultline.TestSupport;
using StackExchange.Redis;

namespace Faultline.Probes.Redis.Tests;

/// <summary><see cref="RedisErrors"/> on exceptions StackExchange.Redis really throws, against the real Redis of scripts/services.sh.</summary>
[Trait(TestTiers.Name, TestTiers.Services)]
[Collection(LocalServices.Collection)]
public sealed class RedisErrorsTests(LocalServices services)
{
    [Fact]
    public async Task Describe_WrongPassword_CacheAuthFailedWithoutThePassword()
    {
        var options = ConfigurationOptions.Parse($"127.0.0.1:{services.RedisPort}");
        options.Password = "not-the-password-9c1e";
        options.AbortOnConnectFail = true;
        options.ConnectTimeout = 5000;

        var exception = await Assert.ThrowsAnyAsync<RedisException>(() => ConnectionMultiplexer.ConnectAsync(options));
        var error = RedisErrors.Describe(exception, $"127.0.0.1:{services.RedisPort}", phase: "auth");

        Assert.NotNull(error);
        Assert.Equal(ErrorKind.CacheAuthFailed, error.Kind);
        Assert.DoesNotContain("not-the-password-9c1e", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Describe_ClosedPort_TypedConnectFailure()
    {
        int port;
        using (var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        }

        var options = ConfigurationOptions.Parse($"127.0.0.1:{port}");
        options.AbortOnConnectFail = true;
        options.ConnectTimeout = 3000;
        options.ConnectRetry = 0;

        var exception = await Assert.ThrowsAnyAsync<RedisException>(() => ConnectionMultiplexer.ConnectAsync(options));
        var error = RedisErrors.Describe(exception, $"127.0.0.1:{port}", phase: "auth");

        Assert.NotNull(error);
        Assert.Contains(error.Kind, new[] { ErrorKind.ConnectionRefused, ErrorKind.CacheError });
        Assert.Equal("connect", error.Phase);
    }

    [Fact]
    public void Describe_UnrelatedException_Null() =>
        Assert.Null(RedisErrors.Describe(new InvalidOperationException("not a cache failure"), "cache"));
}
