using Faultline.Core.Model;
using Faultline.Core.Running;
using Npgsql;

namespace Faultline.Probes.Postgres.Tests;

public sealed class PostgresConnectionStringTests
{
    [Fact]
    public void TryParse_UrlWithEncodedPasswordAndSslmode_FillsNpgsqlSettings()
    {
        var redactor = new SecretRedactor();

        var ok = PostgresConnectionString.TryParse("postgresql://app:p%40ss%2Fw0rd@db.internal:6432/orders?sslmode=verify-full&application_name=api", "db", redactor, out var settings, out _);

        Assert.True(ok);
        Assert.Equal("db.internal", settings.Host);
        Assert.Equal(6432, settings.Port);
        Assert.Equal("orders", settings.Database);
        Assert.Equal("app", settings.Username);
        Assert.Equal("p@ss/w0rd", settings.Builder.Password);
        Assert.Equal(SslMode.VerifyFull, settings.SslMode);
        Assert.Equal("verify-full", settings.SslModeName);
        Assert.Equal("api", settings.Builder.ApplicationName);
        Assert.Equal("db.internal:6432/orders", settings.Display);
        Assert.Equal("x *** y", redactor.Redact("x p@ss/w0rd y"));
        Assert.Equal("x *** y", redactor.Redact("x p%40ss%2Fw0rd y"));
    }

    [Fact]
    public void TryParse_UrlWithoutPortOrDatabase_UsesDefaults()
    {
        var ok = PostgresConnectionString.TryParse("postgres://app@[::1]", "db", new SecretRedactor(), out var settings, out _);

        Assert.True(ok);
        Assert.Equal("::1", settings.Host);
        Assert.Equal(5432, settings.Port);
        Assert.Equal("app", settings.Database);
        Assert.Equal(SslMode.Prefer, settings.SslMode);
        Assert.Equal("[::1]:5432/app", settings.Display);
    }

    [Fact]
    public void TryParse_KeyValue_ReadsRootCertificateAsCaFile()
    {
        var redactor = new SecretRedactor();

        var ok = PostgresConnectionString.TryParse("Host=10.0.0.5;Port=5433;Username=app;Password=hunter2hunter2;Database=app;SSL Mode=Require;Root Certificate=/etc/ca.pem", "db", redactor, out var settings, out _);

        Assert.True(ok);
        Assert.Equal("10.0.0.5", settings.Host);
        Assert.Equal(5433, settings.Port);
        Assert.Equal(SslMode.Require, settings.SslMode);
        Assert.Equal("/etc/ca.pem", settings.RootCertificateFile);
        Assert.Null(settings.Builder.RootCertificate);
        Assert.Equal(SecretRedactor.Mask, redactor.Redact("hunter2hunter2"));
    }

    [Theory]
    [InlineData("", "it is empty")]
    [InlineData("postgres://app:pw@host/db?sslmode=maybe", "sslmode 'maybe'")]
    [InlineData("postgres://app:pw@host/db?fancy=1", "unknown URL parameter 'fancy'")]
    [InlineData("Host=a,b;Username=app", "several servers")]
    [InlineData("Host=/var/run/postgresql;Username=app", "unix socket")]
    [InlineData("Username=app;Password=pw", "Host is missing")]
    [InlineData("just some text", "expected Host=")]
    public void TryParse_Malformed_ExplainsWhy(string text, string reason)
    {
        var ok = PostgresConnectionString.TryParse(text, "db", new SecretRedactor(), out _, out var error);

        Assert.False(ok);
        Assert.Equal(ErrorKind.ConfigInvalid, error.Kind);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(29, 40, 3, null)]
    [InlineData(30, 40, 3, "30 of 37 usable connections in use (81%; max_connections 40, 3 reserved)")]
    [InlineData(34, 40, 3, "34 of 37 usable connections in use (92%; max_connections 40, 3 reserved)")]
    [InlineData(5, 3, 3, null)]
    public void HeadroomWarning_AtOrAboveEightyPercent_Warns(int inUse, int max, int reserved, string? expected)
    {
        Assert.Equal(expected, PostgresRun.HeadroomWarning(inUse, max, reserved));
    }
}
