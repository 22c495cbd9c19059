using Faultline.Core.Model;
using Microsoft.Extensions.Configuration;

namespace GoldenPath.Tests;

/// <summary><c>Cache:Timeout</c> was replaced by the redis dependency's request timeout (<c>Faultline:Requests:redis:Timeout</c>).</summary>
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
    public void Load_CacheTimeoutUnset_Loads()
    {
        var settings = new SampleSettings();

        settings.Load(Configuration(null));

        Assert.Null(settings.RedisConnectionString);
    }

    [Theory]
    [InlineData("250ms")]
    [InlineData("nonsense")]
    public void Load_CacheTimeoutSet_ConfigInvalidNamingTheKeyThatReplacedIt(string text)
    {
        var settings = new SampleSettings();

        var error = Assert.Throws<ProbeException>(() => settings.Load(Configuration(text)));

        Assert.Equal(ErrorKind.ConfigInvalid, error.Error.Kind);
        Assert.Contains(SampleSettings.CacheTimeoutKey, error.Error.Message, StringComparison.Ordinal);
        Assert.Contains("Faultline:Requests:redis:Timeout", error.Error.Message, StringComparison.Ordinal);
    }
}
