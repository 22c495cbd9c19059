using System.Security.Cryptography;
using System.Text;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Running;
using static Faultline.Probes.Tests.ProbeHarness;

namespace Faultline.Probes.Tests;

public sealed class SecretProbeTests : IDisposable
{
    private const string Jwt = "jwt-0123456789abcdef0123456789abcdef-SEED";
    private const string ShortJwt = "short-jwt-SEED";
    private const string DatabaseUrl = "postgres://app:pa55-SEED-word@db.lab.test:5432/app";
    private const string MysqlUrl = "mysql://app:pa55-SEED-word@db.lab.test:3306/app";
    private const string Cors = "http://cors-SEED.example";

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "faultline-secrets-" + Guid.NewGuid().ToString("N")[..12]);

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    private static TargetSpec Secrets(string? dir = null) => new()
    {
        Name = "secrets",
        Kind = TargetKinds.Secret,
        Source = new SecretSourceSpec { Directory = dir },
        Required = ["DATABASE_URL", "JWT_SECRET"],
        Rules = new Dictionary<string, SecretRuleSpec>
        {
            ["JWT_SECRET"] = new() { MinLength = 32 },
            ["DATABASE_URL"] = new() { Scheme = ["postgres", "postgresql"] },
            ["CORS_ORIGINS"] = new() { Pattern = "^https://" },
        },
    };

    private static async Task<Observation> RunWithEnvAsync(TargetSpec target, Dictionary<string, string> env)
    {
        var context = Context(environment: name => env.GetValueOrDefault(name));
        var observation = await RunAsync(target, context);
        foreach (var value in env.Values.Where(v => v.Length >= SecretRedactor.MinimumLength))
        {
            Assert.DoesNotContain(value, Json(observation), StringComparison.Ordinal);
            Assert.Equal("***", context.Redactor.Redact(value));
        }

        Assert.DoesNotContain("SEED", Json(observation), StringComparison.Ordinal);
        return observation;
    }

    private static string Sha8(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)))[..8];

    [Fact]
    public async Task ProbeAsync_AllPresentAndValid_ReportsFingerprintsOnly()
    {
        var observation = await RunWithEnvAsync(Secrets(), new() { ["JWT_SECRET"] = Jwt, ["DATABASE_URL"] = DatabaseUrl });

        Assert.Null(observation.Error);
        Assert.Equal("env", observation.Target);
        var secrets = Assert.IsType<SecretObservation>(observation.Secrets);
        Assert.Equal("env", secrets.Source);
        var jwt = secrets.Entries.Single(e => e.Name == "JWT_SECRET");
        Assert.True(jwt.Present);
        Assert.True(jwt.Required);
        Assert.Equal(Jwt.Length, jwt.Length);
        Assert.Equal(Sha8(Jwt), jwt.Fingerprint);
        Assert.Matches("^[0-9a-f]{8}$", jwt.Fingerprint);
        Assert.True(Assert.Single(jwt.Rules).Ok);
        var db = secrets.Entries.Single(e => e.Name == "DATABASE_URL");
        Assert.Equal("scheme postgres", Assert.Single(db.Rules).Detail);
        var cors = secrets.Entries.Single(e => e.Name == "CORS_ORIGINS");
        Assert.False(cors.Present);
        Assert.False(cors.Required);
        Assert.Null(cors.Fingerprint);
        Assert.Empty(cors.Rules);
    }

    [Fact]
    public async Task ProbeAsync_RequiredMissing_ReportsSecretMissingNamingIt()
    {
        var observation = await RunWithEnvAsync(Secrets(), new() { ["DATABASE_URL"] = DatabaseUrl });

        var error = AssertError(observation, ErrorKind.SecretMissing, "read");
        Assert.Equal("missing required secret in the environment: JWT_SECRET", error.Message);
        Assert.False(observation.Secrets!.Entries.Single(e => e.Name == "JWT_SECRET").Present);
    }

    [Fact]
    public async Task ProbeAsync_TooShort_ReportsSecretInvalidNamingRuleNotValue()
    {
        var observation = await RunWithEnvAsync(Secrets(), new() { ["JWT_SECRET"] = ShortJwt, ["DATABASE_URL"] = DatabaseUrl });

        var error = AssertError(observation, ErrorKind.SecretInvalid, "rules");
        Assert.Equal($"JWT_SECRET breaks minLength 32 (length {ShortJwt.Length} < 32)", error.Message);
    }

    [Fact]
    public async Task ProbeAsync_WrongScheme_ReportsSecretInvalid()
    {
        var observation = await RunWithEnvAsync(Secrets(), new() { ["JWT_SECRET"] = Jwt, ["DATABASE_URL"] = MysqlUrl });

        var error = AssertError(observation, ErrorKind.SecretInvalid, "rules");
        Assert.Equal("DATABASE_URL breaks scheme [postgres, postgresql] (scheme mysql is not one of [postgres, postgresql])", error.Message);
    }

    [Fact]
    public async Task ProbeAsync_NotAUrlForSchemeRule_DoesNotEchoAnyPartOfTheValue()
    {
        var observation = await RunWithEnvAsync(Secrets(), new() { ["JWT_SECRET"] = Jwt, ["DATABASE_URL"] = "SEEDhost:5432" });

        var error = AssertError(observation, ErrorKind.SecretInvalid, "rules");
        Assert.Contains("not a URL with a scheme://", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProbeAsync_OptionalPresentBreakingPattern_ReportsSecretInvalid()
    {
        var observation = await RunWithEnvAsync(Secrets(), new() { ["JWT_SECRET"] = Jwt, ["DATABASE_URL"] = DatabaseUrl, ["CORS_ORIGINS"] = Cors });

        var error = AssertError(observation, ErrorKind.SecretInvalid, "rules");
        Assert.Equal("CORS_ORIGINS breaks pattern ^https:// (does not match ^https://)", error.Message);
    }

    [Fact]
    public async Task ProbeAsync_DirectorySource_TrimsTrailingNewlineAndFingerprints()
    {
        Directory.CreateDirectory(_dir);
        await File.WriteAllTextAsync(Path.Combine(_dir, "JWT_SECRET"), Jwt + "\n");
        await File.WriteAllTextAsync(Path.Combine(_dir, "DATABASE_URL"), DatabaseUrl + "\r\n");
        var context = Context();

        var observation = await RunAsync(Secrets(_dir), context);

        Assert.Null(observation.Error);
        Assert.Equal($"dir:{_dir}", observation.Target);
        Assert.Equal(Sha8(Jwt), observation.Secrets!.Entries.Single(e => e.Name == "JWT_SECRET").Fingerprint);
        Assert.Equal(Sha8(DatabaseUrl), observation.Secrets.Entries.Single(e => e.Name == "DATABASE_URL").Fingerprint);
        Assert.DoesNotContain("SEED", Json(observation), StringComparison.Ordinal);
        Assert.Equal("***", context.Redactor.Redact(Jwt));
    }

    [Fact]
    public async Task ProbeAsync_DirectoryMissingFile_ReportsSecretMissing()
    {
        Directory.CreateDirectory(_dir);
        await File.WriteAllTextAsync(Path.Combine(_dir, "DATABASE_URL"), DatabaseUrl);

        var observation = await RunAsync(Secrets(_dir));

        var error = AssertError(observation, ErrorKind.SecretMissing, "read");
        Assert.Contains("JWT_SECRET", error.Message, StringComparison.Ordinal);
        Assert.Contains(_dir, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProbeAsync_DirectoryAbsent_ReportsConfigInvalid()
    {
        var observation = await RunAsync(Secrets(_dir));

        var error = AssertError(observation, ErrorKind.ConfigInvalid, "read");
        Assert.Contains(_dir, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProbeAsync_EmptyRequiredValue_CountsAsMissing()
    {
        var observation = await RunWithEnvAsync(Secrets(), new() { ["JWT_SECRET"] = string.Empty, ["DATABASE_URL"] = DatabaseUrl });

        var error = AssertError(observation, ErrorKind.SecretMissing, "read");
        Assert.Contains("JWT_SECRET (empty)", error.Message, StringComparison.Ordinal);
    }
}
