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

        AssertFailure(result, Layer.Configuration, Side.Application, ErrorKind.SecretMissing);
        AssertEvidence(result, "JWT_SECRET", "absent");
        Assert.DoesNotContain(result.Evidence, line => line.Contains("DATABASE_URL", StringComparison.Ordinal) && line.Contains("absent", StringComparison.Ordinal));
        Assert.DoesNotContain(result.Evidence, line => line.Contains("correct-horse-battery", StringComparison.Ordinal));
    }
}
