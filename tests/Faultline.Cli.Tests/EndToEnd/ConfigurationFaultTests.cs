using Faultline.Core.Model;
using static Faultline.Cli.Tests.EndToEnd.EndToEndRun;

namespace Faultline.Cli.Tests.EndToEnd;

/// <summary>A required secret that the environment does not hold.</summary>
public sealed class ConfigurationFaultTests
{
    [Fact]
    public async Task Check_RequiredSecretMissingFromEnvironment_ConfigurationNamingTheSecret()
    {
        var environment = new Dictionary<string, string>
        {
            ["DATABASE_URL"] = "postgres://app:correct-horse-battery@db.internal:5432/app",
        };

        var result = await RunOneAsync("""
            defaults: { timeout: 5s }
            targets:
              - name: secrets
                kind: secret
                source: env
                required: [DATABASE_URL, JWT_SECRET]
            """, environment);

        AssertFailure(result, Layer.Configuration, Side.Infrastructure, ErrorKind.SecretMissing);
        AssertEvidence(result, "JWT_SECRET", "absent");
        Assert.DoesNotContain(result.Evidence, line => line.Contains("DATABASE_URL", StringComparison.Ordinal) && line.Contains("absent", StringComparison.Ordinal));
        Assert.DoesNotContain(result.Evidence, line => line.Contains("correct-horse-battery", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("defaults: { timeout: 5s, owner: application }", "")]
    [InlineData("defaults: { timeout: 5s, owner: infrastructure }", "owner: application")]
    public async Task Check_OwnerApplication_MissingSecretOnTheApplicationSide(string defaults, string owner)
    {
        var result = await RunOneAsync($$"""
            {{defaults}}
            targets:
              - { name: secrets, kind: secret, source: env, required: [JWT_SECRET], {{owner}} }
            """);

        AssertFailure(result, Layer.Configuration, Side.Application, ErrorKind.SecretMissing);
        AssertEvidence(result, "owner: application");
    }

    [Fact]
    public async Task Check_OwnerApplicationOnAPostgresTarget_ARefusedConnectionStaysInfrastructure()
    {
        var result = await RunOneAsync($$"""
            defaults: { timeout: 5s }
            targets:
              - { name: db, kind: postgres, connectionString: "Host=127.0.0.1;Port={{Faultline.TestSupport.TestServers.ClosedPort()}};Username=app;Password=x", owner: application }
            """);

        AssertFailure(result, Layer.Database, Side.Infrastructure, ErrorKind.ConnectionRefused);
    }
}
