using System.Text;
using Faultline.Core.Model;
using Microsoft.IdentityModel.Tokens;
using StackExchange.Redis;

namespace GoldenPath;

/// <summary>
/// The options and secrets the service needs, read and checked once by the <c>configuration</c>
/// phase. A missing or malformed value is a typed <see cref="ProbeException"/> (secret-missing,
/// secret-invalid) whose message names the key and where it is read from, never the value.
/// </summary>
internal sealed class SampleSettings
{
    public const string JwtSecretKey = "Jwt:Secret";
    public const string PostgresKey = "ConnectionStrings:Postgres";
    public const string RedisKey = "ConnectionStrings:Redis";
    public const string ApiKeyKey = "Faultline:ApiKey";
    public const string SecretsDirectoryKey = "Secrets:Directory";
    public const string DemoUsernameKey = "Demo:Username";
    public const string DemoPasswordKey = "Demo:Password";
    public const string DefaultDemoUsername = "demo";
    public const string WarmUpConnectionsKey = "Database:WarmUpConnections";
    /// <summary>The sample's former cache bound; the request timeout of the <c>redis</c> dependency (<c>Faultline:Requests:redis:Timeout</c>) replaced it.</summary>
    public const string CacheTimeoutKey = "Cache:Timeout";

    /// <summary>The most connections <see cref="WarmUpConnectionsKey"/> may ask for.</summary>
    public const int MaxWarmUpConnections = 100;

    /// <summary>HS256 needs a key of at least 256 bits.</summary>
    public const int MinimumJwtSecretLength = 32;

    private readonly Func<ConfigurationOptions>? _redisOptions;
    private volatile Loaded? _loaded;

    /// <summary>Settings whose Redis options are read by the sample itself (tests).</summary>
    public SampleSettings()
    {
    }

    /// <summary>
    /// Settings whose Redis options, once the connection string is found usable, come from <paramref name="redisOptions"/>:
    /// the service passes the options Faultline.AspNetCore.Redis made from the same connection string with the
    /// profile's timeouts (<c>Faultline:Pools:redis</c>).
    /// </summary>
    public SampleSettings(Func<ConfigurationOptions> redisOptions) => _redisOptions = redisOptions;

    /// <summary>True once the configuration phase has read every value.</summary>
    public bool IsLoaded => _loaded is not null;

    /// <summary>The Npgsql key=value connection string (a URL is converted).</summary>
    public string PostgresConnectionString => Current.Postgres;

    /// <summary>The Redis connection string as configured (URL or options string), for the Faultline probe; null when not set.</summary>
    public string? RedisConnectionString => Current.RedisText;

    /// <summary>The Redis options, or null when <c>ConnectionStrings:Redis</c> is not set (the cache is optional).</summary>
    public ConfigurationOptions? Redis => Current.Redis?.Clone();

    /// <summary>Why the Redis connection string is unusable, when it is; null when it is fine or absent.</summary>
    public string? RedisProblem => Current.RedisProblem;

    /// <summary>The user the database phase creates or updates (e.g. for <c>faultline check</c>'s login step); null when <c>Demo:Password</c> is not set.</summary>
    public (string Username, string Password)? DemoUser => Current.DemoUser;

    /// <summary>Connections the database phase opens at once and keeps in the pool (<c>Database:WarmUpConnections</c>, default 0).</summary>
    public int WarmUpConnections => Current.WarmUpConnections;


    /// <summary>The JWT signing key, or null before the configuration phase (tokens then fail validation).</summary>
    public SymmetricSecurityKey? SigningKey => _loaded?.SigningKey;

    private Loaded Current => _loaded ?? throw new InvalidOperationException("the configuration phase has not run yet");

    /// <summary>Reads and checks every value; throws <see cref="ProbeException"/> naming the first bad key.</summary>
    public void Load(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var directory = configuration[SecretsDirectoryKey];
        if (!string.IsNullOrWhiteSpace(directory) && !Directory.Exists(directory))
        {
            throw Fail(ErrorKind.SecretMissing, $"the secrets directory {directory} ({SecretsDirectoryKey}) does not exist or cannot be read");
        }

        var jwtSecret = Required(configuration, JwtSecretKey, "JWT signing secret");
        if (jwtSecret.Length < MinimumJwtSecretLength)
        {
            throw Fail(
                ErrorKind.SecretInvalid,
                $"JWT signing secret {JwtSecretKey} ({Sources(JwtSecretKey)}) is {jwtSecret.Length} characters; at least {MinimumJwtSecretLength} are required for HS256");
        }

        var postgresText = Required(configuration, PostgresKey, "PostgreSQL connection string");
        if (!ConnectionStrings.TryParsePostgres(postgresText, out var postgres, out var reason))
        {
            throw Fail(ErrorKind.SecretInvalid, $"PostgreSQL connection string {PostgresKey} ({Sources(PostgresKey)}) is unusable: {reason}");
        }

        Required(configuration, ApiKeyKey, "health detail API key");

        ConfigurationOptions? redis = null;
        string? redisProblem = null;
        var redisText = configuration[RedisKey];
        if (!string.IsNullOrWhiteSpace(redisText))
        {
            if (ConnectionStrings.TryParseRedis(redisText, out var options, out var redisReason))
            {
                redis = _redisOptions?.Invoke() ?? options;
            }
            else
            {
                redisProblem = $"Redis connection string {RedisKey} ({Sources(RedisKey)}) is unusable: {redisReason}";
            }
        }

        (string, string)? demoUser = null;
        var demoPassword = configuration[DemoPasswordKey];
        if (!string.IsNullOrEmpty(demoPassword))
        {
            var demoUsername = (configuration[DemoUsernameKey] ?? DefaultDemoUsername).Trim().ToLowerInvariant();
            if (!Api.IsValidUsername(demoUsername))
            {
                throw Fail(ErrorKind.ConfigInvalid, $"demo user name {DemoUsernameKey} must be 3 to 64 characters: letters, digits, '.', '_' or '-'");
            }

            if (!Api.IsValidPassword(demoPassword))
            {
                throw Fail(ErrorKind.SecretInvalid, $"demo user password {DemoPasswordKey} ({Sources(DemoPasswordKey)}) must be {Api.MinPasswordLength} to {Api.MaxPasswordLength} characters");
            }

            demoUser = (demoUsername, demoPassword);
        }

        var warmUp = 0;
        var warmUpText = configuration[WarmUpConnectionsKey];
        if (!string.IsNullOrWhiteSpace(warmUpText)
            && (!int.TryParse(warmUpText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out warmUp) || warmUp > MaxWarmUpConnections))
        {
            throw Fail(ErrorKind.ConfigInvalid, $"{WarmUpConnectionsKey} must be a whole number from 0 to {MaxWarmUpConnections}");
        }

        if (!string.IsNullOrWhiteSpace(configuration[CacheTimeoutKey]))
        {
            throw Fail(ErrorKind.ConfigInvalid, $"{CacheTimeoutKey} is no longer read: set the cache's request timeout as Faultline:Requests:redis:Timeout (environment Faultline__Requests__redis__Timeout, e.g. 500ms) instead");
        }

        _loaded = new Loaded(
            postgres.ConnectionString,
            string.IsNullOrWhiteSpace(redisText) ? null : redisText.Trim(),
            redis,
            redisProblem,
            new SymmetricSecurityKey(Encoding.UTF8.GetBytes(jwtSecret)),
            demoUser,
            warmUp);
    }

    private static string Required(IConfiguration configuration, string key, string what)
    {
        var value = configuration[key];
        if (string.IsNullOrWhiteSpace(value))
        {
            throw Fail(ErrorKind.SecretMissing, $"{what} {key} is missing or empty ({Sources(key)})");
        }

        return value.Trim();
    }

    /// <summary>Where a key is read from, in the spelling an operator types.</summary>
    public static string Sources(string key)
    {
        var flat = key.Replace(":", "__", StringComparison.Ordinal);
        return $"environment variable {flat} or file {flat} in {SecretsDirectoryKey}";
    }

    private static ProbeException Fail(ErrorKind kind, string message) =>
        new(new ProbeError(kind, message) { Phase = "config" });

    private sealed record Loaded(string Postgres, string? RedisText, ConfigurationOptions? Redis, string? RedisProblem, SymmetricSecurityKey SigningKey, (string Username, string Password)? DemoUser, int WarmUpConnections);
}
