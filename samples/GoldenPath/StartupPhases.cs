using Faultline.AspNetCore;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Postgres;
using Faultline.Probes.Postgres;
using Microsoft.IdentityModel.JsonWebTokens;
using Npgsql;

namespace GoldenPath;

/// <summary>
/// The startup plan of the sample, phases named as in the incident this service models:
/// <c>configuration</c> → <c>database</c> → <c>cache</c> (optional) → <c>services</c> → <c>websocket</c> → <c>finalize</c>.
/// Timeouts, attempts and backoff come from the Faultline profile (<c>Faultline:Profile</c>) and
/// <c>Faultline:Startup:Phases:NAME</c>; each phase here only does its work and throws a typed
/// <see cref="ProbeException"/> when it cannot.
/// </summary>
internal static partial class StartupPhases
{
    public const string Configuration = "configuration";
    public const string Database = "database";
    public const string Cache = "cache";
    public const string Services = "services";
    public const string WebSocket = "websocket";
    public const string Finalize = "finalize";

    /// <summary>Dependency names: components of <c>/health/infrastructure</c> and circuit breakers.</summary>
    public const string PostgresDependency = "postgres";
    public const string RedisDependency = "redis";

    public static FaultlineBuilder AddGoldenPathStartup(this FaultlineBuilder faultline, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(faultline);
        ArgumentNullException.ThrowIfNull(configuration);
        return faultline
            .AddPhase(Configuration, ConfigurationAsync, p => p.Layer(Layer.Configuration).Timing(PhaseTiming.Init))
            .AddPhase(Database, DatabaseAsync, p => p
                .DependsOn(Configuration)
                .Layer(Layer.Database)
                .Breaker(PostgresDependency)
                .Timing(PhaseTiming.Connection))
            .AddPhase(Cache, CacheAsync, p => p
                .DependsOn(Database)
                .Optional()
                .Layer(Layer.Cache)
                .Breaker(RedisDependency)
                .Timing(PhaseTiming.Connection))
            .AddPhase(Services, ServicesAsync, p => p.DependsOn(Cache).Timing(PhaseTiming.Init))
            .AddPhase(WebSocket, WebSocketAsync, p => p.DependsOn(Services).Timing(PhaseTiming.Init))
            .AddPhase(Finalize, FinalizeAsync, p => p.DependsOn(WebSocket).Layer(Layer.Database).Timing(PhaseTiming.HealthCheck))

            // Critical (database category) and optional (cache category) by default. AddPostgres also registers the
            // NpgsqlDataSource ChatDatabase uses, its pool sized by the profile; AddRedis the options AnswerCache uses.
            .AddPostgres(PostgresDependency, configuration[SampleSettings.PostgresKey])
            .AddRedis(RedisDependency, configuration[SampleSettings.RedisKey]);
    }

    /// <summary>Reads and checks options and secrets: JWT secret (≥ 32 chars), PostgreSQL connection string, API key.</summary>
    private static Task ConfigurationAsync(PhaseContext context, CancellationToken cancellationToken)
    {
        var settings = context.Services.GetRequiredService<SampleSettings>();
        settings.Load(context.Services.GetRequiredService<IConfiguration>());
        LogConfigurationRead(context.Logger, settings.RedisConnectionString is not null);
        return Task.CompletedTask;
    }

    /// <summary>Probes PostgreSQL (a typed error names refused, timed out, auth, missing database), then creates the schema.</summary>
    private static async Task DatabaseAsync(PhaseContext context, CancellationToken cancellationToken)
    {
        var settings = context.Services.GetRequiredService<SampleSettings>();
        await context.RequireAsync(
            new TargetSpec { Name = PostgresDependency, Kind = TargetKinds.Postgres, Category = "database", ConnectionString = settings.PostgresConnectionString },
            cancellationToken);

        var database = context.Services.GetRequiredService<ChatDatabase>();
        if (settings.WarmUpConnections > 0)
        {
            await WarmUpAsync(database, settings, cancellationToken);
            LogWarmedUp(context.Logger, settings.WarmUpConnections);
        }

        try
        {
            await database.CreateSchemaAsync(cancellationToken);
            if (settings.DemoUser is { } demo)
            {
                await database.UpsertUserAsync(demo.Username, PasswordHashing.Hash(demo.Password), cancellationToken);
                LogDemoUser(context.Logger, demo.Username);
            }
        }
        catch (PostgresException ex)
        {
            throw new ProbeException(new ProbeError(ErrorKind.DatabaseSqlError, $"creating the schema failed: SQLSTATE {ex.SqlState}: {ex.MessageText}")
            {
                Phase = "query",
                Code = ex.SqlState,
                Exception = ex,
            });
        }

        LogSchemaReady(context.Logger, context.Attempt);
    }

    /// <summary>Opens the warm-up connections; a refusal (no slot left, auth, ...) becomes the typed error the postgres probe would report.</summary>
    private static async Task WarmUpAsync(ChatDatabase database, SampleSettings settings, CancellationToken cancellationToken)
    {
        try
        {
            await database.WarmUpAsync(settings.WarmUpConnections, cancellationToken);
        }
        catch (NpgsqlException ex)
        {
            var connection = new NpgsqlConnectionStringBuilder(settings.PostgresConnectionString);
            // host:port, or unix:/cloudsql/PROJECT:REGION:INSTANCE/.s.PGSQL.5432 for a socket (an absent one is then socket-missing).
            var endpoint = PostgresConnectionStrings.Endpoint(connection);
            var error = ex is PostgresException server
                ? PostgresErrors.FromServer(server, endpoint, "connect", connection.Username, connection.Database)
                : PostgresErrors.Describe(ex, endpoint, "connect", connection.Username, connection.Database);
            if (error is null)
            {
                throw;
            }

            throw new ProbeException(error with { Message = $"warming up {settings.WarmUpConnections} pooled connections: {error.Message}" });
        }
    }

    /// <summary>Connects to Redis (optional: a failure leaves the service degraded, answers uncached).</summary>
    private static async Task CacheAsync(PhaseContext context, CancellationToken cancellationToken)
    {
        var settings = context.Services.GetRequiredService<SampleSettings>();
        var cache = context.Services.GetRequiredService<AnswerCache>();

        // The connection is started before the probe so that, should Redis be down now, it keeps
        // reconnecting in the background and the cache is used again once Redis is back.
        cache.StartConnecting();
        await context.RequireAsync(
            new TargetSpec { Name = RedisDependency, Kind = TargetKinds.Redis, Category = "cache", Critical = false, ConnectionString = settings.RedisConnectionString },
            cancellationToken);
        await cache.PingAsync(cancellationToken);
        LogCacheReady(context.Logger);
    }

    /// <summary>Wires the agent and the token service, and proves both work: a self-check answer and a signed token that validates.</summary>
    private static async Task ServicesAsync(PhaseContext context, CancellationToken cancellationToken)
    {
        const string question = "what is 6 times 7?";
        if (CalculatorAgent.Answer(question) != "42")
        {
            throw new InvalidOperationException($"the {CalculatorAgent.Name} self-check failed: '{question}' was not answered 42");
        }

        var settings = context.Services.GetRequiredService<SampleSettings>();
        var tokens = context.Services.GetRequiredService<TokenIssuer>();
        var token = tokens.Issue(new UserRecord(0, "startup-self-check", string.Empty));
        var validation = await new JsonWebTokenHandler().ValidateTokenAsync(token, TokenIssuer.ValidationParameters(settings));
        if (!validation.IsValid)
        {
            throw new ProbeException(new ProbeError(ErrorKind.SecretInvalid, "a token signed with the JWT signing secret does not validate") { Phase = "config" });
        }

        LogServicesReady(context.Logger, CalculatorAgent.Name);
    }

    /// <summary>Opens <c>/ws</c> for sessions.</summary>
    private static Task WebSocketAsync(PhaseContext context, CancellationToken cancellationToken)
    {
        context.Services.GetRequiredService<ChatHub>().Open();
        LogChatOpen(context.Logger);
        return Task.CompletedTask;
    }

    /// <summary>Critical-path validation: every table the chat needs exists and answers.</summary>
    private static async Task FinalizeAsync(PhaseContext context, CancellationToken cancellationToken)
    {
        var database = context.Services.GetRequiredService<ChatDatabase>();
        var missing = await database.MissingTablesAsync(cancellationToken);
        if (missing.Count > 0)
        {
            throw new ProbeException(new ProbeError(ErrorKind.DatabaseSqlError, $"tables missing after schema creation: {string.Join(", ", missing)}") { Phase = "query" });
        }

        LogReady(context.Logger);
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Configuration read: JWT secret, PostgreSQL and API key present; Redis configured: {RedisConfigured}")]
    private static partial void LogConfigurationRead(ILogger logger, bool redisConfigured);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "PostgreSQL reachable and schema ready (attempt {Attempt})")]
    private static partial void LogSchemaReady(ILogger logger, int attempt);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Information, Message = "Connection pool warmed up: {Count} connections open")]
    private static partial void LogWarmedUp(ILogger logger, int count);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Information, Message = "Demo user {Username} created or updated")]
    private static partial void LogDemoUser(ILogger logger, string username);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "Redis reachable: answers are cached")]
    private static partial void LogCacheReady(ILogger logger);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "Services ready: agent {AgentName} and token service passed their self-checks")]
    private static partial void LogServicesReady(ILogger logger, string agentName);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Information, Message = "WebSocket /ws open")]
    private static partial void LogChatOpen(ILogger logger);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Information, Message = "Critical path validated: the service is ready")]
    private static partial void LogReady(ILogger logger);
}
