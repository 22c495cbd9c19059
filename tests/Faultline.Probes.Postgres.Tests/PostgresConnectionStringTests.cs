using Faultline.Core.Model;
using Faultline.Core.Running;
using Faultline.Postgres;
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
    [InlineData("Host=@pg-abstract;Username=app", "abstract unix socket")]
    [InlineData("Host=/cloudsql/p:r:i;Username=app;SSL Mode=Require", "sslmode require cannot be met over the unix socket in /cloudsql/p:r:i")]
    [InlineData("postgres://app:pw@/db?host=/cloudsql/p:r:i&sslmode=verify-full", "sslmode verify-full cannot be met over the unix socket")]
    [InlineData("postgres://app:pw@/db", "the URL names no host")]
    [InlineData("postgresql:///db?sslmode=disable", "the URL names no host")]
    [InlineData("postgres://app:pw@/db?host=/a,/b", "several servers")]
    [InlineData("postgres://app:pw@/db?host=/a&port=99999", "port '99999'")]
    [InlineData("Username=app;Password=pw", "Host is missing")]
    [InlineData("just some text", "expected Host=")]
    public void TryParse_Malformed_ExplainsWhy(string text, string reason)
    {
        var ok = PostgresConnectionString.TryParse(text, "db", new SecretRedactor(), out _, out var error);

        Assert.False(ok);
        Assert.Equal(ErrorKind.ConfigInvalid, error.Kind);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_KeyValueHostIsASocketDirectory_ReadsTheCloudSqlSocket()
    {
        var redactor = new SecretRedactor();

        var ok = PostgresConnectionString.TryParse("Host=/cloudsql/proj:europe-west1:main;Username=app;Password=hunter2hunter2;Database=chat", "db", redactor, out var settings, out _);

        Assert.True(ok);
        Assert.Equal("/cloudsql/proj:europe-west1:main", settings.SocketDirectory);
        Assert.Equal("/cloudsql/proj:europe-west1:main", settings.Host);
        Assert.Equal("/cloudsql/proj:europe-west1:main", settings.Builder.Host);
        Assert.Equal(5432, settings.Port);
        Assert.Equal("/cloudsql/proj:europe-west1:main/.s.PGSQL.5432", settings.SocketPath);
        Assert.Equal("unix:/cloudsql/proj:europe-west1:main/.s.PGSQL.5432 (db chat)", settings.Display);
        Assert.Equal(SecretRedactor.Mask, redactor.Redact("hunter2hunter2"));
    }

    [Theory]
    [InlineData("postgres://app:hunter2hunter2@/chat?host=/cloudsql/proj:europe-west1:main", "/cloudsql/proj:europe-west1:main", 5432)]
    [InlineData("postgresql://app:hunter2hunter2@/chat?host=%2Fcloudsql%2Fproj%3Aeurope-west1%3Amain&port=6432", "/cloudsql/proj:europe-west1:main", 6432)]
    [InlineData("postgresql://app:hunter2hunter2@%2Fcloudsql%2Fproj%3Aeurope-west1%3Amain/chat", "/cloudsql/proj:europe-west1:main", 5432)]
    [InlineData("postgresql://app:hunter2hunter2@%2Fvar%2Frun%2Fpostgresql:5433/chat?sslmode=disable", "/var/run/postgresql", 5433)]
    [InlineData("postgres://app:hunter2hunter2@:5433/chat?host=/var/run/postgresql", "/var/run/postgresql", 5433)]
    public void TryParse_UrlWithASocketDirectory_ReadsItLikeLibpq(string url, string directory, int port)
    {
        var redactor = new SecretRedactor();

        var ok = PostgresConnectionString.TryParse(url, "db", redactor, out var settings, out var error);

        Assert.True(ok, error?.Message);
        Assert.Equal(directory, settings.SocketDirectory);
        Assert.Equal(directory, settings.Builder.Host);
        Assert.Equal(port, settings.Port);
        Assert.Equal(port, settings.Builder.Port);
        Assert.Equal("app", settings.Username);
        Assert.Equal("hunter2hunter2", settings.Builder.Password);
        Assert.Equal("chat", settings.Database);
        Assert.Equal($"unix:{directory}/.s.PGSQL.{port} (db chat)", settings.Display);
        Assert.Equal(SecretRedactor.Mask, redactor.Redact("hunter2hunter2"));
    }

    [Fact]
    public void TryParse_UrlHostParameterNamingAServer_OverridesTheAuthority()
    {
        var ok = PostgresConnectionString.TryParse("postgres://app:pw@/chat?host=db.internal&port=6432", "db", new SecretRedactor(), out var settings, out _);

        Assert.True(ok);
        Assert.Null(settings.SocketDirectory);
        Assert.Equal("db.internal", settings.Host);
        Assert.Equal(6432, settings.Port);
        Assert.Equal("db.internal:6432/chat", settings.Display);
    }

    [Fact]
    public void Describe_PublicReading_NamesTheSocketLikeTheProbe()
    {
        Assert.True(PostgresConnectionStrings.TryParse("postgres://app:pw@/chat?host=/cloudsql/p:r:i", new SecretRedactor(), out var builder, out _));

        Assert.Equal("unix:/cloudsql/p:r:i/.s.PGSQL.5432", PostgresConnectionStrings.Endpoint(builder));
        Assert.Equal("unix:/cloudsql/p:r:i/.s.PGSQL.5432 (db chat)", PostgresConnectionStrings.Describe(builder));

        Assert.True(PostgresConnectionStrings.TryParse("Host=::1;Port=6432;Username=app", new SecretRedactor(), out var tcp, out _));
        Assert.Equal("[::1]:6432", PostgresConnectionStrings.Endpoint(tcp));
        Assert.Equal("[::1]:6432/app", PostgresConnectionStrings.Describe(tcp));
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
