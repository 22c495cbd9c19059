using Faultline.Core.Config;
using static Faultline.Core.Tests.Config.ConfigTestSupport;

namespace Faultline.Core.Tests.Config;

public class ConfigLoaderTests
{
    /// <summary>The example from the issue, verbatim.</summary>
    internal const string IssueExample = """
        environment: staging
        defaults: { timeout: 10s }            # every duration is a string: 250ms, 2s, 5m, 14d
        resolver: "127.0.0.1:5353"            # optional: resolve every name through this DNS server
        targets:
          - name: api
            kind: http
            url: https://api.lab.test:8443/health
            critical: true
            category: connectivity
            conditions: ["[STATUS] == 200", "[RESPONSE_TIME] < 2s", "[BODY].status == ok"]
            tls: { caFile: ./ca.pem }          # optional; system trust otherwise
          - { name: api-cert, kind: tls, host: api.lab.test, port: 8443, conditions: ["[CERT_EXPIRES_IN] > 14d"] }
          - { name: api-dns, kind: dns, host: api.lab.test, resolver: "127.0.0.1:5353" } # per-target override
          - { name: db-port, kind: tcp, host: 127.0.0.1, port: 5432 }
          - { name: db, kind: postgres, connectionString: "${DATABASE_URL}", dependsOn: [db-port] }
          - { name: cache, kind: redis, connectionString: "${REDIS_URL}" }
          - name: secrets
            kind: secret
            source: env                        # or: { dir: /run/secrets } — one file per secret
            required: [DATABASE_URL, JWT_SECRET]
            rules: { JWT_SECRET: { minLength: 32 }, DATABASE_URL: { scheme: [postgres, postgresql] },
                     CORS_ORIGINS: { pattern: "^https://" } }
        """;

    private static readonly Func<string, string?> IssueEnv = Env(
        ("DATABASE_URL", "postgres://app:s3cret@127.0.0.1:5432/app"),
        ("REDIS_URL", "redis://:pw@127.0.0.1:6379/0"));

    [Fact]
    public void LoadFile_IssueExample_MapsEveryField()
    {
        using var dir = new TempDirectory();
        dir.Write("ca.pem", "-----BEGIN CERTIFICATE-----\n");
        var path = dir.Write("faultline.yaml", IssueExample);

        var config = ConfigLoader.LoadFile(path, IssueEnv);

        Assert.Equal("staging", config.Environment);
        Assert.Equal(TimeSpan.FromSeconds(10), config.Defaults.Timeout);
        Assert.Equal(64, config.Defaults.Concurrency);
        Assert.Equal("127.0.0.1:5353", config.Resolver);
        Assert.Equal(Path.GetFullPath(path), config.SourcePath);
        Assert.Equal(dir.Path, config.BaseDirectory);
        Assert.Equal(["api", "api-cert", "api-dns", "db-port", "db", "cache", "secrets"], config.Targets.Select(t => t.Name));

        var api = config.Targets[0];
        Assert.Equal("http", api.Kind);
        Assert.Equal("https://api.lab.test:8443/health", api.Url);
        Assert.True(api.Critical);
        Assert.Equal("connectivity", api.Category);
        Assert.Equal(["[STATUS] == 200", "[RESPONSE_TIME] < 2s", "[BODY].status == ok"], api.Conditions);
        Assert.Equal(Path.Combine(dir.Path, "ca.pem"), api.Tls!.CaFile);
        Assert.False(api.Tls.Insecure);
        Assert.Equal("GET", api.Method);
        Assert.Null(api.Timeout);
        Assert.Equal(new SourceLocation(path, 5, 5), api.Location);

        var cert = config.Targets[1];
        Assert.Equal(("tls", "api.lab.test", 8443), (cert.Kind, cert.Host, cert.Port));
        Assert.Equal(["[CERT_EXPIRES_IN] > 14d"], cert.Conditions);
        Assert.Equal(new SourceLocation(path, 12, 5), cert.Location);

        var dns = config.Targets[2];
        Assert.Equal(("dns", "api.lab.test", "127.0.0.1:5353"), (dns.Kind, dns.Host, dns.Resolver));
        Assert.Equal(["A", "AAAA"], dns.RecordTypes);

        var tcp = config.Targets[3];
        Assert.Equal(("tcp", "127.0.0.1", 5432), (tcp.Kind, tcp.Host, tcp.Port));

        var db = config.Targets[4];
        Assert.Equal("postgres://app:s3cret@127.0.0.1:5432/app", db.ConnectionString);
        Assert.Equal(["db-port"], db.DependsOn);
        Assert.Null(db.Query);

        var cache = config.Targets[5];
        Assert.Equal("redis://:pw@127.0.0.1:6379/0", cache.ConnectionString);
        Assert.False(cache.Write);

        var secrets = config.Targets[6];
        Assert.True(secrets.Source!.IsEnvironment);
        Assert.Equal(["DATABASE_URL", "JWT_SECRET"], secrets.Required);
        Assert.Equal(32, secrets.Rules["JWT_SECRET"].MinLength);
        Assert.Equal(["postgres", "postgresql"], secrets.Rules["DATABASE_URL"].Scheme!);
        Assert.Equal("^https://", secrets.Rules["CORS_ORIGINS"].Pattern);
        Assert.Null(secrets.Rules["CORS_ORIGINS"].MinLength);
    }

    [Fact]
    public void LoadText_EveryOptionalKey_IsMapped()
    {
        using var dir = new TempDirectory();
        dir.Write("certs/ca.pem", "x");
        dir.Write("certs/client.pem", "x");
        dir.Write("certs/client.key", "x");
        const string yaml = """
            defaults: { timeout: 2.5s, concurrency: 8 }
            targets:
              - name: web/api.v1_x
                kind: http
                url: http://127.0.0.1:8080/
                method: post
                headers: { Accept: application/json, X-Empty: "" }
                body: '{"ping": true}'
                followRedirects: true
                maxBodyBytes: 1024
                timeout: 750ms
                critical: false
                category: edge
                resolver: 10.0.0.2
                tls: { caFile: certs/ca.pem, serverName: api.test, clientCertFile: certs/client.pem, clientKeyFile: ./certs/client.key, insecure: true }
              - { name: names, kind: dns, host: example.test, recordTypes: [a, CNAME] }
              - { name: tls-default-port, kind: tls, host: example.test }
              - { name: pg, kind: postgres, connectionString: "Host=127.0.0.1;Username=u", query: "SELECT 2" }
              - { name: redis, kind: redis, connectionString: "127.0.0.1:6379", write: true, resolver: "[::1]:53" }
              - { name: files, kind: secret, source: { dir: secrets }, rules: { TOKEN: { minLength: 0 } } }
            """;

        var config = Load(yaml, baseDirectory: dir.Path);

        Assert.Equal(TimeSpan.FromMilliseconds(2500), config.Defaults.Timeout);
        Assert.Equal(8, config.Defaults.Concurrency);
        Assert.Null(config.SourcePath);
        var http = config.Targets[0];
        Assert.Equal("web/api.v1_x", http.Name);
        Assert.Equal("POST", http.Method);
        Assert.Equal("application/json", http.Headers["accept"]);
        Assert.Equal(string.Empty, http.Headers["X-Empty"]);
        Assert.Equal("{\"ping\": true}", http.Body);
        Assert.True(http.FollowRedirects);
        Assert.Equal(1024, http.MaxBodyBytes);
        Assert.Equal(TimeSpan.FromMilliseconds(750), http.Timeout);
        Assert.False(http.Critical);
        Assert.Equal("edge", http.Category);
        Assert.Equal("10.0.0.2", http.Resolver);
        Assert.Equal(Path.Combine(dir.Path, "certs", "ca.pem"), http.Tls!.CaFile);
        Assert.Equal(Path.Combine(dir.Path, "certs", "client.pem"), http.Tls.ClientCertFile);
        Assert.Equal(Path.Combine(dir.Path, "certs", "client.key"), http.Tls.ClientKeyFile);
        Assert.Equal("api.test", http.Tls.ServerName);
        Assert.True(http.Tls.Insecure);
        Assert.Equal(["A", "CNAME"], config.Targets[1].RecordTypes);
        Assert.Equal(443, config.Targets[2].Port);
        Assert.Equal("SELECT 2", config.Targets[3].Query);
        Assert.True(config.Targets[4].Write);
        Assert.Equal("[::1]:53", config.Targets[4].Resolver);
        Assert.Equal(Path.Combine(dir.Path, "secrets"), config.Targets[5].Source!.Directory);
        Assert.False(config.Targets[5].Source!.IsEnvironment);
        Assert.Equal(0, config.Targets[5].Rules["TOKEN"].MinLength);
    }

    [Fact]
    public void LoadText_MinimalTarget_UsesDefaults()
    {
        var config = Load("targets: [{ name: a, kind: tcp, host: 127.0.0.1, port: 1 }]");

        var target = Assert.Single(config.Targets);
        Assert.True(target.Critical);
        Assert.Equal("default", target.Category);
        Assert.Null(config.Environment);
        Assert.Null(config.Resolver);
        Assert.Equal(TimeSpan.FromSeconds(10), config.Defaults.Timeout);
        Assert.Equal(64, config.Defaults.Concurrency);
        Assert.Empty(target.Conditions);
        Assert.Empty(target.DependsOn);
    }

    [Fact]
    public void LoadText_SecretWithoutSource_DefaultsToEnvironment()
    {
        var config = Load("targets: [{ name: s, kind: secret, required: [A] }]");

        Assert.True(config.Targets[0].Source!.IsEnvironment);
    }

    [Fact]
    public void LoadText_Interpolation_FillsEveryScalar()
    {
        const string yaml = """
            environment: ${ENV_NAME}
            defaults: { timeout: "${TIMEOUT}" }
            targets:
              - name: ${NAME:-fallback}
                kind: http
                url: "https://${HOST}:${PORT:-8443}/health"
                critical: ${CRITICAL}
                headers: { Authorization: "Bearer ${TOKEN}" }
                conditions: ["[STATUS] == ${EXPECTED:-200}"]
                body: "literal $${NOT_A_VAR} and $5"
            """;

        var config = Load(yaml, Env(("ENV_NAME", "prod"), ("TIMEOUT", "3s"), ("HOST", "api.test"), ("CRITICAL", "false"), ("TOKEN", "abc"), ("NAME", "")));

        Assert.Equal("prod", config.Environment);
        Assert.Equal(TimeSpan.FromSeconds(3), config.Defaults.Timeout);
        var target = config.Targets[0];
        Assert.Equal("fallback", target.Name);
        Assert.Equal("https://api.test:8443/health", target.Url);
        Assert.False(target.Critical);
        Assert.Equal("Bearer abc", target.Headers["Authorization"]);
        Assert.Equal(["[STATUS] == 200"], target.Conditions);
        Assert.Equal("literal ${NOT_A_VAR} and $5", target.Body);
    }

    [Fact]
    public void LoadText_DefaultEnvironment_ReadsProcessEnvironment()
    {
        var name = "FAULTLINE_TEST_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(name, "from-process");
        try
        {
            var config = ConfigLoader.LoadText($"environment: ${{{name}}}\ntargets: [{{ name: a, kind: secret, required: [X] }}]", "f.yaml", Path.GetTempPath());

            Assert.Equal("from-process", config.Environment);
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }

    [Fact]
    public void LoadText_CrLfLineEndings_LoadsAndLocates()
    {
        var config = Load("targets:\r\n  - name: a\r\n    kind: tcp\r\n    host: h\r\n    port: 1\r\n");

        Assert.Equal(new SourceLocation("faultline.yaml", 2, 5), config.Targets[0].Location);
    }

    [Fact]
    public void LoadFile_RelativePath_ResolvesAgainstFileDirectory()
    {
        using var dir = new TempDirectory();
        dir.Write("conf/pki/ca.pem", "x");
        var path = dir.Write("conf/faultline.yaml", "targets: [{ name: a, kind: tls, host: h, tls: { caFile: pki/ca.pem } }, { name: s, kind: secret, source: { dir: ../secrets }, required: [A] }]");

        var config = ConfigLoader.LoadFile(path, Env());

        Assert.Equal(Path.Combine(dir.Path, "conf", "pki", "ca.pem"), config.Targets[0].Tls!.CaFile);
        Assert.Equal(Path.Combine(dir.Path, "secrets"), config.Targets[1].Source!.Directory);
        Assert.Equal(Path.Combine(dir.Path, "conf"), config.BaseDirectory);
    }

    [Fact]
    public void LoadFile_MissingFile_ThrowsConfigException()
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.LoadFile("/nonexistent/faultline.yaml"));

        Assert.Contains("config file not found: /nonexistent/faultline.yaml", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadText_ConditionsParse_WithTheConditionParser()
    {
        var config = Load("""targets: [{ name: a, kind: http, url: "http://h/", conditions: ["[BODY].items[0] == 'a b'", "[HEADER:Server] matches ^nginx"] }]""");

        Assert.All(config.Targets[0].Conditions, c => Core.Conditions.ConditionParser.Parse(c));
    }
}
