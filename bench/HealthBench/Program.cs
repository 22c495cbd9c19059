// The app bench/health.sh measures. Modes (first argument):
//   serve   — dependencies postgres + redis (from ConnectionStrings:Postgres / ConnectionStrings:Redis) evaluated in the
//             background, plus /trivial (a constant) and /per-request (ASP.NET Core health checks over the same two
//             Faultline probes, evaluated on every request — the way MapHealthChecks works).
//   plan    — a startup plan chosen by --plan: none | noop7 (seven no-op phases in a chain) |
//             parallel (two independent 200 ms phases after a no-op warm-up phase) | serial (the same two, one after the other).
using Faultline.AspNetCore;
using Faultline.Core.Config;

var mode = args.Length > 0 ? args[0] : "serve";
var plan = Option(args, "--plan") ?? "none";
if (mode is not ("serve" or "plan") || plan is not ("none" or "noop7" or "parallel" or "serial"))
{
    await Console.Error.WriteLineAsync($"HealthBench: unknown mode '{mode}' or --plan '{plan}'; use: serve | plan --plan none|noop7|parallel|serial");
    return 2;
}

var builder = WebApplication.CreateBuilder(args);
builder.Logging.ClearProviders();
var faultline = builder.Services.AddFaultline(builder.Configuration);

if (mode == "serve")
{
    var postgres = new TargetSpec { Name = "database", Kind = "postgres", ConnectionString = builder.Configuration.GetConnectionString("Postgres") };
    var redis = new TargetSpec { Name = "cache", Kind = "redis", ConnectionString = builder.Configuration.GetConnectionString("Redis") };
    faultline.AddPostgres(postgres.Name, postgres.ConnectionString).AddRedis(redis.Name, redis.ConnectionString, r => r.Critical = true);
    builder.Services.AddHealthChecks()
        .AddFaultlineProbe(postgres with { Name = "per-request-database" }, tags: ["per-request"])
        .AddFaultlineProbe(redis with { Name = "per-request-cache" }, tags: ["per-request"]);
}
else
{
    AddPlan(faultline, plan);
}

var app = builder.Build();
app.MapFaultlineHealth();
app.MapGet("/trivial", () => Results.Text("ok"));
if (mode == "serve")
{
    app.MapHealthChecks("/per-request", new Microsoft.AspNetCore.Diagnostics.HealthChecks.HealthCheckOptions { Predicate = c => c.Tags.Contains("per-request") });
}

return await app.RunFaultlineAsync();

static void AddPlan(FaultlineBuilder faultline, string plan)
{
    switch (plan)
    {
        case "none":
            break;
        case "noop7":
            string? previous = null;
            foreach (var name in new[] { "configuration", "dependencies", "database", "cache", "services", "websocket", "finalize" })
            {
                var after = previous;
                faultline.AddPhase(name, static (_, _) => Task.CompletedTask, p =>
                {
                    if (after is not null)
                    {
                        p.DependsOn(after);
                    }
                });
                previous = name;
            }

            break;
        // A no-op warm-up phase first, so the two measured phases run on code the first phase already compiled.
        case "parallel":
            faultline.AddPhase("warmup", static (_, _) => Task.CompletedTask);
            faultline.AddPhase("left", static (c, ct) => Task.Delay(TimeSpan.FromMilliseconds(200), c.Time, ct), p => p.DependsOn("warmup"));
            faultline.AddPhase("right", static (c, ct) => Task.Delay(TimeSpan.FromMilliseconds(200), c.Time, ct), p => p.DependsOn("warmup"));
            break;
        case "serial":
            faultline.AddPhase("warmup", static (_, _) => Task.CompletedTask);
            faultline.AddPhase("left", static (c, ct) => Task.Delay(TimeSpan.FromMilliseconds(200), c.Time, ct), p => p.DependsOn("warmup"));
            faultline.AddPhase("right", static (c, ct) => Task.Delay(TimeSpan.FromMilliseconds(200), c.Time, ct), p => p.DependsOn("left"));
            break;
        default:
            break;
    }
}

static string? Option(string[] args, string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
