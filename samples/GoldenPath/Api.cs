using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Faultline.AspNetCore;
using Npgsql;

namespace GoldenPath;

/// <summary>The body of register and login.</summary>
internal sealed record Credentials(string? Username, string? Password);

internal sealed record TokenResponse(string Token);

/// <summary>Every API error: a stable code and a sentence for people. Never exception text.</summary>
internal sealed record ApiError(string Error, string Message);

/// <summary>The 503 body of a request refused because a dependency is unavailable: names the dependency.</summary>
internal sealed record DependencyError(string Error, string Dependency, string Reason, string Message);

internal sealed record MessageView(string Role, string Content, DateTimeOffset CreatedAt);

internal sealed record ConversationView(Guid RunId, string AgentName, DateTimeOffset CreatedAt, IReadOnlyList<MessageView> Messages)
{
    public static ConversationView From(ConversationRecord record) =>
        new(record.RunId, record.AgentName, record.CreatedAt, [.. record.Messages.Select(m => new MessageView(m.Role, m.Content, m.CreatedAt))]);
}

internal sealed record HistoryView(IReadOnlyList<ConversationView> Conversations);

/// <summary>The HTTP API: register, login, history, and the chat WebSocket.</summary>
internal static partial class Api
{
    public const int MinPasswordLength = 8;
    public const int MaxPasswordLength = 128;
    public const int MaxHistory = 100;

    public static void MapGoldenPathApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api");
        api.MapPost("/register", RegisterAsync);
        api.MapPost("/login", LoginAsync);
        api.MapGet("/history", HistoryAsync).RequireAuthorization();
        api.MapGet("/conversations/{runId:guid}", ConversationAsync).RequireAuthorization();
        app.MapGet("/ws", ChatAsync).RequireAuthorization();
    }

    public static IResult Error(int status, string code, string message) =>
        Results.Json(new ApiError(code, message), JsonDefaults.Options, statusCode: status);

    private static async Task<IResult> RegisterAsync(HttpRequest request, ChatDatabase database, TokenIssuer tokens, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger(typeof(Api));
        var (credentials, problem) = await ReadCredentialsAsync(request);
        if (problem is not null)
        {
            return problem;
        }

        var (username, password) = credentials!.Value;
        try
        {
            var user = await database.TryAddUserAsync(username, PasswordHashing.Hash(password), request.HttpContext.RequestAborted);
            if (user is null)
            {
                LogRegisterConflict(logger, username);
                return Error(StatusCodes.Status409Conflict, "username_taken", $"the username '{username}' is already registered");
            }

            LogRegistered(logger, username);
            return Results.Json(new TokenResponse(tokens.Issue(user)), JsonDefaults.Options, statusCode: StatusCodes.Status201Created);
        }
        catch (DependencyUnavailableException ex)
        {
            LogDependencyUnavailable(logger, "register", ex.Dependency, ex.Message);
            return DependencyUnavailable(request.HttpContext.Response, ex);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            LogDatabaseFailed(logger, "register", ex);
            return DatabaseUnavailable();
        }
    }

    private static async Task<IResult> LoginAsync(HttpRequest request, ChatDatabase database, TokenIssuer tokens, Drills drills, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger(typeof(Api));
        if (drills.IsOn(Drills.Login500))
        {
            throw new DrillException($"drill {Drills.Login500}: login fails on purpose");
        }

        var (credentials, problem) = await ReadCredentialsAsync(request);
        if (problem is not null)
        {
            return problem;
        }

        var (username, password) = credentials!.Value;
        try
        {
            var user = await database.FindUserAsync(username, request.HttpContext.RequestAborted);
            if (!PasswordHashing.Verify(password, user?.PasswordHash) || user is null)
            {
                LogLoginRejected(logger, username);
                return Error(StatusCodes.Status401Unauthorized, "invalid_credentials", "unknown username or wrong password");
            }

            LogLoggedIn(logger, username);
            return Results.Json(new TokenResponse(tokens.Issue(user)), JsonDefaults.Options);
        }
        catch (DependencyUnavailableException ex)
        {
            LogDependencyUnavailable(logger, "login", ex.Dependency, ex.Message);
            return DependencyUnavailable(request.HttpContext.Response, ex);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            LogDatabaseFailed(logger, "login", ex);
            return DatabaseUnavailable();
        }
    }

    private static async Task<IResult> HistoryAsync(HttpContext context, ChatDatabase database, ILoggerFactory loggers, int? limit)
    {
        if (TokenIssuer.UserOf(context.User) is not { } user)
        {
            return Unauthorized();
        }

        var take = Math.Clamp(limit ?? 20, 1, MaxHistory);
        try
        {
            var conversations = await database.HistoryAsync(user.Id, take, context.RequestAborted);
            return Results.Json(new HistoryView([.. conversations.Select(ConversationView.From)]), JsonDefaults.Options);
        }
        catch (DependencyUnavailableException ex)
        {
            LogDependencyUnavailable(loggers.CreateLogger(typeof(Api)), "history", ex.Dependency, ex.Message);
            return DependencyUnavailable(context.Response, ex);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            LogDatabaseFailed(loggers.CreateLogger(typeof(Api)), "history", ex);
            return DatabaseUnavailable();
        }
    }

    private static async Task<IResult> ConversationAsync(HttpContext context, Guid runId, ChatDatabase database, ILoggerFactory loggers)
    {
        if (TokenIssuer.UserOf(context.User) is not { } user)
        {
            return Unauthorized();
        }

        try
        {
            var conversation = await database.FindConversationAsync(user.Id, runId, context.RequestAborted);
            return conversation is null
                ? Error(StatusCodes.Status404NotFound, "not_found", "no conversation of yours has this run id")
                : Results.Json(ConversationView.From(conversation), JsonDefaults.Options);
        }
        catch (DependencyUnavailableException ex)
        {
            LogDependencyUnavailable(loggers.CreateLogger(typeof(Api)), "conversation", ex.Dependency, ex.Message);
            return DependencyUnavailable(context.Response, ex);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            LogDatabaseFailed(loggers.CreateLogger(typeof(Api)), "conversation", ex);
            return DatabaseUnavailable();
        }
    }

    private static async Task<IResult> ChatAsync(HttpContext context, ChatHub hub)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            return Error(StatusCodes.Status400BadRequest, "websocket_required", "GET /ws must be a WebSocket upgrade request");
        }

        if (!hub.IsOpen)
        {
            return Error(StatusCodes.Status503ServiceUnavailable, "starting", "the chat is not open yet");
        }

        if (TokenIssuer.UserOf(context.User) is not { } user)
        {
            return Unauthorized();
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        await hub.RunAsync(socket, user, context.RequestAborted);
        return Results.Empty;
    }

    public static IResult Unauthorized() =>
        Error(StatusCodes.Status401Unauthorized, "unauthorized", "a valid bearer token is required (Authorization: Bearer TOKEN, or ?access_token=TOKEN for /ws)");

    private static IResult DatabaseUnavailable() =>
        Error(StatusCodes.Status503ServiceUnavailable, "database_unavailable", "the database is not reachable; try again later");

    /// <summary>503 naming the dependency (with Retry-After while its circuit is open): refused at once, not after a connection timeout.</summary>
    private static IResult DependencyUnavailable(HttpResponse response, DependencyUnavailableException exception)
    {
        if (exception.RetryAfter is { } after && after > TimeSpan.Zero)
        {
            response.Headers.RetryAfter = ((int)Math.Ceiling(after.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        var reason = exception.Reason == DependencyUnavailableReason.CircuitOpen ? "circuit-open" : "timed-out";
        return Results.Json(
            new DependencyError("dependency_unavailable", exception.Dependency, reason, exception.Message + "; try again later"),
            JsonDefaults.Options,
            statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    private static async Task<((string Username, string Password)? Credentials, IResult? Problem)> ReadCredentialsAsync(HttpRequest request)
    {
        if (!request.HasJsonContentType())
        {
            return (null, Error(StatusCodes.Status400BadRequest, "invalid_request", "send a JSON body {\"username\": \"...\", \"password\": \"...\"}"));
        }

        Credentials? body;
        try
        {
            body = await request.ReadFromJsonAsync<Credentials>(JsonDefaults.Options, request.HttpContext.RequestAborted);
        }
        catch (JsonException)
        {
            return (null, Error(StatusCodes.Status400BadRequest, "invalid_request", "the body is not valid JSON {\"username\": \"...\", \"password\": \"...\"}"));
        }

        var username = body?.Username?.Trim().ToLowerInvariant();
        if (!IsValidUsername(username))
        {
            return (null, Error(StatusCodes.Status400BadRequest, "invalid_username", "username must be 3 to 64 characters: letters, digits, '.', '_' or '-'"));
        }

        var password = body!.Password;
        if (!IsValidPassword(password))
        {
            return (null, Error(StatusCodes.Status400BadRequest, "invalid_password", $"password must be {MinPasswordLength} to {MaxPasswordLength} characters"));
        }

        return ((username, password), null);
    }

    /// <summary>3 to 64 characters of a-z, 0-9, '.', '_', '-' (names are lower-cased first).</summary>
    public static bool IsValidUsername([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? username) =>
        !string.IsNullOrEmpty(username) && UsernamePattern().IsMatch(username);

    public static bool IsValidPassword([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? password) =>
        password is not null && password.Length is >= MinPasswordLength and <= MaxPasswordLength;

    [GeneratedRegex("^[a-z0-9._-]{3,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex UsernamePattern();

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "User {Username} registered")]
    private static partial void LogRegistered(ILogger logger, string username);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Registration refused: {Username} is taken")]
    private static partial void LogRegisterConflict(ILogger logger, string username);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Information, Message = "User {Username} logged in")]
    private static partial void LogLoggedIn(ILogger logger, string username);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "Login refused for {Username}")]
    private static partial void LogLoginRejected(ILogger logger, string username);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Warning, Message = "Refused {Operation}: {Dependency} unavailable: {Reason}")]
    private static partial void LogDependencyUnavailable(ILogger logger, string operation, string dependency, string reason);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Error, Message = "Database call failed during {Operation}")]
    private static partial void LogDatabaseFailed(ILogger logger, string operation, Exception exception);
}
