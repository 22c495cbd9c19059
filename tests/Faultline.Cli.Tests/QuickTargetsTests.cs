using Faultline.Core.Config;

namespace Faultline.Cli.Tests;

public sealed class QuickTargetsTests
{
    [Fact]
    public void Build_HttpsUrl_LayersDnsTcpTlsHttpEachOnTheOneBelow()
    {
        var config = QuickTargets.Build("https://api.lab.test:8443/health");

        Assert.Equal(["dns", "tcp", "tls", "http"], config.Targets.Select(t => t.Name));
        Assert.Equal([TargetKinds.Dns, TargetKinds.Tcp, TargetKinds.Tls, TargetKinds.Http], config.Targets.Select(t => t.Kind));
        Assert.Equal(8443, config.Targets[1].Port);
        Assert.Equal("api.lab.test", config.Targets[2].Host);
        Assert.Equal("https://api.lab.test:8443/health", config.Targets[3].Url);
        Assert.Equal(["tls"], config.Targets[3].DependsOn);
        Assert.Equal(["tcp"], config.Targets[2].DependsOn);
        Assert.Equal(["dns"], config.Targets[1].DependsOn);
    }

    [Fact]
    public void Build_HttpToIpLiteral_SkipsDnsAndTls()
    {
        var config = QuickTargets.Build("http://127.0.0.1:8080/");

        Assert.Equal(["tcp", "http"], config.Targets.Select(t => t.Name));
        Assert.Empty(config.Targets[0].DependsOn);
    }

    [Theory]
    [InlineData("postgres://app:pw@/app?host=/cloudsql/proj:europe-west1:db")]
    [InlineData("postgresql://app:pw@%2Fcloudsql%2Fproj%3Aeurope-west1%3Adb/app")]
    public void Build_PostgresOnAUnixSocket_OnlyThePostgresTarget(string url)
    {
        var config = QuickTargets.Build(url);

        var target = Assert.Single(config.Targets);
        Assert.Equal(("postgres", url), (target.Kind, target.ConnectionString));
    }

    [Fact]
    public void Build_PostgresUrlWithAwkwardPassword_KeepsTheWholeUrlAsConnectionString()
    {
        const string url = "postgres://app:p@ss:w/rd@db.internal:6543/app?sslmode=require";
        var config = QuickTargets.Build(url);

        Assert.Equal(["dns", "tcp", "postgres"], config.Targets.Select(t => t.Name));
        Assert.Equal("db.internal", config.Targets[1].Host);
        Assert.Equal(6543, config.Targets[1].Port);
        Assert.Equal(url, config.Targets[2].ConnectionString);
    }

    [Fact]
    public void Build_RedissUrl_AddsTlsBetweenTcpAndRedis()
    {
        var config = QuickTargets.Build("rediss://:pw@cache.internal/0");

        Assert.Equal(["dns", "tcp", "tls", "redis"], config.Targets.Select(t => t.Name));
        Assert.Equal(6380, config.Targets[1].Port);
    }

    [Fact]
    public void Build_HostPort_GivesTcpOnly()
    {
        var config = QuickTargets.Build("127.0.0.1:6379");

        var tcp = Assert.Single(config.Targets);
        Assert.Equal(TargetKinds.Tcp, tcp.Kind);
        Assert.Equal(6379, tcp.Port);
    }

    [Theory]
    [InlineData("ftp://example.test/", "does not know the scheme")]
    [InlineData("example.test", "has no port")]
    [InlineData("example.test:99999", "is not a port")]
    [InlineData("postgres:///db", "no host")]
    public void Build_BadAddress_ThrowsUsageExceptionWithTheReason(string address, string expected)
    {
        var ex = Assert.Throws<UsageException>(() => QuickTargets.Build(address));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }
}
