using Faultline.Core.Classification;
using Faultline.Core.Config;
using Faultline.Core.Model;

namespace Faultline.Core.Tests.Classification;

public class ClassifierErrorTests
{
    public static TheoryData<ErrorKind, string, Layer, Side> Table => new()
    {
        { ErrorKind.DnsNxDomain, TargetKinds.Http, Layer.Dns, Side.Infrastructure },
        { ErrorKind.DnsNxDomain, TargetKinds.Redis, Layer.Dns, Side.Infrastructure },
        { ErrorKind.DnsServFail, TargetKinds.Dns, Layer.Dns, Side.Infrastructure },
        { ErrorKind.DnsRefused, TargetKinds.Dns, Layer.Dns, Side.Infrastructure },
        { ErrorKind.DnsTimeout, TargetKinds.Dns, Layer.Dns, Side.Infrastructure },
        { ErrorKind.DnsNoAnswer, TargetKinds.Dns, Layer.Dns, Side.Infrastructure },
        { ErrorKind.DnsMalformed, TargetKinds.Dns, Layer.Dns, Side.Infrastructure },
        { ErrorKind.DnsMalformed, TargetKinds.Http, Layer.Dns, Side.Infrastructure },
        { ErrorKind.DnsMalformed, TargetKinds.Postgres, Layer.Dns, Side.Infrastructure },
        { ErrorKind.ConnectionRefused, TargetKinds.Tcp, Layer.Network, Side.Infrastructure },
        { ErrorKind.ConnectionRefused, TargetKinds.Http, Layer.Network, Side.Infrastructure },
        { ErrorKind.ConnectionRefused, TargetKinds.Postgres, Layer.Database, Side.Infrastructure },
        { ErrorKind.ConnectionRefused, TargetKinds.Redis, Layer.Cache, Side.Infrastructure },
        { ErrorKind.ConnectTimeout, TargetKinds.Tcp, Layer.Network, Side.Infrastructure },
        { ErrorKind.ConnectTimeout, TargetKinds.Postgres, Layer.Database, Side.Infrastructure },
        { ErrorKind.ConnectTimeout, TargetKinds.Redis, Layer.Cache, Side.Infrastructure },
        { ErrorKind.NetworkUnreachable, TargetKinds.Tcp, Layer.Network, Side.Infrastructure },
        { ErrorKind.SocketMissing, TargetKinds.Postgres, Layer.Network, Side.Infrastructure },
        { ErrorKind.ConnectionReset, TargetKinds.Http, Layer.Network, Side.Infrastructure },
        { ErrorKind.ConnectionReset, TargetKinds.Postgres, Layer.Database, Side.Infrastructure },
        { ErrorKind.ConnectionReset, TargetKinds.Redis, Layer.Cache, Side.Infrastructure },
        { ErrorKind.ConnectionClosed, TargetKinds.Tcp, Layer.Network, Side.Infrastructure },
        { ErrorKind.ConnectionClosed, TargetKinds.Http, Layer.Application, Side.Application },
        { ErrorKind.ConnectionClosed, TargetKinds.Postgres, Layer.Database, Side.Infrastructure },
        { ErrorKind.ConnectionClosed, TargetKinds.Redis, Layer.Cache, Side.Infrastructure },
        { ErrorKind.ReadTimeout, TargetKinds.Http, Layer.Application, Side.Application },
        { ErrorKind.ReadTimeout, TargetKinds.Postgres, Layer.Database, Side.Infrastructure },
        { ErrorKind.ReadTimeout, TargetKinds.Redis, Layer.Cache, Side.Infrastructure },
        { ErrorKind.ProtocolError, TargetKinds.Http, Layer.Configuration, Side.Application },
        { ErrorKind.ConnectionClosed, TargetKinds.WebSocket, Layer.Application, Side.Application },
        { ErrorKind.ReadTimeout, TargetKinds.WebSocket, Layer.Application, Side.Application },
        { ErrorKind.EventOutOfOrder, TargetKinds.WebSocket, Layer.Application, Side.Application },
        { ErrorKind.RedirectRefused, TargetKinds.Http, Layer.Application, Side.Application },
        { ErrorKind.RedirectLoop, TargetKinds.Http, Layer.Application, Side.Application },
        { ErrorKind.UnexpectedStatus, TargetKinds.WebSocket, Layer.Application, Side.Application },
        { ErrorKind.UnexpectedStatus, TargetKinds.Remote, Layer.Application, Side.Application },
        { ErrorKind.TlsExpired, TargetKinds.Tls, Layer.Tls, Side.Infrastructure },
        { ErrorKind.TlsNotYetValid, TargetKinds.Tls, Layer.Tls, Side.Infrastructure },
        { ErrorKind.TlsNameMismatch, TargetKinds.Http, Layer.Tls, Side.Infrastructure },
        { ErrorKind.TlsUntrusted, TargetKinds.Postgres, Layer.Tls, Side.Infrastructure },
        { ErrorKind.TlsHandshakeFailed, TargetKinds.Redis, Layer.Tls, Side.Infrastructure },
        { ErrorKind.TlsTimeout, TargetKinds.Tls, Layer.Tls, Side.Infrastructure },
        { ErrorKind.DatabaseAuthFailed, TargetKinds.Postgres, Layer.Configuration, Side.Infrastructure },
        { ErrorKind.DatabaseTooManyConnections, TargetKinds.Postgres, Layer.Database, Side.Infrastructure },
        { ErrorKind.DatabaseNotFound, TargetKinds.Postgres, Layer.Configuration, Side.Application },
        { ErrorKind.DatabaseUnavailable, TargetKinds.Postgres, Layer.Database, Side.Infrastructure },
        { ErrorKind.DatabaseSqlError, TargetKinds.Postgres, Layer.Application, Side.Application },
        { ErrorKind.PoolExhausted, TargetKinds.Postgres, Layer.Database, Side.Application },
        { ErrorKind.CacheAuthFailed, TargetKinds.Redis, Layer.Configuration, Side.Infrastructure },
        { ErrorKind.CacheOutOfMemory, TargetKinds.Redis, Layer.Cache, Side.Infrastructure },
        { ErrorKind.CacheReadOnly, TargetKinds.Redis, Layer.Cache, Side.Infrastructure },
        { ErrorKind.CacheError, TargetKinds.Redis, Layer.Cache, Side.Infrastructure },
        { ErrorKind.SecretMissing, TargetKinds.Secret, Layer.Configuration, Side.Infrastructure },
        { ErrorKind.SecretInvalid, TargetKinds.Secret, Layer.Configuration, Side.Application },
        { ErrorKind.ConfigInvalid, TargetKinds.Http, Layer.Configuration, Side.Application },
        { ErrorKind.Timeout, TargetKinds.Http, Layer.Unknown, Side.Infrastructure },
        { ErrorKind.Timeout, TargetKinds.Postgres, Layer.Database, Side.Infrastructure },
        { ErrorKind.Timeout, TargetKinds.Redis, Layer.Cache, Side.Infrastructure },
        { ErrorKind.Timeout, TargetKinds.Dns, Layer.Dns, Side.Infrastructure },
        { ErrorKind.Timeout, TargetKinds.Tcp, Layer.Network, Side.Infrastructure },
        { ErrorKind.Timeout, TargetKinds.Tls, Layer.Tls, Side.Infrastructure },
        { ErrorKind.Cancelled, TargetKinds.Http, Layer.Unknown, Side.Infrastructure },
        { ErrorKind.NotStarted, TargetKinds.Postgres, Layer.Unknown, Side.Infrastructure },
        { ErrorKind.Internal, TargetKinds.Tcp, Layer.Unknown, Side.Infrastructure },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void Classify_ProbeError_MapsToLayerAndSide(ErrorKind kind, string targetKind, Layer layer, Side side)
    {
        var result = Classifier.Classify(Samples.Target(targetKind), Samples.Failed(targetKind, kind, "the probe's own message"), []);

        Assert.Equal(layer, result.Layer);
        Assert.Equal(side, result.Side);
        Assert.NotEmpty(result.Evidence);
        Assert.Contains("the probe's own message", result.Evidence);
        Assert.False(string.IsNullOrWhiteSpace(result.Remedy));
    }

    [Fact]
    public void Classify_EveryErrorKindForEveryTargetKind_HasARule()
    {
        foreach (var kind in Enum.GetValues<ErrorKind>())
        {
            foreach (var targetKind in TargetKinds.All)
            {
                var result = Classifier.Classify(Samples.Target(targetKind), Samples.Failed(targetKind, kind), []);
                Assert.True(Enum.IsDefined(result.Layer), $"{kind.Wire()} for {targetKind}");
                Assert.NotEmpty(result.Remedy);
            }
        }
    }

    [Fact]
    public void Classify_TheTableCoversEveryErrorKind()
    {
        var covered = Table.Select(row => (ErrorKind)row[0]).ToHashSet();
        var uncovered = Enum.GetValues<ErrorKind>().Except(covered).Select(k => k.Wire()).ToList();
        Assert.True(uncovered.Count == 0, "no table row for: " + string.Join(", ", uncovered));
    }

    [Fact]
    public void Classify_NxDomain_NamesHostAndResolver()
    {
        var target = Samples.Target(TargetKinds.Dns);
        var observation = Samples.Failed(TargetKinds.Dns, ErrorKind.DnsNxDomain) with
        {
            Dns = new DnsObservation { Server = "127.0.0.1:5353", ResponseCode = "NXDOMAIN" },
        };

        var result = Classifier.Classify(target, observation, []);

        Assert.Equal("name api.lab.test does not exist at resolver 127.0.0.1:5353 (NXDOMAIN)", result.Evidence[0]);
    }

    [Fact]
    public void Classify_DnsTimeout_NamesResolver()
    {
        var result = Classifier.Classify(Samples.Target(TargetKinds.Dns), Samples.Failed(TargetKinds.Dns, ErrorKind.DnsTimeout, "no answer within 2 s"), []);

        Assert.Equal("resolver 127.0.0.1:5353 did not answer the query for api.lab.test in time", result.Evidence[0]);
        Assert.Contains("no answer within 2 s", result.Evidence);
    }

    [Fact]
    public void Classify_ConnectionRefused_SaysNothingListening()
    {
        var target = new TargetSpec { Name = "db-port", Kind = TargetKinds.Tcp, Host = "127.0.0.1", Port = 5432 };
        var observation = Samples.Failed(TargetKinds.Tcp, ErrorKind.ConnectionRefused, "connect to 127.0.0.1:5432 refused");

        var result = Classifier.Classify(target, observation, []);

        Assert.Equal("nothing listening on 127.0.0.1:5432 (connection refused)", result.Evidence[0]);
        Assert.Contains("127.0.0.1:5432", result.Remedy, StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_ConnectTimeout_SaysFilteredOrBlackholed()
    {
        var result = Classifier.Classify(Samples.Target(TargetKinds.Tcp), Samples.Failed(TargetKinds.Tcp, ErrorKind.ConnectTimeout), []);

        Assert.Contains("filtered or blackholed", result.Evidence[0], StringComparison.Ordinal);
        Assert.Contains("api.lab.test:8443", result.Evidence[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_PostgresConnectTimeout_KeepsNetworkEvidence_WithoutThePassword()
    {
        var target = Samples.Target(TargetKinds.Postgres);
        var observation = Samples.Failed(TargetKinds.Postgres, ErrorKind.ConnectTimeout, "connect to db.lab.test:5432 timed out after 5 s") with
        {
            Addresses = ["10.1.2.3"],
        };

        var result = Classifier.Classify(target, observation, []);

        Assert.Equal(Layer.Database, result.Layer);
        Assert.Contains("db.lab.test:5432", result.Evidence[0], StringComparison.Ordinal);
        Assert.Contains("blackholed", result.Evidence[0], StringComparison.Ordinal);
        Assert.Contains("db.lab.test resolved to 10.1.2.3", result.Evidence);
        Assert.DoesNotContain(result.Evidence, e => e.Contains("s3cr3t", StringComparison.Ordinal));
        Assert.DoesNotContain("s3cr3t", result.Remedy, StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_PostgresSocketMissing_IsNetworkInfrastructureNamingTheSocketPath()
    {
        const string Path = "/cloudsql/proj:europe-west1:db/.s.PGSQL.5432";
        var target = new TargetSpec { Name = "db", Kind = TargetKinds.Postgres, ConnectionString = "Host=/cloudsql/proj:europe-west1:db;Username=app;Password=s3cr3t-Passw0rd" };
        var observation = Samples.Failed(TargetKinds.Postgres, ErrorKind.SocketMissing, $"no Cloud SQL proxy socket at {Path}: is the instance attached to the service?") with
        {
            Target = $"unix:{Path} (db app)",
        };

        var result = Classifier.Classify(target, observation, []);

        Assert.Equal(Layer.Network, result.Layer);
        Assert.Equal(Side.Infrastructure, result.Side);
        Assert.Equal($"no socket at unix:{Path}: the connection never left this host", result.Evidence[0]);
        Assert.Contains($"no Cloud SQL proxy socket at {Path}: is the instance attached to the service?", result.Evidence);
        Assert.Contains("--add-cloudsql-instances", result.Remedy, StringComparison.Ordinal);
        Assert.DoesNotContain(result.Evidence, e => e.Contains("s3cr3t", StringComparison.Ordinal));
    }

    [Fact]
    public void Classify_PostgresRefusedOnAUnixSocket_IsDatabaseNamingThePathWithoutAPort()
    {
        const string Path = "/cloudsql/proj:europe-west1:db/.s.PGSQL.5432";
        var observation = Samples.Failed(TargetKinds.Postgres, ErrorKind.ConnectionRefused, "nothing listening on the socket") with
        {
            Target = $"unix:{Path} (db app)",
        };

        var result = Classifier.Classify(Samples.Target(TargetKinds.Postgres), observation, []);

        Assert.Equal(Layer.Database, result.Layer);
        Assert.Equal(Side.Infrastructure, result.Side);
        Assert.StartsWith($"nothing listening on unix:{Path} (connection refused)", result.Evidence[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_TlsNameMismatch_ListsCoveredNamesAndRequestedName()
    {
        var target = new TargetSpec { Name = "api-cert", Kind = TargetKinds.Tls, Host = "api.staging.example", Port = 443 };
        var observation = Samples.Failed(TargetKinds.Tls, ErrorKind.TlsNameMismatch, "certificate does not cover api.staging.example") with
        {
            Tls = new TlsObservation
            {
                ServerName = "api.staging.example",
                Leaf = new CertificateInfo
                {
                    Subject = "CN=*.staging.example",
                    Issuer = "CN=Lab CA",
                    SubjectAlternativeNames = ["*.staging.example"],
                    NotBefore = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
                    NotAfter = new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero),
                },
            },
        };

        var result = Classifier.Classify(target, observation, []);

        Assert.Equal(Layer.Tls, result.Layer);
        Assert.Contains("certificate covers [*.staging.example]; requested api.staging.example", result.Evidence);
        Assert.Equal("issue a certificate covering the host name, or call the host name the certificate covers", result.Remedy);
    }

    [Fact]
    public void Classify_TlsExpired_ShowsNotAfter()
    {
        var observation = Samples.Failed(TargetKinds.Tls, ErrorKind.TlsExpired, "certificate expired") with
        {
            Tls = new TlsObservation
            {
                Leaf = new CertificateInfo
                {
                    Subject = "CN=api.lab.test",
                    Issuer = "CN=Lab CA",
                    NotBefore = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero),
                    NotAfter = new DateTimeOffset(2026, 1, 2, 3, 4, 0, TimeSpan.Zero),
                },
            },
        };

        var result = Classifier.Classify(Samples.Target(TargetKinds.Tls), observation, []);

        Assert.Contains("certificate CN=api.lab.test expired on 2026-01-02 03:04 UTC", result.Evidence);
        Assert.Contains("renew", result.Remedy, StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_TlsNotYetValid_ShowsNotBefore()
    {
        var observation = Samples.Failed(TargetKinds.Tls, ErrorKind.TlsNotYetValid) with
        {
            Tls = new TlsObservation
            {
                Leaf = new CertificateInfo { Subject = "CN=x", Issuer = "CN=y", NotBefore = new DateTimeOffset(2030, 5, 6, 0, 0, 0, TimeSpan.Zero), NotAfter = new DateTimeOffset(2031, 1, 1, 0, 0, 0, TimeSpan.Zero) },
            },
        };

        var result = Classifier.Classify(Samples.Target(TargetKinds.Tls), observation, []);

        Assert.Contains("certificate CN=x is valid only from 2030-05-06 00:00 UTC", result.Evidence);
    }

    [Fact]
    public void Classify_TlsUntrusted_ShowsChainStatusAndCaFileRemedy()
    {
        var observation = Samples.Failed(TargetKinds.Tls, ErrorKind.TlsUntrusted) with
        {
            Tls = new TlsObservation { ChainStatus = ["UntrustedRoot"] },
        };

        var result = Classifier.Classify(Samples.Target(TargetKinds.Tls), observation, []);

        Assert.Contains("chain: UntrustedRoot", result.Evidence);
        Assert.Contains("tls.caFile", result.Remedy, StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_TooManyConnections_ShowsCapacity()
    {
        var observation = Samples.Failed(TargetKinds.Postgres, ErrorKind.DatabaseTooManyConnections, "sorry, too many clients already", "53300") with
        {
            Database = new DatabaseObservation { MaxConnections = 100, ReservedConnections = 3, ConnectionsInUse = 100 },
        };

        var result = Classifier.Classify(Samples.Target(TargetKinds.Postgres), observation, []);

        Assert.Equal(Layer.Database, result.Layer);
        Assert.Equal("max_connections exhausted (53300)", result.Evidence[0]);
        Assert.Contains("connections in use 100 of max_connections 100, 3 reserved", result.Evidence);
        Assert.Contains("max_connections", result.Remedy, StringComparison.Ordinal);
        Assert.Contains("pool", result.Remedy, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("42P01", "missing table: run the database migrations")]
    [InlineData("42703", "missing column")]
    [InlineData("42501", "GRANT")]
    [InlineData("XX000", "fix the query or the schema")]
    public void Classify_SqlError_RemedyBySqlState(string sqlState, string remedy)
    {
        var observation = Samples.Failed(TargetKinds.Postgres, ErrorKind.DatabaseSqlError, "relation \"users\" does not exist", sqlState);

        var result = Classifier.Classify(Samples.Target(TargetKinds.Postgres), observation, []);

        Assert.Equal(Layer.Application, result.Layer);
        Assert.Equal(Side.Application, result.Side);
        Assert.Contains(remedy, result.Remedy, StringComparison.Ordinal);
        Assert.Contains($"the probe query failed with SQL error {sqlState}", result.Evidence);
    }

    [Fact]
    public void Classify_DatabaseAuthFailed_IsConfigurationWithCode()
    {
        var observation = Samples.Failed(TargetKinds.Postgres, ErrorKind.DatabaseAuthFailed, "password authentication failed for user \"app\"", "28P01");

        var result = Classifier.Classify(Samples.Target(TargetKinds.Postgres), observation, []);

        Assert.Equal("the database rejected the credentials (28P01)", result.Evidence[0]);
        Assert.Contains("password authentication failed for user \"app\"", result.Evidence);
    }

    [Fact]
    public void Classify_CacheOutOfMemory_ShowsMemory()
    {
        var observation = Samples.Failed(TargetKinds.Redis, ErrorKind.CacheOutOfMemory, "OOM command not allowed when used memory > 'maxmemory'", "OOM") with
        {
            Cache = new CacheObservation { UsedMemoryBytes = 2 * 1024 * 1024, MaxMemoryBytes = 2 * 1024 * 1024 },
        };

        var result = Classifier.Classify(Samples.Target(TargetKinds.Redis), observation, []);

        Assert.Contains("used_memory 2 MiB of maxmemory 2 MiB", result.Evidence);
        Assert.Contains("maxmemory", result.Remedy, StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_CacheReadOnly_ShowsRole()
    {
        var observation = Samples.Failed(TargetKinds.Redis, ErrorKind.CacheReadOnly, "READONLY You can't write against a read only replica.", "READONLY") with
        {
            Cache = new CacheObservation { Role = "slave" },
        };

        var result = Classifier.Classify(Samples.Target(TargetKinds.Redis), observation, []);

        Assert.Contains("role: slave", result.Evidence);
        Assert.Contains("primary", result.Remedy, StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_SecretMissing_NamesTheMissingSecrets_NotValues()
    {
        var observation = Samples.Failed(TargetKinds.Secret, ErrorKind.SecretMissing, "1 required secret missing: JWT_SECRET") with
        {
            Secrets = new SecretObservation
            {
                Source = "env",
                Entries =
                [
                    new SecretEntry { Name = "DATABASE_URL", Present = true, Required = true, Fingerprint = "a1b2c3d4", Length = 40 },
                    new SecretEntry { Name = "JWT_SECRET", Present = false, Required = true },
                ],
            },
        };

        var result = Classifier.Classify(Samples.Target(TargetKinds.Secret), observation, []);

        Assert.Equal(Layer.Configuration, result.Layer);
        Assert.Contains("required secret JWT_SECRET is absent from env", result.Evidence);
        Assert.DoesNotContain(result.Evidence, e => e.Contains("DATABASE_URL", StringComparison.Ordinal));
    }

    [Fact]
    public void Classify_SecretInvalid_NamesTheRule()
    {
        var observation = Samples.Failed(TargetKinds.Secret, ErrorKind.SecretInvalid, "JWT_SECRET breaks minLength") with
        {
            Secrets = new SecretObservation
            {
                Source = "dir:/run/secrets",
                Entries =
                [
                    new SecretEntry { Name = "JWT_SECRET", Present = true, Required = true, Length = 12, Rules = [new SecretRuleResult("minLength 32", false, "length 12")] },
                ],
            },
        };

        var result = Classifier.Classify(Samples.Target(TargetKinds.Secret), observation, []);

        Assert.Contains("JWT_SECRET: rule minLength 32 failed (length 12)", result.Evidence);
    }

    [Theory]
    [InlineData("cannot use postgres://app:hunter2-Secret@db.lab.test:5432/app", "postgres://app:***@db.lab.test:5432/app")]
    [InlineData("bad setting Host=db;Password=hunter2-Secret;Database=app", "Password=***;Database=app")]
    [InlineData("bad setting password = \"hunter2 Secret\" in string", "password=*** in string")]
    public void Classify_MessageQuotingCredentials_IsMaskedInEvidence(string message, string expected)
    {
        var result = Classifier.Classify(Samples.Target(TargetKinds.Postgres), Samples.Failed(TargetKinds.Postgres, ErrorKind.ConfigInvalid, message), []);

        Assert.Contains(result.Evidence, e => e.Contains(expected, StringComparison.Ordinal));
        Assert.DoesNotContain(result.Evidence, e => e.Contains("hunter2", StringComparison.Ordinal));
    }

    [Fact]
    public void Classify_HttpTimeoutAfterConnecting_IsApplication()
    {
        var observation = Samples.Failed(TargetKinds.Http, ErrorKind.Timeout, "no result within 2 s") with { Connected = true };

        var result = Classifier.Classify(Samples.Target(TargetKinds.Http), observation, []);

        Assert.Equal(Layer.Application, result.Layer);
        Assert.Equal(Side.Application, result.Side);
    }

    [Fact]
    public void Classify_ErrorWins_OverFailedConditions()
    {
        var observation = Samples.Failed(TargetKinds.Http, ErrorKind.ConnectionRefused);

        var result = Classifier.Classify(Samples.Target(TargetKinds.Http), observation, Samples.Failing("[STATUS] == 200", "(no response)"));

        Assert.Equal(Layer.Network, result.Layer);
    }
}
