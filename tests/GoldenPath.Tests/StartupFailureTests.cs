using System.Net;
using System.Text.Json;
using Faultline.TestSupport;

namespace GoldenPath.Tests;

/// <summary>
/// GoldenPath as a real process with one fault injected: the process must end with exit code 3 and
/// name the phase, the layer and the cause on stderr and in the termination-message file, without
/// any secret value.
/// </summary>
[Trait(TestTiers.Name, TestTiers.Services)]
[Collection(LocalServices.Collection)]
public sealed class StartupFailureTests(LocalServices services) : IAsyncLifetime
{
    /// <summary>
    /// The Lab profile gives the database phase (connection timing) 2 attempts of 2 s with at most
    /// 1 s of backoff between them: it can never take longer than this.
    /// </summary>
    private static readonly TimeSpan LabDatabaseBudget = (2 * TimeSpan.FromSeconds(2)) + TimeSpan.FromSeconds(1);

    /// <summary>Process start and shutdown on a busy machine. Generous on purpose: the point is that it ends, and ends with 3.</summary>
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan ExitDeadline = LabDatabaseBudget + Margin;

    private readonly string _jwtSecret = TestStack.NewJwtSecret();
    private readonly string _apiKey = TestStack.NewApiKey();
    private readonly string _scratch = Directory.CreateTempSubdirectory("goldenpath-").FullName;
    private PrivateDatabase _database = null!;

    private string TerminationFile => Path.Combine(_scratch, "termination-log");

    public async Task InitializeAsync() => _database = await PrivateDatabase.CreateAsync(services);

    public async Task DisposeAsync()
    {
        await _database.DisposeAsync();
        Directory.Delete(_scratch, recursive: true);
    }

    [Fact]
    public async Task Run_PostgresPortClosed_ExitsWith3NamingDatabaseConnectionRefused()
    {
        var environment = Environment();
        environment["ConnectionStrings__Postgres"] = $"Host=127.0.0.1;Port={GoldenPathProcess.FreePort()};Username=faultline;Password={services.PgPassword};Database=faultline;SSL Mode=Disable";

        var (exitCode, app, termination) = await RunToExitAsync(environment);

        Assert.Equal(3, exitCode);
        Assert.Equal("database", termination.GetProperty("phase").GetString());
        Assert.Equal("database", termination.GetProperty("layer").GetString());
        Assert.Equal("infrastructure", termination.GetProperty("side").GetString());
        Assert.Equal("connection-refused", termination.GetProperty("errorKind").GetString());
        Assert.Equal(2, termination.GetProperty("attempts").GetInt32());
        Assert.InRange(termination.GetProperty("elapsedMs").GetDouble(), 0, (LabDatabaseBudget + TimeSpan.FromSeconds(5)).TotalMilliseconds);
        Assert.InRange(app.Elapsed.Elapsed, TimeSpan.Zero, ExitDeadline);
        Assert.Contains("database", app.Stderr, StringComparison.Ordinal);
        Assert.Contains("connection-refused", app.Stderr, StringComparison.Ordinal);
        AssertNoSecret(app, services.PgPassword);
    }

    [Fact]
    public async Task Run_CloudSqlSocketAbsent_ExitsWith3NamingSocketMissingOnTheNetworkLayer()
    {
        // The incident's connection string on a service the Cloud SQL instance is not attached to.
        const string Instance = "/cloudsql/faultline-test:europe-west1:not-attached";
        Assert.False(Directory.Exists(Instance));
        var environment = Environment();
        environment["ConnectionStrings__Postgres"] = $"Host={Instance};Username=faultline;Password={services.PgPassword};Database=faultline";

        var (exitCode, app, termination) = await RunToExitAsync(environment);

        Assert.Equal(3, exitCode);
        Assert.Equal("database", termination.GetProperty("phase").GetString());
        Assert.Equal("network", termination.GetProperty("layer").GetString());
        Assert.Equal("infrastructure", termination.GetProperty("side").GetString());
        Assert.Equal("socket-missing", termination.GetProperty("errorKind").GetString());
        Assert.Contains($"no Cloud SQL proxy socket at {Instance}/.s.PGSQL.5432: is the instance attached to the service?", termination.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains("socket-missing", app.Stderr, StringComparison.Ordinal);
        Assert.Contains($"{Instance}/.s.PGSQL.5432", app.Stderr, StringComparison.Ordinal);
        AssertNoSecret(app, services.PgPassword);
    }

    [Fact]
    public async Task Run_JwtSecretMissing_ExitsWith3NamingConfigurationAndTheSecret()
    {
        var environment = Environment();
        environment.Remove("Jwt__Secret");

        var (exitCode, app, termination) = await RunToExitAsync(environment);

        Assert.Equal(3, exitCode);
        AssertSecretFailure(app, termination, "secret-missing");
    }

    [Theory]
    [InlineData("ConnectionStrings__Postgres", null, "secret-missing", "ConnectionStrings:Postgres")]
    [InlineData("ConnectionStrings__Postgres", "Hots=db;Password=pg-value-51c2", "secret-invalid", "ConnectionStrings:Postgres")]
    [InlineData("Faultline__ApiKey", "", "secret-missing", "Faultline:ApiKey")]
    public async Task Run_RequiredValueMissingOrInvalid_ExitsWith3NamingTheKey(string variable, string? value, string errorKind, string key)
    {
        var environment = Environment();
        if (value is null)
        {
            environment.Remove(variable);
        }
        else
        {
            environment[variable] = value;
        }

        var (exitCode, app, termination) = await RunToExitAsync(environment);

        Assert.Equal(3, exitCode);
        Assert.Equal("configuration", termination.GetProperty("phase").GetString());
        Assert.Equal("configuration", termination.GetProperty("layer").GetString());
        Assert.Equal(errorKind, termination.GetProperty("errorKind").GetString());
        Assert.Contains(key, termination.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains(key, app.Stderr, StringComparison.Ordinal);
        AssertNoSecret(app, "pg-value-51c2");
        AssertNoSecret(app, _jwtSecret);
    }

    [Fact]
    public async Task Run_JwtSecretTooShort_ExitsWith3SecretInvalidWithoutTheValue()
    {
        var environment = Environment();
        environment["Jwt__Secret"] = "short-jwt-value-7f3a";

        var (exitCode, app, termination) = await RunToExitAsync(environment);

        Assert.Equal(3, exitCode);
        AssertSecretFailure(app, termination, "secret-invalid");
        AssertNoSecret(app, "short-jwt-value-7f3a");
    }

    [Fact]
    public async Task Run_SecretsDirectoryWithoutJwtSecretFile_ExitsWith3()
    {
        var secrets = SecretsDirectory();
        File.Delete(Path.Combine(secrets, "Jwt__Secret"));
        var environment = Environment();
        foreach (var key in new[] { "Jwt__Secret", "ConnectionStrings__Postgres", "Faultline__ApiKey" })
        {
            environment.Remove(key);
        }

        environment["Secrets__Directory"] = secrets;

        var (exitCode, app, termination) = await RunToExitAsync(environment);

        Assert.Equal(3, exitCode);
        AssertSecretFailure(app, termination, "secret-missing");
    }

    [Fact]
    public async Task Run_EmptyJwtSecretFile_OverridesEnvironmentAndExitsWith3()
    {
        var secrets = SecretsDirectory();
        await File.WriteAllTextAsync(Path.Combine(secrets, "Jwt__Secret"), string.Empty);
        var environment = Environment();
        environment["Secrets__Directory"] = secrets;

        var (exitCode, app, termination) = await RunToExitAsync(environment);

        Assert.Equal(3, exitCode);
        AssertSecretFailure(app, termination, "secret-missing");
    }

    [Fact]
    public async Task Run_SecretsDirectoryComplete_StartsWithoutEnvironmentSecrets()
    {
        var secrets = SecretsDirectory();
        var environment = Environment();
        foreach (var key in new[] { "Jwt__Secret", "ConnectionStrings__Postgres", "Faultline__ApiKey" })
        {
            environment.Remove(key);
        }

        environment["Secrets__Directory"] = secrets;
        await using var app = GoldenPathProcess.Start(environment);

        await app.WaitUntilReadyAsync(TimeSpan.FromSeconds(90));
        using var client = app.CreateClient();
        var (_, _, events) = await ChatClient.GoldenPathAsync(client, "what is 6 times 7?");

        Assert.Equal("42", events[^1].GetProperty("payload").GetProperty("text").GetString());
    }

    private Dictionary<string, string> Environment()
    {
        var environment = TestStack.Healthy(services, _database, _jwtSecret, _apiKey);
        environment["Faultline__TerminationMessagePath"] = TerminationFile;
        return environment;
    }

    /// <summary>A secrets directory holding every secret of a healthy stack, one file each.</summary>
    private string SecretsDirectory()
    {
        var directory = Directory.CreateDirectory(Path.Combine(_scratch, "secrets")).FullName;
        File.WriteAllText(Path.Combine(directory, "Jwt__Secret"), _jwtSecret + "\n");
        File.WriteAllText(Path.Combine(directory, "ConnectionStrings__Postgres"), _database.ConnectionString);
        File.WriteAllText(Path.Combine(directory, "Faultline__ApiKey"), _apiKey);
        return directory;
    }

    private async Task<(int ExitCode, GoldenPathProcess App, JsonElement Termination)> RunToExitAsync(Dictionary<string, string> environment)
    {
        var app = GoldenPathProcess.Start(environment);
        await using (app)
        {
            var exitCode = await app.WaitForExitAsync(ExitDeadline);
            Assert.True(File.Exists(TerminationFile), $"the termination message file was written (exit code {exitCode}).{System.Environment.NewLine}{app.Output}");
            var lines = (await File.ReadAllTextAsync(TerminationFile)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            using var json = JsonDocument.Parse(Assert.Single(lines));
            return (exitCode, app, json.RootElement.Clone());
        }
    }

    private void AssertSecretFailure(GoldenPathProcess app, JsonElement termination, string errorKind)
    {
        Assert.Equal("configuration", termination.GetProperty("phase").GetString());
        Assert.Equal("configuration", termination.GetProperty("layer").GetString());
        Assert.Equal(errorKind, termination.GetProperty("errorKind").GetString());
        var message = termination.GetProperty("message").GetString()!;
        Assert.Contains("JWT signing secret", message, StringComparison.Ordinal);
        Assert.Contains("Jwt:Secret", message, StringComparison.Ordinal);
        Assert.Contains("configuration", app.Stderr, StringComparison.Ordinal);
        Assert.Contains("Jwt:Secret", app.Stderr, StringComparison.Ordinal);
        Assert.Contains(errorKind, app.Stderr, StringComparison.Ordinal);
        AssertNoSecret(app, _jwtSecret);
        AssertNoSecret(app, _apiKey);
        AssertNoSecret(app, services.PgPassword);
    }

    private void AssertNoSecret(GoldenPathProcess app, string secret)
    {
        Assert.DoesNotContain(secret, app.Output, StringComparison.Ordinal);
        if (File.Exists(TerminationFile))
        {
            Assert.DoesNotContain(secret, File.ReadAllText(TerminationFile), StringComparison.Ordinal);
        }
    }
}

/// <summary>Redis is optional: with its port closed the service runs degraded and the golden path still answers.</summary>
[Trait(TestTiers.Name, TestTiers.Services)]
[Collection(LocalServices.Collection)]
public sealed class RedisDownTests(LocalServices services) : IAsyncLifetime
{
    private PrivateDatabase _database = null!;

    public async Task InitializeAsync() => _database = await PrivateDatabase.CreateAsync(services);

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task Run_RedisPortClosed_DegradedReadyAndGoldenPathWorks()
    {
        var apiKey = TestStack.NewApiKey();
        var environment = TestStack.Healthy(services, _database, TestStack.NewJwtSecret(), apiKey);
        environment["ConnectionStrings__Redis"] = $"redis://:{services.RedisPassword}@127.0.0.1:{GoldenPathProcess.FreePort()}/0";
        await using var app = GoldenPathProcess.Start(environment);

        await app.WaitUntilReadyAsync(TimeSpan.FromSeconds(90));
        var infrastructure = await HealthProbe.WaitForInfrastructureStatusAsync(app, apiKey, "degraded");
        using var client = app.CreateClient();
        using var ready = await client.GetAsync(new Uri("health/ready", UriKind.Relative));
        var (_, _, events) = await ChatClient.GoldenPathAsync(client, "what is 6 times 7?");

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var redis = infrastructure.GetProperty("components").GetProperty("redis");
        Assert.Equal("cache", redis.GetProperty("layer").GetString());
        Assert.False(redis.GetProperty("critical").GetBoolean());
        Assert.Equal("healthy", infrastructure.GetProperty("components").GetProperty("postgres").GetProperty("status").GetString());
        var completed = events.Single(e => e.GetProperty("type").GetString() == "agent_completed").GetProperty("payload");
        Assert.Equal("42", completed.GetProperty("answer").GetString());
        Assert.True(completed.GetProperty("stored").GetBoolean());
        Assert.False(completed.GetProperty("cached").GetBoolean());
        Assert.Contains("not cached", app.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(services.RedisPassword, app.Output, StringComparison.Ordinal);
    }
}
