using Faultline.AspNetCore;
using GoldenPath;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection.Extensions;
using StackExchange.Redis;

var builder = WebApplication.CreateBuilder(args);
builder.Configuration.AddSecretsDirectory();

builder.Services.TryAddSingleton(TimeProvider.System);
// The Redis options come from Faultline.AspNetCore.Redis (AddRedis below): the profile's timeouts applied.
builder.Services.AddSingleton(services => new SampleSettings(() => services.GetRequiredKeyedService<ConfigurationOptions>(StartupPhases.RedisDependency)));
builder.Services.AddSingleton<ChatDatabase>();
builder.Services.AddSingleton<AnswerCache>();
builder.Services.AddSingleton<ChatHub>();
builder.Services.AddSingleton<TokenIssuer>();
builder.Services.AddSingleton<Drills>();

builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
    .Configure<SampleSettings>((options, settings) =>
    {
        options.MapInboundClaims = false;
        options.TokenValidationParameters = TokenIssuer.ValidationParameters(settings);
        options.Events = new JwtBearerEvents
        {
            // Browsers cannot set headers on a WebSocket upgrade: /ws also takes ?access_token=.
            OnMessageReceived = context =>
            {
                if (string.IsNullOrEmpty(context.Token)
                    && context.Request.Path.StartsWithSegments("/ws", StringComparison.Ordinal)
                    && context.Request.Query.TryGetValue("access_token", out var token))
                {
                    context.Token = token.ToString();
                }

                return Task.CompletedTask;
            },
            OnChallenge = async context =>
            {
                context.HandleResponse();
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                context.Response.Headers.WWWAuthenticate = "Bearer";
                await context.Response.WriteAsJsonAsync(
                    new ApiError("unauthorized", "a valid bearer token is required (Authorization: Bearer TOKEN, or ?access_token=TOKEN for /ws)"),
                    JsonDefaults.Options);
            },
        };
    });
builder.Services.AddAuthorization();

// AddGoldenPathStartup adds the postgres and redis dependencies with AddPostgres / AddRedis: the NpgsqlDataSource
// that ChatDatabase uses is registered there, its pool sized by the Faultline profile.
builder.Services.AddFaultline(builder.Configuration).AddGoldenPathStartup(builder.Configuration);

var app = builder.Build();
app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) });
app.UseAuthentication();
app.UseAuthorization();
app.MapFaultlineHealth();
app.MapGoldenPathApi();

return await app.RunFaultlineAsync();
