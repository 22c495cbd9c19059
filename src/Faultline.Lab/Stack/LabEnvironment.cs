using System.Globalization;
using System.Net;

namespace Faultline.Lab.Stack;

/// <summary>
/// Every value a check against the lab needs: ports, the lab's DNS server and CA, URLs and the
/// secrets the lab generated. <see cref="Variables"/> holds the same facts as the
/// <c>FAULTLINE_LAB_*</c> variables of <c>lab.env</c> (for <c>${VAR}</c> interpolation in configs).
/// </summary>
public sealed record LabEnvironment
{
    /// <summary>The repository root (the directory holding Faultline.slnx).</summary>
    public required string RepositoryRoot { get; init; }

    /// <summary>The lab's state directory (<c>&lt;repo&gt;/.faultline/lab</c> or <c>FAULTLINE_LAB_DIR</c>).</summary>
    public required string Directory { get; init; }

    public required int PostgresPort { get; init; }

    public required int RedisPort { get; init; }

    public required int RedisTlsPort { get; init; }

    /// <summary>nginx's plain HTTP server (<c>/health</c>).</summary>
    public required int NginxPort { get; init; }

    /// <summary>nginx's TLS server for <c>api.lab.test</c> (the load balancer).</summary>
    public required int LoadBalancerPort { get; init; }

    public required int DnsPort { get; init; }

    /// <summary>GoldenPath, directly (no relay, no nginx).</summary>
    public required int AppPort { get; init; }

    public required int RelayControlPort { get; init; }

    /// <summary>Relay link <c>db</c>: app → PostgreSQL.</summary>
    public required int RelayDbPort { get; init; }

    /// <summary>Relay link <c>cache</c>: app → Redis.</summary>
    public required int RelayCachePort { get; init; }

    /// <summary>Relay link <c>upstream</c>: nginx → app.</summary>
    public required int RelayUpstreamPort { get; init; }

    /// <summary>dnsmasq, answering <c>api.lab.test</c>, <c>db.lab.test</c>, <c>cache.lab.test</c>.</summary>
    public IPEndPoint ResolverEndpoint => new(IPAddress.Loopback, DnsPort);

    /// <summary>PEM of the lab CA that signs the load balancer's valid certificate.</summary>
    public string CaFile => Path.Combine(Directory, "tls", "ca.pem");

    /// <summary><c>https://api.lab.test:LB_PORT/</c>.</summary>
    public Uri ApiUrl => new($"https://api.lab.test:{LoadBalancerPort.ToString(CultureInfo.InvariantCulture)}/");

    /// <summary><c>http://127.0.0.1:APP_PORT/</c>.</summary>
    public Uri AppUrl => new($"http://127.0.0.1:{AppPort.ToString(CultureInfo.InvariantCulture)}/");

    /// <summary><c>http://127.0.0.1:CONTROL_PORT/</c>: the relay's control API.</summary>
    public Uri RelayControl => new($"http://127.0.0.1:{RelayControlPort.ToString(CultureInfo.InvariantCulture)}/");

    /// <summary>The key GoldenPath's <c>/health/infrastructure</c> detail needs (<c>X-Api-Key</c>).</summary>
    public required string ApiKey { get; init; }

    /// <summary>The user the app creates at start (<c>Demo__Username</c> is left at its default).</summary>
    public string DemoUser => "demo";

    public required string DemoPassword { get; init; }

    /// <summary>Where GoldenPath writes its fatal startup failure (one JSON line).</summary>
    public string TerminationFile => Path.Combine(Directory, "termination.log");

    /// <summary>One file per secret the app reads (<c>Secrets__Directory</c>).</summary>
    public string SecretsDirectory => Path.Combine(Directory, "secrets");

    /// <summary>Password of the <c>faultline</c> PostgreSQL role (the value the app's secret holds).</summary>
    public required string PostgresPassword { get; init; }

    /// <summary>Password of the PostgreSQL superuser <c>postgres</c>.</summary>
    public required string PostgresAdminPassword { get; init; }

    public required string RedisPassword { get; init; }

    /// <summary><c>lab.env</c>: the <see cref="Variables"/> as KEY=VALUE lines (mode 600).</summary>
    public string EnvFile => Path.Combine(Directory, "lab.env");

    /// <summary>The <c>FAULTLINE_LAB_*</c> variables, exactly as written to <c>lab.env</c>.</summary>
    public IReadOnlyDictionary<string, string> Variables
    {
        get
        {
            static string P(int port) => port.ToString(CultureInfo.InvariantCulture);
            return new SortedDictionary<string, string>(StringComparer.Ordinal)
            {
                ["FAULTLINE_LAB_DIR"] = Directory,
                ["FAULTLINE_LAB_PG_PORT"] = P(PostgresPort),
                ["FAULTLINE_LAB_REDIS_PORT"] = P(RedisPort),
                ["FAULTLINE_LAB_REDIS_TLS_PORT"] = P(RedisTlsPort),
                ["FAULTLINE_LAB_NGINX_PORT"] = P(NginxPort),
                ["FAULTLINE_LAB_LB_PORT"] = P(LoadBalancerPort),
                ["FAULTLINE_LAB_DNS_PORT"] = P(DnsPort),
                ["FAULTLINE_LAB_APP_PORT"] = P(AppPort),
                ["FAULTLINE_LAB_RELAY_CONTROL_PORT"] = P(RelayControlPort),
                ["FAULTLINE_LAB_RELAY_DB_PORT"] = P(RelayDbPort),
                ["FAULTLINE_LAB_RELAY_CACHE_PORT"] = P(RelayCachePort),
                ["FAULTLINE_LAB_RELAY_UPSTREAM_PORT"] = P(RelayUpstreamPort),
                ["FAULTLINE_LAB_RESOLVER"] = $"127.0.0.1:{P(DnsPort)}",
                ["FAULTLINE_LAB_CA_FILE"] = CaFile,
                ["FAULTLINE_LAB_API_URL"] = ApiUrl.ToString().TrimEnd('/'),
                ["FAULTLINE_LAB_APP_URL"] = AppUrl.ToString().TrimEnd('/'),
                ["FAULTLINE_LAB_RELAY_CONTROL"] = RelayControl.ToString().TrimEnd('/'),
                ["FAULTLINE_LAB_API_KEY"] = ApiKey,
                ["FAULTLINE_LAB_DEMO_USER"] = DemoUser,
                ["FAULTLINE_LAB_DEMO_PASSWORD"] = DemoPassword,
                ["FAULTLINE_LAB_TERMINATION_FILE"] = TerminationFile,
                ["FAULTLINE_LAB_SECRETS_DIR"] = SecretsDirectory,
                ["FAULTLINE_LAB_PG_PASSWORD"] = PostgresPassword,
                ["FAULTLINE_LAB_REDIS_PASSWORD"] = RedisPassword,
                // Through the relay and the lab's names, as a check from outside sees them.
                ["FAULTLINE_LAB_DATABASE_URL"] = $"postgres://faultline:{PostgresPassword}@db.lab.test:{P(RelayDbPort)}/faultline?sslmode=disable",
                ["FAULTLINE_LAB_REDIS_URL"] = $"redis://:{RedisPassword}@cache.lab.test:{P(RelayCachePort)}/0",
                // The servers themselves, bypassing the relay (administration, comparisons).
                ["FAULTLINE_LAB_PG_DIRECT_URL"] = $"postgres://faultline:{PostgresPassword}@127.0.0.1:{P(PostgresPort)}/faultline?sslmode=disable",
                ["FAULTLINE_LAB_PG_ADMIN_URL"] = $"postgres://postgres:{PostgresAdminPassword}@127.0.0.1:{P(PostgresPort)}/postgres?sslmode=disable",
            };
        }
    }
}
