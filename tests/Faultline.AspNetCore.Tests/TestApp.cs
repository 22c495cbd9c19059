using System.Net;
using System.Text.Json;
using Faultline.AspNetCore.Startup;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Faultline.AspNetCore.Tests;

/// <summary>
/// A real ASP.NET Core application on Kestrel (127.0.0.1, port 0) run by <c>RunFaultlineAsync</c>, with
/// stderr captured, an HTTP client on its address and an application endpoint at <c>/api/hello</c>.
/// </summary>
internal sealed class TestApp : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private TestApp(WebApplication app, Task<int> run, StringWriter stderr, HttpClient client)
    {
        App = app;
        Run = run;
        Stderr = stderr;
        Client = client;
    }

    public WebApplication App { get; }

    /// <summary>The task of <c>RunFaultlineAsync</c>: its result is the exit code.</summary>
    public Task<int> Run { get; }

    public StringWriter Stderr { get; }

    public HttpClient Client { get; }

    public StartupState Startup => App.Services.GetRequiredService<StartupState>();

    public static async Task<TestApp> StartAsync(
        Action<FaultlineBuilder, WebApplicationBuilder> configure,
        IDictionary<string, string?>? settings = null,
        string environment = "Development",
        Action<WebApplication>? map = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = environment,
            ApplicationName = "Faultline.AspNetCore.Tests",
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
        builder.Logging.ClearProviders();
        var stderr = new StringWriter();
        builder.Services.AddSingleton(new StandardError { Writer = stderr });
        var faultline = builder.Services.AddFaultline(builder.Configuration);
        configure(faultline, builder);
        var app = builder.Build();
        map?.Invoke(app);
        app.MapFaultlineHealth();
        app.MapGet("/api/hello", () => Results.Json(new { hello = "world" }));

        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        app.Lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        var run = app.RunFaultlineAsync();
        var first = await Task.WhenAny(run, started.Task).WaitAsync(StartTimeout);
        var address = first == run ? "http://127.0.0.1:1" : app.Urls.First();
        var client = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(30) };
        return new TestApp(app, run, stderr, client);
    }

    /// <summary>Runs an application whose start is expected to fail; returns the exit code and the captured stderr.</summary>
    public static async Task<(int ExitCode, string Stderr)> RunToExitAsync(
        Action<FaultlineBuilder, WebApplicationBuilder> configure,
        IDictionary<string, string?>? settings = null,
        string environment = "Development")
    {
        await using var app = await StartAsync(configure, settings, environment);
        var code = await app.Run.WaitAsync(TimeSpan.FromSeconds(60));
        return (code, app.Stderr.ToString());
    }

    /// <summary>Waits until the startup plan has an outcome.</summary>
    public Task WaitForStartupAsync() => Startup.Done.WaitAsync(TimeSpan.FromSeconds(60));

    /// <summary>Waits until the background evaluation has completed at least <paramref name="rounds"/> rounds.</summary>
    public async Task WaitForRoundsAsync(long rounds = 1)
    {
        var health = App.Services.GetRequiredService<Faultline.AspNetCore.Health.HealthState>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (health.Rounds < rounds)
        {
            await Task.Delay(10, timeout.Token);
        }
    }

    public async Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response, string Text)> GetAsync(string path, string? apiKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (apiKey is not null)
        {
            request.Headers.Add("X-Api-Key", apiKey);
        }

        var response = await Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var body = text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
        return (response.StatusCode, body, response, text);
    }

    public async ValueTask DisposeAsync()
    {
        if (!Run.IsCompleted)
        {
            App.Lifetime.StopApplication();
        }

        try
        {
            await Run.WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (ObjectDisposedException)
        {
            // The application was already disposed by RunFaultlineAsync.
        }

        Client.Dispose();
        await Stderr.DisposeAsync();
    }
}
