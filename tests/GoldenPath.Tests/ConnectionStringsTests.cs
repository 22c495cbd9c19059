using Npgsql;

namespace GoldenPath.Tests;

public sealed class ConnectionStringsTests
{
    [Fact]
    public void TryParsePostgres_Url_ConvertsToKeyValue()
    {
        Assert.True(ConnectionStrings.TryParsePostgres("postgres://app:p%40ss%3Bword@db.internal:6543/chat?sslmode=require", out var builder, out _));

        Assert.Equal("db.internal", builder.Host);
        Assert.Equal(6543, builder.Port);
        Assert.Equal("app", builder.Username);
        Assert.Equal("p@ss;word", builder.Password);
        Assert.Equal("chat", builder.Database);
        Assert.Equal(SslMode.Require, builder.SslMode);

        // The key=value form survives a round trip through Npgsql, special characters included.
        Assert.Equal("p@ss;word", new NpgsqlConnectionStringBuilder(builder.ConnectionString).Password);
    }

    [Fact]
    public void TryParsePostgres_UrlWithoutPort_UsesDefault()
    {
        Assert.True(ConnectionStrings.TryParsePostgres("postgresql://app@db/chat", out var builder, out _));
        Assert.Equal(5432, builder.Port);
    }

    [Fact]
    public void TryParsePostgres_KeyValue_Accepted()
    {
        Assert.True(ConnectionStrings.TryParsePostgres("Host=127.0.0.1;Port=5432;Username=app;Password=secret-value;Database=chat", out var builder, out _));
        Assert.Equal("chat", builder.Database);
    }

    [Theory]
    [InlineData("Host=/cloudsql/proj:europe-west1:main;Username=app;Password=secret-value;Database=chat")]
    [InlineData("postgres://app:secret-value@/chat?host=/cloudsql/proj:europe-west1:main")]
    [InlineData("postgresql://app:secret-value@%2Fcloudsql%2Fproj%3Aeurope-west1%3Amain/chat")]
    public void TryParsePostgres_CloudSqlUnixSocket_TheDirectoryIsNpgsqlsHost(string text)
    {
        Assert.True(ConnectionStrings.TryParsePostgres(text, out var builder, out var reason), reason);

        Assert.Equal("/cloudsql/proj:europe-west1:main", builder.Host);
        Assert.Equal(5432, builder.Port);
        Assert.Equal("chat", builder.Database);
        Assert.Equal("secret-value", builder.Password);
        Assert.Equal("/cloudsql/proj:europe-west1:main", new NpgsqlConnectionStringBuilder(builder.ConnectionString).Host);
    }

    [Theory]
    [InlineData("not a connection string", "expected")]
    [InlineData("Host=;Username=app;Password=secret-value", "Host is missing")]
    [InlineData("Hots=db;Password=secret-value", "keyword")]
    [InlineData("postgres://app:secret-value@db/chat?bogus=1", "unknown URL parameter")]
    [InlineData("postgres://app:secret-value@db/a/b", "one database")]
    [InlineData("Host=/cloudsql/p:r:i;Username=app;Password=secret-value;SSL Mode=Require", "does not encrypt socket connections")]
    [InlineData("postgres://app:secret-value@/chat", "names no host")]
    public void TryParsePostgres_Invalid_ReasonWithoutTheValue(string text, string reason)
    {
        Assert.False(ConnectionStrings.TryParsePostgres(text, out _, out var actual));
        Assert.Contains(reason, actual, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-value", actual, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParseRedis_Url_ReadsHostPortPasswordDatabase()
    {
        Assert.True(ConnectionStrings.TryParseRedis("redis://:s%40cret@cache.internal:6380/2", out var options, out _));

        var endpoint = Assert.IsType<System.Net.DnsEndPoint>(Assert.Single(options.EndPoints));
        Assert.Equal("cache.internal", endpoint.Host);
        Assert.Equal(6380, endpoint.Port);
        Assert.Equal("s@cret", options.Password);
        Assert.Equal(2, options.DefaultDatabase);
        Assert.False(options.Ssl);
    }

    [Fact]
    public void TryParseRedis_TlsUrl_EnablesSsl()
    {
        Assert.True(ConnectionStrings.TryParseRedis("rediss://user:pw@cache.internal", out var options, out _));
        Assert.True(options.Ssl);
        Assert.Equal("user", options.User);
        Assert.Equal(6379, ((System.Net.DnsEndPoint)options.EndPoints[0]).Port);
    }

    [Fact]
    public void TryParseRedis_OptionsString_Accepted()
    {
        Assert.True(ConnectionStrings.TryParseRedis("127.0.0.1:6379,password=secret-value,abortConnect=false", out var options, out _));
        Assert.Equal("secret-value", options.Password);
    }

    [Theory]
    [InlineData("redis://:secret-value@cache/notanumber")]
    [InlineData("password=secret-value")]
    public void TryParseRedis_Invalid_ReasonWithoutTheValue(string text)
    {
        Assert.False(ConnectionStrings.TryParseRedis(text, out _, out var reason));
        Assert.DoesNotContain("secret-value", reason, StringComparison.Ordinal);
    }
}
