using Faultline.Core.Config;
using Faultline.Core.Model;

namespace Faultline.Core.Tests.Classification;

/// <summary>Hand-built targets and observations for classifier tests.</summary>
internal static class Samples
{
    public static TargetSpec Target(string kind, string name = "t") => kind switch
    {
        TargetKinds.Http => new TargetSpec { Name = name, Kind = kind, Url = "https://api.lab.test:8443/health" },
        TargetKinds.Postgres => new TargetSpec { Name = name, Kind = kind, ConnectionString = "postgres://app:s3cr3t-Passw0rd@db.lab.test:5432/app" },
        TargetKinds.Redis => new TargetSpec { Name = name, Kind = kind, ConnectionString = "redis://:r3dis-Passw0rd@cache.lab.test:6379/0" },
        TargetKinds.Secret => new TargetSpec { Name = name, Kind = kind, Source = new SecretSourceSpec(), Required = ["DATABASE_URL", "JWT_SECRET"] },
        TargetKinds.Dns => new TargetSpec { Name = name, Kind = kind, Host = "api.lab.test", Resolver = "127.0.0.1:5353" },
        _ => new TargetSpec { Name = name, Kind = kind, Host = "api.lab.test", Port = 8443 },
    };

    public static string EndpointOf(string kind) => kind switch
    {
        TargetKinds.Postgres => "db.lab.test:5432",
        TargetKinds.Redis => "cache.lab.test:6379",
        TargetKinds.Secret => "env",
        TargetKinds.Dns => "api.lab.test",
        _ => "api.lab.test:8443",
    };

    public static Observation Failed(string kind, ErrorKind error, string message = "probe failed", string? code = null) => new()
    {
        Target = kind == TargetKinds.Http ? "https://api.lab.test:8443/health" : EndpointOf(kind),
        Elapsed = TimeSpan.FromSeconds(1),
        Error = new ProbeError(error, message) { Code = code },
    };

    public static Observation Response(int status, string body = "", params (string Name, string Value)[] headers) => new()
    {
        Target = "https://api.lab.test:8443/health",
        Connected = true,
        Elapsed = TimeSpan.FromMilliseconds(40),
        Http = new HttpObservation
        {
            StatusCode = status,
            Body = body,
            Headers = headers.ToDictionary(h => h.Name, h => h.Value, StringComparer.OrdinalIgnoreCase),
        },
    };

    public static HttpObservation Http(int status, string body, params (string Name, string Value)[] headers) => new()
    {
        StatusCode = status,
        Body = body,
        Headers = headers.ToDictionary(h => h.Name, h => h.Value, StringComparer.OrdinalIgnoreCase),
    };

    public static IReadOnlyList<ConditionResult> Failing(string expr, string? actual) => [new ConditionResult(expr, false, actual)];
}
