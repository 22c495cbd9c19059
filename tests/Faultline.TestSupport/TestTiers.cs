namespace Faultline.TestSupport;

/// <summary>
/// Test tiers, as an xUnit trait: <c>[Trait(TestTiers.Name, TestTiers.Services)]</c> marks a test class that needs a
/// real server (the local PostgreSQL, Redis or nginx of <c>scripts/services.sh</c>, a PostgreSQL of its own, the
/// lab's stack, the GoldenPath sample on a database). <c>scripts/test.sh --fast</c> runs every other test
/// (<c>--filter Tier!=services</c>): loopback servers inside the test process do not count as servers.
/// </summary>
public static class TestTiers
{
    public const string Name = "Tier";

    public const string Services = "services";

    /// <summary>The environment variable <c>scripts/test.sh --fast</c> sets to <c>fast</c>.</summary>
    public const string Variable = "FAULTLINE_TEST_TIER";

    /// <summary>
    /// Called where a test starts a server: in the fast tier it fails the test at once, naming the trait its class
    /// lacks, instead of quietly starting the server (which would make the fast tier slow and not server-free).
    /// </summary>
    public static void RequireServer(string what)
    {
        if (string.Equals(Environment.GetEnvironmentVariable(Variable), "fast", StringComparison.Ordinal))
        {
            throw new InvalidOperationException(
                $"this test needs {what}, but the fast tier (scripts/test.sh --fast) runs server-free tests only: mark its class [Trait(TestTiers.Name, TestTiers.Services)]");
        }
    }
}
