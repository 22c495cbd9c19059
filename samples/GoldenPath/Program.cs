using Faultline.AspNetCore;
using GoldenPath;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.Configuration.AddSecretsDirectory();

builder.Services.TryAddSingleton(TimeProvider.System);
builder.Services.AddSingleton<SampleSettings>();
builder.Services.AddSingleton(services => services.GetRequiredService<SampleSettings>().CreateDataSource(services.GetRequiredService<ILoggerFactory>()));
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

builder.Services.AddFaultline(builder.Configuration).AddGoldenPathStartup(builder.Configuration);

var app = builder.Build();
app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) });
app.UseAuthentication();
app.UseAuthorization();
app.MapFaultlineHealth();
app.MapGoldenPathApi();

return await app.RunFaultlineAsync();
