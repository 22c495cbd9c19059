using Faultline.AspNetCore;
using Npgsql;
using Polly;
using Polly.Registry;

namespace GoldenPath;

/// <summary>A registered user.</summary>
internal sealed record UserRecord(long Id, string Username, string PasswordHash);

/// <summary>One stored message of a conversation.</summary>
internal sealed record MessageRecord(string Role, string Content, DateTimeOffset CreatedAt);

/// <summary>A stored conversation: the user's message and the agent's answer under one run id.</summary>
internal sealed record ConversationRecord(Guid RunId, string AgentName, DateTimeOffset CreatedAt, IReadOnlyList<MessageRecord> Messages);

/// <summary>
/// Users, conversations and messages in PostgreSQL. The data source is created from the checked
/// connection string on first use (after the configuration phase) and owned by the container.
/// </summary>
/// <remarks>
/// Request-path calls go through the <c>postgres</c> dependency's Faultline pipelines (timeout and the
/// circuit breaker its startup phase and background check share; reads through the idempotent one, with
/// retries): while PostgreSQL is down they fail fast with <see cref="DependencyUnavailableException"/>
/// instead of each waiting for a connection timeout. Startup work (schema, warm-up) is guarded by the
/// startup plan instead.
/// </remarks>
internal sealed class ChatDatabase(NpgsqlDataSource dataSource, TimeProvider time, ResiliencePipelineProvider<string> pipelines)
{
    private readonly ResiliencePipeline _writes = pipelines.GetPipeline(StartupPhases.PostgresDependency);
    private readonly ResiliencePipeline _reads = pipelines.GetPipeline(FaultlinePipelines.Idempotent(StartupPhases.PostgresDependency));

    /// <summary>Serialises concurrent schema creation by several instances starting at once.</summary>
    private const long SchemaLockId = 0x601D_E7A7;

    private const string UniqueViolation = "23505";

    private const string SchemaSql = """
        CREATE TABLE IF NOT EXISTS users (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            username text NOT NULL UNIQUE,
            password_hash text NOT NULL,
            created_at timestamptz NOT NULL
        );
        CREATE TABLE IF NOT EXISTS conversations (
            run_id uuid PRIMARY KEY,
            user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            agent_name text NOT NULL,
            created_at timestamptz NOT NULL
        );
        CREATE INDEX IF NOT EXISTS conversations_user_created ON conversations (user_id, created_at DESC);
        CREATE TABLE IF NOT EXISTS messages (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            run_id uuid NOT NULL REFERENCES conversations (run_id) ON DELETE CASCADE,
            role text NOT NULL CHECK (role IN ('user', 'agent')),
            content text NOT NULL,
            created_at timestamptz NOT NULL
        );
        CREATE INDEX IF NOT EXISTS messages_run ON messages (run_id, id);
        """;

    /// <summary>The tables the service cannot work without, checked by the finalize phase.</summary>
    public static IReadOnlyList<string> RequiredTables { get; } = ["users", "conversations", "messages"];

    /// <summary>Opens one connection (a round trip proves the pool can serve requests).</summary>
    public async Task PingAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT 1");
        await command.ExecuteScalarAsync(cancellationToken);
    }

    /// <summary>
    /// Opens <paramref name="count"/> connections together and returns them to the pool, where they stay
    /// open for the requests to come (a pool warmed at startup). When one cannot be opened, the pool is
    /// cleared before the error goes up, so a failed attempt holds no connection slot.
    /// </summary>
    public async Task WarmUpAsync(int count, CancellationToken cancellationToken)
    {
        var opening = Enumerable.Range(0, count).Select(_ => dataSource.OpenConnectionAsync(cancellationToken).AsTask()).ToList();
        try
        {
            await Task.WhenAll(opening);
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException)
        {
            await DisposeOpenedAsync(opening);
            dataSource.Clear();
            throw;
        }

        await DisposeOpenedAsync(opening);
    }

    private static async Task DisposeOpenedAsync(List<Task<NpgsqlConnection>> opening)
    {
        foreach (var task in opening)
        {
            if (task.IsCompletedSuccessfully)
            {
                await task.Result.DisposeAsync();
            }
        }
    }

    /// <summary>Creates the schema; safe to run any number of times and from several instances at once.</summary>
    public async Task CreateSchemaAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@id)", connection, transaction))
        {
            command.Parameters.AddWithValue("id", SchemaLockId);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var command = new NpgsqlCommand(SchemaSql, connection, transaction))
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>The required tables that do not exist (empty when the schema is complete).</summary>
    public async Task<IReadOnlyList<string>> MissingTablesAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT t FROM unnest(@tables) AS t WHERE to_regclass(t) IS NULL ORDER BY t");
        command.Parameters.AddWithValue("tables", RequiredTables.ToArray());
        var missing = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            missing.Add(reader.GetString(0));
        }

        return missing;
    }

    /// <summary>Adds a user; null when the name is taken.</summary>
    public ValueTask<UserRecord?> TryAddUserAsync(string username, string passwordHash, CancellationToken cancellationToken) =>
        _writes.ExecuteAsync(
            async token =>
            {
                await using var command = dataSource.CreateCommand(
                    "INSERT INTO users (username, password_hash, created_at) VALUES (@username, @hash, @created) RETURNING id");
                command.Parameters.AddWithValue("username", username);
                command.Parameters.AddWithValue("hash", passwordHash);
                command.Parameters.AddWithValue("created", time.GetUtcNow());
                try
                {
                    var id = (long)(await command.ExecuteScalarAsync(token))!;
                    return new UserRecord(id, username, passwordHash);
                }
                catch (PostgresException ex) when (ex.SqlState == UniqueViolation)
                {
                    return null;
                }
            },
            cancellationToken);

    /// <summary>Creates the user, or sets its password when it exists (so a rotated demo password takes effect on restart).</summary>
    public async Task UpsertUserAsync(string username, string passwordHash, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            INSERT INTO users (username, password_hash, created_at) VALUES (@username, @hash, @created)
            ON CONFLICT (username) DO UPDATE SET password_hash = EXCLUDED.password_hash
            """);
        command.Parameters.AddWithValue("username", username);
        command.Parameters.AddWithValue("hash", passwordHash);
        command.Parameters.AddWithValue("created", time.GetUtcNow());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public ValueTask<UserRecord?> FindUserAsync(string username, CancellationToken cancellationToken) =>
        _reads.ExecuteAsync(
            async token =>
            {
                await using var command = dataSource.CreateCommand("SELECT id, username, password_hash FROM users WHERE username = @username");
                command.Parameters.AddWithValue("username", username);
                await using var reader = await command.ExecuteReaderAsync(token);
                return await reader.ReadAsync(token)
                    ? new UserRecord(reader.GetInt64(0), reader.GetString(1), reader.GetString(2))
                    : null;
            },
            cancellationToken);

    /// <summary>Stores one exchange (the user's message and the answer) atomically.</summary>
    public ValueTask SaveExchangeAsync(Guid runId, long userId, string agentName, string question, string answer, CancellationToken cancellationToken) =>
        _writes.ExecuteAsync(
            token => new ValueTask(InsertExchangeAsync(runId, userId, agentName, question, answer, token)),
            cancellationToken);

    private async Task InsertExchangeAsync(Guid runId, long userId, string agentName, string question, string answer, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var command = new NpgsqlCommand(
            "INSERT INTO conversations (run_id, user_id, agent_name, created_at) VALUES (@run, @user, @agent, @created)", connection, transaction))
        {
            command.Parameters.AddWithValue("run", runId);
            command.Parameters.AddWithValue("user", userId);
            command.Parameters.AddWithValue("agent", agentName);
            command.Parameters.AddWithValue("created", now);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var command = new NpgsqlCommand(
            "INSERT INTO messages (run_id, role, content, created_at) VALUES (@run, 'user', @question, @created), (@run, 'agent', @answer, @created)",
            connection,
            transaction))
        {
            command.Parameters.AddWithValue("run", runId);
            command.Parameters.AddWithValue("question", question);
            command.Parameters.AddWithValue("answer", answer);
            command.Parameters.AddWithValue("created", now);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>One conversation of this user; null when it does not exist or belongs to someone else.</summary>
    public async Task<ConversationRecord?> FindConversationAsync(long userId, Guid runId, CancellationToken cancellationToken)
    {
        var list = await ReadConversationsAsync(
            "WHERE c.user_id = @user AND c.run_id = @run",
            command => command.Parameters.AddWithValue("run", runId),
            userId,
            limit: 1,
            cancellationToken);
        return list.Count == 0 ? null : list[0];
    }

    /// <summary>The user's latest conversations, newest first.</summary>
    public Task<IReadOnlyList<ConversationRecord>> HistoryAsync(long userId, int limit, CancellationToken cancellationToken) =>
        ReadConversationsAsync("WHERE c.user_id = @user", _ => { }, userId, limit, cancellationToken);

    private Task<IReadOnlyList<ConversationRecord>> ReadConversationsAsync(
        string where,
        Action<NpgsqlCommand> bind,
        long userId,
        int limit,
        CancellationToken cancellationToken) =>
        _reads.ExecuteAsync(
            token => new ValueTask<IReadOnlyList<ConversationRecord>>(QueryConversationsAsync(where, bind, userId, limit, token)),
            cancellationToken).AsTask();

    private async Task<IReadOnlyList<ConversationRecord>> QueryConversationsAsync(
        string where,
        Action<NpgsqlCommand> bind,
        long userId,
        int limit,
        CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT c.run_id, c.agent_name, c.created_at, m.role, m.content, m.created_at
            FROM (SELECT * FROM conversations c {where} ORDER BY c.created_at DESC, c.run_id LIMIT @limit) AS c
            JOIN messages m ON m.run_id = c.run_id
            ORDER BY c.created_at DESC, c.run_id, m.id
            """);
        command.Parameters.AddWithValue("user", userId);
        command.Parameters.AddWithValue("limit", limit);
        bind(command);
        var conversations = new List<ConversationRecord>();
        var messages = new List<MessageRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var runId = reader.GetGuid(0);
            if (conversations.Count == 0 || conversations[^1].RunId != runId)
            {
                messages = [];
                conversations.Add(new ConversationRecord(runId, reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), messages));
            }

            messages.Add(new MessageRecord(reader.GetString(3), reader.GetString(4), reader.GetFieldValue<DateTimeOffset>(5)));
        }

        return conversations;
    }
}
