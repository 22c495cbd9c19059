using Faultline.Core.Model;
using Faultline.Core.Running;

namespace Faultline.Probes.Redis.Tests;

public sealed class RedisConnectionStringTests
{
    [Fact]
    public void TryParse_RedissUrlWithUserAndDatabase_EnablesTls()
    {
        var redactor = new SecretRedactor();

        var ok = RedisConnectionString.TryParse("rediss://app:s%3Acret-pw@cache.internal:6380/3", "cache", redactor, out var settings, out _);

        Assert.True(ok);
        Assert.True(settings.Ssl);
        Assert.Equal("cache.internal", settings.Host);
        Assert.Equal(6380, settings.Port);
        Assert.Equal(3, settings.Database);
        Assert.Equal("app", settings.Options.User);
        Assert.Equal("s:cret-pw", settings.Options.Password);
        Assert.Equal("cache.internal:6380/3", settings.Display);
        Assert.Equal(SecretRedactor.Mask, redactor.Redact("s:cret-pw"));
    }

    [Fact]
    public void TryParse_UrlWithPasswordOnly_DefaultsPortAndDatabase()
    {
        var ok = RedisConnectionString.TryParse("redis://:pw-1234@127.0.0.1", "cache", new SecretRedactor(), out var settings, out _);

        Assert.True(ok);
        Assert.False(settings.Ssl);
        Assert.Equal(6379, settings.Port);
        Assert.Equal(0, settings.Database);
        Assert.Null(settings.Options.User);
        Assert.Equal("pw-1234", settings.Options.Password);
    }

    [Fact]
    public void TryParse_StackExchangeForm_ReadsEndpointPasswordAndSsl()
    {
        var redactor = new SecretRedactor();

        var ok = RedisConnectionString.TryParse("cache.internal:6390,password=pw-5678,ssl=true,defaultDatabase=2", "cache", redactor, out var settings, out _);

        Assert.True(ok);
        Assert.True(settings.Ssl);
        Assert.Equal("cache.internal", settings.Host);
        Assert.Equal(6390, settings.Port);
        Assert.Equal(2, settings.Database);
        Assert.Equal(SecretRedactor.Mask, redactor.Redact("pw-5678"));
    }

    [Theory]
    [InlineData("", "it is empty")]
    [InlineData("redis://:pw@host/zero", "database number")]
    [InlineData("redis://:pw@host/0?timeout=1", "URL parameters")]
    [InlineData("a:1,b:2", "2 endpoints")]
    [InlineData("password=pw", "no host")]
    public void TryParse_Malformed_ExplainsWhy(string text, string reason)
    {
        var ok = RedisConnectionString.TryParse(text, "cache", new SecretRedactor(), out _, out var error);

        Assert.False(ok);
        Assert.Equal(ErrorKind.ConfigInvalid, error.Kind);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HeadroomWarnings_ClientsAndMemoryNearTheirLimits_WarnForEach()
    {
        var warnings = RedisRun.HeadroomWarnings(new CacheObservation
        {
            ConnectedClients = 8,
            MaxClients = 10,
            UsedMemoryBytes = 1_900_000,
            MaxMemoryBytes = 2 * 1024 * 1024,
        }).ToList();

        Assert.Equal(["8 of 10 client connections in use (80%)", "memory 1.8 MiB of maxmemory 2 MiB in use (91%)"], warnings);
    }

    [Fact]
    public void HeadroomWarnings_NoMaxmemory_NoMemoryWarning()
    {
        var warnings = RedisRun.HeadroomWarnings(new CacheObservation { ConnectedClients = 1, MaxClients = 10_000, UsedMemoryBytes = 900_000, MaxMemoryBytes = 0 });

        Assert.Empty(warnings);
    }

    [Theory]
    [InlineData("SimpleError: WRONGPASS invalid username-password pair", "WRONGPASS")]
    [InlineData("OOM command not allowed when used memory > 'maxmemory'.", "OOM")]
    [InlineData("READONLY You can't write against a read only replica.", "READONLY")]
    [InlineData("something odd", "ERR")]
    public void ErrorPrefix_ServerText_IsTheLeadingWord(string message, string expected)
    {
        Assert.Equal(expected, RedisRun.ErrorPrefix(RedisRun.ServerText(message)));
    }
}
