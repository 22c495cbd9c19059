using Faultline.Core.Model;
using Microsoft.Extensions.Configuration;

namespace GoldenPath.Tests;

/// <summary><c>Cache:Timeout</c>: the bound a chat waits for the cache write.</summary>
public sealed class SampleSettingsTests
{
    private static IConfiguration Configuration(string? cacheTimeout)
    {
        var values = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            [SampleSettings.JwtSecretKey] = TestStack.NewJwtSecret(),
            [SampleSettings.PostgresKey] = "Host=127.0.0.1;Port=5432;Username=u;Password=p;Database=d",
            [SampleSettings.ApiKeyKey] = TestStack.NewApiKey(),
            [SampleSettings.CacheTimeoutKey] = cacheTimeout,
        };
        return new ConfigurationBuilder().AddInMemoryCollection(values).Build();
    }

    [Fact]
    public void Load_CacheTimeoutUnset_Defaults500Milliseconds()
    {
        var settings = new SampleSettings();

        settings.Load(Configuration(null));

        Assert.Equal(TimeSpan.FromMilliseconds(500), settings.CacheTimeout);
    }

    [Theory]
    [InlineData("250ms", 250)]
    [InlineData("1.5s", 1500)]
    public void Load_CacheTimeoutSet_UsesIt(string text, int milliseconds)
    {
        var settings = new SampleSettings();

        settings.Load(Configuration(text));

        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), settings.CacheTimeout);
    }

    [Theory]
    [InlineData("500")]
    [InlineData("0ms")]
    [InlineData("1m")]
    public void Load_CacheTimeoutInvalid_ConfigInvalidNamingTheKey(string text)
    {
        var settings = new SampleSettings();

        var error = Assert.Throws<ProbeException>(() => settings.Load(Configuration(text)));

        Assert.Equal(ErrorKind.ConfigInvalid, error.Error.Kind);
        Assert.Contains(SampleSettings.CacheTimeoutKey, error.Error.Message, StringComparison.Ordinal);
    }
}
