// A service with one HTTP dependency (Upstream:Url) and no database or cache: what an application on
// Faultline.AspNetCore alone ships. Faultline.AspNetCore.Tests reads this project's deps.json (no Npgsql, no
// StackExchange.Redis) and runs it.
using Faultline.AspNetCore;
using Faultline.Core.Config;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddFaultline(builder.Configuration)
    .AddDependency(new TargetSpec { Name = "upstream", Kind = TargetKinds.Http, Url = builder.Configuration["Upstream:Url"] });

var app = builder.Build();
app.MapFaultlineHealth();
app.MapGet("/", () => "driver-free");
return await app.RunFaultlineAsync();
