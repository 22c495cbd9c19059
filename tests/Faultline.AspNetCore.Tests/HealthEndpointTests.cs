using System.Net;
using System.Net.Sockets;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.TestSupport;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Faultline.AspNetCore.Tests;

public sealed class HealthEndpointTests
{
    private const string ApiKey = "k3y-for-health-detail-0123456789";

    private static Task Ok(PhaseContext context, CancellationToken cancellationToken) => Task.CompletedTask;

    private static TargetSpec Tcp(string name, int port, bool critical = true) =>
        new() { Name = name, Kind = TargetKinds.Tcp, Host = "127.0.0.1", Port = port, Critical = critical, Timeout = TimeSpan.FromSeconds(2) };

    [Fact]
    public async Task Endpoints_WhileStarting_LiveAnswersAndEverythingElseIsStarting()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = await TestApp.StartAsync((f, _) => f.AddPhase("database", (_, ct) => release.Task.WaitAsync(ct), p => p.AttemptTimeout(TimeSpan.FromSeconds(60))));

        var live = await app.GetAsync("/health/live");
        Assert.Equal(HttpStatusCode.OK, live.Status);
        Assert.Equal("alive", live.Body.GetProperty("status").GetString());

        var startup = await app.GetAsync("/health/startup");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, startup.Status);
        Assert.Equal("running", startup.Body.GetProperty("status").GetString());
        Assert.Equal("running", startup.Body.GetProperty("phases")[0].GetProperty("status").GetString());

        foreach (var path in new[] { "/health/ready", "/api/hello" })
        {
            var gated = await app.GetAsync(path);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, gated.Status);
            Assert.Equal("starting", gated.Body.GetProperty("status").GetString());
            Assert.Equal("5", gated.Response.Headers.GetValues("Retry-After").Single());
        }

        release.SetResult();
        await app.WaitForStartupAsync();

        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync("/health/startup")).Status);
        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync("/health/ready")).Status);
        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync("/api/hello")).Status);
    }

    [Fact]
    public async Task Infrastructure_CriticalDependencyUp_HealthyWithComponentDetail()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        await using var app = await TestApp.StartAsync((f, _) => f.AddPhase("configuration", Ok).AddDependency(Tcp("upstream", port)));
        await app.WaitForStartupAsync();
        await app.WaitForRoundsAsync();

        var (status, body, _, _) = await app.GetAsync("/health/infrastructure");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("healthy", body.GetProperty("status").GetString());
        Assert.Equal("Faultline.AspNetCore.Tests", body.GetProperty("service").GetString());
        Assert.Equal("Development", body.GetProperty("environment").GetString());
        var component = body.GetProperty("components").GetProperty("upstream");
        Assert.Equal("healthy", component.GetProperty("status").GetString());
        Assert.Equal("network", component.GetProperty("layer").GetString());
        Assert.True(component.GetProperty("critical").GetBoolean());
        Assert.True(component.GetProperty("latencyMs").GetDouble() >= 0);
        Assert.Equal(System.Text.Json.JsonValueKind.String, component.GetProperty("lastCheckedAt").ValueKind);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, component.GetProperty("errorKind").ValueKind);
        Assert.Equal("closed", component.GetProperty("breaker").GetString());
        Assert.Equal("healthy", body.GetProperty("networkPath").GetProperty("overall").GetString());
        Assert.Equal(0, body.GetProperty("networkPath").GetProperty("degradedCount").GetInt32());
        Assert.Equal(0, body.GetProperty("remedies").GetArrayLength());

        var ready = await app.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.Status);
        Assert.Equal("ready", ready.Body.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Infrastructure_CriticalDependencyDown_UnhealthyAndNotReady()
    {
        var port = TestServers.ClosedPort();
        await using var app = await TestApp.StartAsync((f, _) => f.AddPhase("configuration", Ok).AddDependency(Tcp("upstream", port)));
        await app.WaitForStartupAsync();
        await app.WaitForRoundsAsync();

        var (status, body, _, _) = await app.GetAsync("/health/infrastructure");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("unhealthy", body.GetProperty("status").GetString());
        var component = body.GetProperty("components").GetProperty("upstream");
        Assert.Equal("unhealthy", component.GetProperty("status").GetString());
        Assert.Equal("network", component.GetProperty("layer").GetString());
        Assert.Equal("infrastructure", component.GetProperty("side").GetString());
        Assert.Equal("connection-refused", component.GetProperty("errorKind").GetString());
        Assert.Equal("unhealthy", body.GetProperty("networkPath").GetProperty("overall").GetString());
        Assert.Equal(1, body.GetProperty("networkPath").GetProperty("degradedCount").GetInt32());
        Assert.True(body.GetProperty("remedies").GetArrayLength() > 0);

        var ready = await app.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.Status);
        Assert.Equal("not-ready", ready.Body.GetProperty("status").GetString());
        Assert.Equal("upstream", ready.Body.GetProperty("failing")[0].GetString());
    }

    [Fact]
    public async Task Infrastructure_OptionalDependencyDown_DegradedWith200()
    {
        var port = TestServers.ClosedPort();
        await using var app = await TestApp.StartAsync((f, _) => f.AddPhase("configuration", Ok).AddDependency(Tcp("metrics", port, critical: false)));
        await app.WaitForStartupAsync();
        await app.WaitForRoundsAsync();

        var (status, body, _, _) = await app.GetAsync("/health/infrastructure");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("degraded", body.GetProperty("status").GetString());
        Assert.False(body.GetProperty("components").GetProperty("metrics").GetProperty("critical").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync("/health/ready")).Status);
    }

    [Fact]
    public async Task Detail_OutsideDevelopmentWithoutKey_StatusOnlyWithSameCode()
    {
        var port = TestServers.ClosedPort();
        await using var app = await TestApp.StartAsync(
            (f, _) => f.AddPhase("configuration", Ok).AddDependency(Tcp("upstream", port)),
            new Dictionary<string, string?> { ["Faultline:ApiKey"] = ApiKey },
            environment: "Production");
        await app.WaitForStartupAsync();
        await app.WaitForRoundsAsync();

        foreach (var key in new[] { null, "wrong-key", ApiKey + "x" })
        {
            var infrastructure = await app.GetAsync("/health/infrastructure", key);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, infrastructure.Status);
            Assert.Equal(["status"], infrastructure.Body.EnumerateObject().Select(p => p.Name).ToArray());
            Assert.Equal("unhealthy", infrastructure.Body.GetProperty("status").GetString());

            var startup = await app.GetAsync("/health/startup", key);
            Assert.Equal(HttpStatusCode.OK, startup.Status);
            Assert.Equal(["status"], startup.Body.EnumerateObject().Select(p => p.Name).ToArray());
        }

        var detailed = await app.GetAsync("/health/infrastructure", ApiKey);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, detailed.Status);
        Assert.Equal("connection-refused", detailed.Body.GetProperty("components").GetProperty("upstream").GetProperty("errorKind").GetString());
        var timeline = await app.GetAsync("/health/startup", ApiKey);
        Assert.Equal("configuration", timeline.Body.GetProperty("phases")[0].GetProperty("name").GetString());
    }

    [Fact]
    public async Task Detail_OutsideDevelopmentWithPolicy_AllowedForAuthorisedCaller()
    {
        await using var app = await TestApp.StartAsync(
            (f, b) =>
            {
                f.AddPhase("configuration", Ok);
                b.Services.AddAuthentication("test").AddScheme<AuthenticationSchemeOptions, HeaderAuthenticationHandler>("test", null);
                b.Services.AddAuthorizationBuilder().AddPolicy("ops", p => p.RequireClaim("role", "ops"));
            },
            new Dictionary<string, string?> { ["Faultline:Health:DetailPolicy"] = "ops" },
            environment: "Staging");
        await app.WaitForStartupAsync();

        var anonymous = await app.GetAsync("/health/startup");
        Assert.Equal(["status"], anonymous.Body.EnumerateObject().Select(p => p.Name).ToArray());

        using var request = new HttpRequestMessage(HttpMethod.Get, "/health/startup");
        request.Headers.Add("X-Test-Role", "ops");
        using var response = await app.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"phases\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Endpoints_SecretsInConnectionStringsAndExceptions_NeverAppearInAnyResponse()
    {
        const string password = "Pa55-w0rd-Never-Shown-77";
        const string exceptionText = "boom-internal-detail-9f2";
        var port = TestServers.ClosedPort();
        var connection = $"Host=127.0.0.1;Port={port};Username=app;Password={password};Database=app;SSL Mode=Disable";
        await using var app = await TestApp.StartAsync(
            (f, b) =>
            {
                f.AddPhase("database", (c, ct) => c.RequireAsync(new TargetSpec { Name = "db", Kind = TargetKinds.Postgres, ConnectionString = connection }, ct),
                        p => p.Optional().Layer(Layer.Database).Attempts(1).AttemptTimeout(TimeSpan.FromSeconds(5)))
                    .AddPhase("services", (_, _) => throw new InvalidOperationException($"{exceptionText} Password={password}"), p => p.Optional().Attempts(1))
                    .AddPhase("cache", (_, _) => throw new Core.Model.ProbeException(new ProbeError(ErrorKind.CacheAuthFailed, $"redis://:{password}@127.0.0.1:1 refused")), p => p.Optional().Layer(Layer.Cache).Attempts(1))
                    .AddPostgres("postgres", connection, o => o.CheckTimeout = TimeSpan.FromSeconds(2));
                b.Services.AddHealthChecks().AddCheck("legacy", () => Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Unhealthy(
                    $"{exceptionText} {connection}", new InvalidOperationException(exceptionText)));
            },
            new Dictionary<string, string?> { ["Faultline:ApiKey"] = ApiKey, ["ConnectionStrings:Postgres"] = connection },
            environment: "Production");
        await app.WaitForStartupAsync();
        await app.WaitForRoundsAsync();

        var texts = new List<string>();
        foreach (var path in new[] { "/health/live", "/health/ready", "/health/startup", "/health/infrastructure", "/api/hello" })
        {
            texts.Add((await app.GetAsync(path)).Text);
            texts.Add((await app.GetAsync(path, ApiKey)).Text);
        }

        texts.Add(app.Stderr.ToString());
        Assert.Contains(texts, t => t.Contains("connection-refused", StringComparison.Ordinal));
        Assert.Contains(texts, t => t.Contains("cache-auth-failed", StringComparison.Ordinal));
        foreach (var text in texts)
        {
            Assert.DoesNotContain(password, text, StringComparison.Ordinal);
            Assert.DoesNotContain(exceptionText, text, StringComparison.Ordinal);
            Assert.DoesNotContain(ApiKey, text, StringComparison.Ordinal);
            Assert.DoesNotContain("InvalidOperationException: ", text, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Infrastructure_InternalError_Answers500WithoutExceptionText()
    {
        var clock = new BreakableClock();
        BreakableEnvironment? environment = null;
        await using var app = await TestApp.StartAsync((f, b) =>
        {
            f.AddPhase("configuration", Ok);
            b.Services.AddSingleton<TimeProvider>(clock);
            environment = new BreakableEnvironment(b.Environment);
            b.Services.AddSingleton<IHostEnvironment>(environment);
        });
        await app.WaitForStartupAsync();
        clock.Broken = true;
        environment!.Broken = true;

        foreach (var path in new[] { "/health/infrastructure", "/health/startup" })
        {
            var (status, body, _, text) = await app.GetAsync(path);
            Assert.Equal(HttpStatusCode.InternalServerError, status);
            Assert.Equal("error", body.GetProperty("status").GetString());
            Assert.DoesNotContain(BreakableClock.Text, text, StringComparison.Ordinal);
            Assert.DoesNotContain(BreakableEnvironment.Text, text, StringComparison.Ordinal);
        }

        clock.Broken = false;
        environment.Broken = false;
    }

    /// <summary>An environment whose names can be made to throw, to provoke an internal error inside /health/infrastructure.</summary>
    private sealed class BreakableEnvironment(IHostEnvironment inner) : IHostEnvironment
    {
        public const string Text = "environment-failure-detail-47";

        public volatile bool Broken;

        public string EnvironmentName { get => Broken ? throw new InvalidOperationException(Text) : inner.EnvironmentName; set => inner.EnvironmentName = value; }

        public string ApplicationName { get => Broken ? throw new InvalidOperationException(Text) : inner.ApplicationName; set => inner.ApplicationName = value; }

        public string ContentRootPath { get => inner.ContentRootPath; set => inner.ContentRootPath = value; }

        public Microsoft.Extensions.FileProviders.IFileProvider ContentRootFileProvider { get => inner.ContentRootFileProvider; set => inner.ContentRootFileProvider = value; }
    }

    /// <summary>A clock that can be made to throw, to provoke an internal error inside an endpoint.</summary>
    private sealed class BreakableClock : TimeProvider
    {
        public const string Text = "clock-failure-detail-31";

        public volatile bool Broken;

        public override DateTimeOffset GetUtcNow() => Broken ? throw new InvalidOperationException(Text) : base.GetUtcNow();
    }

    /// <summary>Authenticates every request; the X-Test-Role header becomes a role claim.</summary>
    private sealed class HeaderAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        protected override Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            if (!Request.Headers.TryGetValue("X-Test-Role", out var role))
            {
                return Task.FromResult(AuthenticateResult.NoResult());
            }

            var identity = new ClaimsIdentity([new Claim("role", role.ToString())], "test");
            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), "test")));
        }
    }
}
