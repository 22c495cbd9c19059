// Endpoints: /fast (immediate JSON) and /delay/{ms} (answers after ms milliseconds).
// Usage: dotnet run --project bench/DelayServer -- --urls http://127.0.0.1:58090
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var app = builder.Build();
app.MapGet("/fast", () => Results.Text("{\"status\":\"ok\"}", "application/json"));
app.MapGet("/delay/{ms:int}", async (int ms, CancellationToken cancellationToken) =>
{
    await Task.Delay(Math.Clamp(ms, 0, 60_000), cancellationToken);
    return Results.Text("{\"status\":\"ok\"}", "application/json");
});
await app.RunAsync();
