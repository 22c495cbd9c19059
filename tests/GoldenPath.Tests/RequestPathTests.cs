using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Faultline.TestSupport;

namespace GoldenPath.Tests;

/// <summary>
/// The request path behind the postgres dependency's pipeline, against a PostgreSQL of the test's own
/// that is really stopped and started again: while it is down the breaker (the one its startup phase
/// and background check share) opens, login is refused at once with a 503 naming the dependency, and
/// once it is back the half-open trial closes the breaker and login works again.
/// </summary>
[Trait(TestTiers.Name, TestTiers.Services)]
[Collection(LocalServices.Collection)]
public sealed class RequestPathTests(LocalServices services) : IAsyncLifetime
{
    /// <summary>What "fails fast" means for a login while the circuit is open (the issue's bound; loopback round trips take about 1 ms).</summary>
    private static readonly TimeSpan FastFail = TimeSpan.FromMilliseconds(50);

    private const string Password = "correct horse battery";

    private ScratchPostgres _postgres = null!;
    private GoldenPathProcess _app = null!;
    private string _apiKey = null!;

    public async Task InitializeAsync()
    {
        _postgres = await ScratchPostgres.StartAsync(maxConnections: 30);
        _apiKey = TestStack.NewApiKey();
        _app = GoldenPathProcess.Start(new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["ConnectionStrings__Postgres"] = _postgres.Url,
            ["ConnectionStrings__Redis"] = services.RedisUrl,
            ["Faultline__ApiKey"] = _apiKey,
            ["Faultline__Profile"] = "Lab",
            ["Faultline__Health__Interval"] = "00:00:01",
            ["Jwt__Secret"] = TestStack.NewJwtSecret(),
        });
        await _app.WaitUntilReadyAsync(TimeSpan.FromSeconds(90));
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }
    }

    [Fact]
    public async Task Login_PostgresStopped_BreakerOpensLoginFailsFastNamingIt_ThenHalfOpenTrialRecovers()
    {
        using var client = _app.CreateClient();
        var username = TestStack.NewUsername();
        using (var registered = await ChatClient.RegisterAsync(client, username, Password))
        {
            Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        }

        await _postgres.StopAsync();

        // Failed logins and background checks open the postgres breaker (3 failures, Lab profile).
        var opened = await UntilAsync(async () => await BreakerAsync() == "open", TimeSpan.FromSeconds(30), "the postgres breaker to open", async () =>
        {
            using var attempt = await ChatClient.LoginAsync(client, username, Password);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, attempt.StatusCode);
        });
        Assert.True(opened);

        var refusals = new List<(TimeSpan Elapsed, int Status, JsonElement Body, string? RetryAfter)>();
        for (var i = 0; i < 15; i++)
        {
            var timer = Stopwatch.StartNew();
            using var login = await ChatClient.LoginAsync(client, username, Password);
            var elapsed = timer.Elapsed;
            using var body = JsonDocument.Parse(await login.Content.ReadAsStringAsync());
            refusals.Add((elapsed, (int)login.StatusCode, body.RootElement.Clone(), login.Headers.RetryAfter?.ToString()));
        }

        var shown = string.Join(", ", refusals.Select(r => $"{r.Status} {r.Elapsed.TotalMilliseconds:F1} ms {r.Body.GetProperty("error").GetString()}"));
        Assert.All(refusals, r => Assert.Equal(503, r.Status));

        // Once the circuit is open every login is refused by the breaker, without a connection attempt.
        var open = refusals.Where(r => r.Body.GetProperty("error").GetString() == "dependency_unavailable" && r.Body.GetProperty("reason").GetString() == "circuit-open").ToList();
        Assert.True(open.Count >= 10, $"logins refused by the open circuit: {shown}");
        Assert.All(open, r =>
        {
            Assert.Equal("postgres", r.Body.GetProperty("dependency").GetString());
            Assert.Contains("postgres is unavailable", r.Body.GetProperty("message").GetString(), StringComparison.Ordinal);
        });
        var median = open.Select(r => r.Elapsed).Order().ElementAt(open.Count / 2);
        Assert.True(median < FastFail, $"median login while the circuit is open: {median.TotalMilliseconds:F1} ms ({shown})");
        Assert.Contains(open, r => r.RetryAfter is not null);

        await _postgres.RestartAsync();

        // The half-open trial (a login or the background check) succeeds: the breaker closes, login works.
        var recovered = await UntilAsync(
            async () =>
            {
                using var login = await ChatClient.LoginAsync(client, username, Password);
                return login.StatusCode == HttpStatusCode.OK;
            },
            TimeSpan.FromSeconds(30),
            "login to work again after PostgreSQL restarted",
            () => Task.CompletedTask);
        Assert.True(recovered);
        Assert.Equal("closed", await BreakerAsync());
        Assert.Contains("circuit breaker postgres is half-open", _app.Stdout, StringComparison.Ordinal);
        Assert.Contains("circuit breaker postgres closed", _app.Stdout, StringComparison.Ordinal);
    }

    private async Task<string?> BreakerAsync()
    {
        using var client = _app.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("health/infrastructure", UriKind.Relative));
        request.Headers.Add("X-Api-Key", _apiKey);
        using var response = await client.SendAsync(request);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("components").GetProperty("postgres").GetProperty("breaker").GetString();
    }

    private async Task<bool> UntilAsync(Func<Task<bool>> condition, TimeSpan deadline, string what, Func<Task> between)
    {
        var timer = Stopwatch.StartNew();
        while (timer.Elapsed < deadline)
        {
            if (await condition())
            {
                return true;
            }

            await between();
            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }

        Assert.Fail($"waited {deadline.TotalSeconds} s for {what}{Environment.NewLine}{_app.Output}");
        return false;
    }
}
