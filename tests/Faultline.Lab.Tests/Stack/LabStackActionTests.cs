using Faultline.Core.Model;
using Faultline.Lab.Stack;
using Faultline.TestSupport;

namespace Faultline.Lab.Tests.Stack;

/// <summary>One lab for the whole class: each action has its visible effect and RestoreAsync undoes it.</summary>
[Trait(TestTiers.Name, TestTiers.Services)]
[Collection(LabStackCollection.Name)]
public sealed class LabStackActionTests(LabFixture lab)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task StatusAsync_AfterUp_EveryServiceUpWithItsPort()
    {
        var status = await lab.Stack.StatusAsync();

        Assert.Equal(["postgres", "redis", "nginx", "lb", "dns", "relay", "app"], status.Select(s => s.Name));
        Assert.All(status, s => Assert.True(s.Up, $"{s.Name} is down: {s.Detail}"));
        Assert.Equal(lab.Stack.Environment.LoadBalancerPort, status.Single(s => s.Name == "lb").Port);
        Assert.Contains(lab.Progress, line => line.StartsWith("app       ready", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CheckRunner_ThroughLabResolverAndCa_EveryTargetPasses()
    {
        var report = await LabFixture.CheckAsync(lab.Stack.Environment);

        Assert.True(report.Status == OverallStatus.Healthy, LabFixture.Describe(report));
    }

    [Fact]
    public void Environment_AfterUp_LabEnvHoldsEveryVariable()
    {
        var env = lab.Stack.Environment;
        var lines = File.ReadAllLines(env.EnvFile).Where(l => !l.StartsWith('#')).ToList();

        Assert.Equal(env.Variables.Select(v => $"{v.Key}={v.Value}"), lines);
        Assert.All(env.Variables.Keys, key => Assert.StartsWith("FAULTLINE_LAB_", key, StringComparison.Ordinal));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(env.EnvFile));
        }

        Assert.Equal(env.ApiKey, File.ReadAllText(Path.Combine(env.SecretsDirectory, "Faultline__ApiKey")));
    }

    [Fact]
    public async Task StopAsync_Postgres_DatabaseFailsUntilRestore()
    {
        try
        {
            await lab.Stack.StopAsync("postgres");

            var status = await lab.Stack.StatusAsync();
            Assert.False(status.Single(s => s.Name == "postgres").Up);
            var report = await LabFixture.CheckAsync(lab.Stack.Environment);
            var db = report.Results.Single(r => r.Name == "db");
            Assert.True(db.Status == ResultStatus.Fail, LabFixture.Describe(report));
        }
        finally
        {
            await RestoreAsync();
        }

        await AssertHealthyAsync();
    }

    [Fact]
    public async Task CertAsync_Expired_TlsFailsUntilRestore()
    {
        try
        {
            await lab.Stack.CertAsync("expired");
            await lab.Stack.CertAsync("expired");

            var report = await LabFixture.CheckAsync(lab.Stack.Environment);
            var api = report.Results.Single(r => r.Name == "api");
            Assert.True(api.Status == ResultStatus.Fail && api.Layer == Layer.Tls && api.Error?.Kind == "tls-expired", LabFixture.Describe(report));
        }
        finally
        {
            await RestoreAsync();
        }

        await AssertHealthyAsync();
    }

    [Fact]
    public async Task CertAsync_WrongNameAndUntrusted_TlsFailsUntilRestore()
    {
        try
        {
            foreach (var kind in new[] { "wrong-name", "untrusted" })
            {
                await lab.Stack.CertAsync(kind);

                var report = await LabFixture.CheckAsync(lab.Stack.Environment);
                var api = report.Results.Single(r => r.Name == "api");
                Assert.True(api.Status == ResultStatus.Fail && api.Layer == Layer.Tls, $"{kind}: {LabFixture.Describe(report)}");
            }
        }
        finally
        {
            await RestoreAsync();
        }

        await AssertHealthyAsync();
    }

    [Fact]
    public async Task DnsRemoveAsync_Api_NameFailsUntilRestore()
    {
        try
        {
            await lab.Stack.DnsRemoveAsync("api.lab.test");

            var report = await LabFixture.CheckAsync(lab.Stack.Environment);
            var api = report.Results.Single(r => r.Name == "api");
            Assert.True(api.Status == ResultStatus.Fail && api.Layer == Layer.Dns, LabFixture.Describe(report));
            Assert.Equal(ResultStatus.Pass, report.Results.Single(r => r.Name == "db").Status);
        }
        finally
        {
            await RestoreAsync();
        }

        await AssertHealthyAsync();
    }

    [Fact]
    public async Task SecretRemoveAsync_JwtSecret_AppExitsAtRestartUntilRestore()
    {
        var env = lab.Stack.Environment;
        try
        {
            await lab.Stack.SecretRemoveAsync("Jwt__Secret");
            Assert.False(File.Exists(Path.Combine(env.SecretsDirectory, "Jwt__Secret")));

            await lab.Stack.AppRestartAsync();

            var app = (await lab.Stack.StatusAsync()).Single(s => s.Name == "app");
            Assert.False(app.Up);
            var termination = await File.ReadAllTextAsync(env.TerminationFile);
            Assert.Contains("configuration", termination, StringComparison.Ordinal);
            Assert.DoesNotContain(File.ReadAllText(Path.Combine(env.Directory, "state", "jwt-secret")), termination, StringComparison.Ordinal);
        }
        finally
        {
            await RestoreAsync();
        }

        Assert.True(File.Exists(Path.Combine(env.SecretsDirectory, "Jwt__Secret")));
        await AssertHealthyAsync();
    }

    [Fact]
    public async Task SecretRotateAsync_Postgres_OldPasswordRejectedUntilRestore()
    {
        try
        {
            await lab.Stack.SecretRotateAsync("ConnectionStrings__Postgres");

            var report = await LabFixture.CheckAsync(lab.Stack.Environment);
            var db = report.Results.Single(r => r.Name == "db");
            Assert.True(db.Status == ResultStatus.Fail && db.Error?.Kind == "database-auth-failed", LabFixture.Describe(report));
        }
        finally
        {
            await RestoreAsync();
        }

        await AssertHealthyAsync();
    }

    [Fact]
    public async Task SecretRotateAsync_Redis_OldPasswordRejectedUntilRestore()
    {
        try
        {
            await lab.Stack.SecretRotateAsync("redis");

            var report = await LabFixture.CheckAsync(lab.Stack.Environment);
            var cache = report.Results.Single(r => r.Name == "cache");
            Assert.True(cache.Status == ResultStatus.Fail && cache.Error?.Kind.Contains("auth", StringComparison.Ordinal) == true, LabFixture.Describe(report));
        }
        finally
        {
            await RestoreAsync();
        }

        await AssertHealthyAsync();
    }

    [Fact]
    public async Task PostgresMaxConnectionsAsync_Zero_AppRoleRefusedUntilRestore()
    {
        try
        {
            await lab.Stack.PostgresMaxConnectionsAsync(0);

            var report = await LabFixture.CheckAsync(lab.Stack.Environment);
            var db = report.Results.Single(r => r.Name == "db");
            Assert.True(db.Status == ResultStatus.Fail && db.Layer == Layer.Database, LabFixture.Describe(report));
        }
        finally
        {
            await RestoreAsync();
        }

        await AssertHealthyAsync();
    }

    [Fact]
    public async Task StopAsync_App_LoadBalancerFailsUntilRestore()
    {
        try
        {
            await lab.Stack.StopAsync("app");

            Assert.False((await lab.Stack.StatusAsync()).Single(s => s.Name == "app").Up);
            var report = await LabFixture.CheckAsync(lab.Stack.Environment);
            var api = report.Results.Single(r => r.Name == "api");
            Assert.True(api.Status == ResultStatus.Fail, LabFixture.Describe(report));
        }
        finally
        {
            await RestoreAsync();
        }

        await AssertHealthyAsync();
    }

    [Fact]
    public async Task PostgresExhaustAsync_NewConnectionsRefusedUntilRestore()
    {
        try
        {
            await lab.Stack.PostgresExhaustAsync();

            var report = await LabFixture.CheckAsync(lab.Stack.Environment);
            var db = report.Results.Single(r => r.Name == "db");
            Assert.True(db.Status == ResultStatus.Fail && db.Layer == Layer.Database, LabFixture.Describe(report));
        }
        finally
        {
            await RestoreAsync();
        }

        await AssertHealthyAsync();
    }

    [Fact]
    public async Task Actions_UnknownNames_ThrowWithTheKnownList()
    {
        var stop = await Assert.ThrowsAsync<ArgumentException>(() => lab.Stack.StopAsync("mysql"));
        var cert = await Assert.ThrowsAsync<ArgumentException>(() => lab.Stack.CertAsync("revoked"));
        var secret = await Assert.ThrowsAsync<ArgumentException>(() => lab.Stack.SecretRemoveAsync("Nope"));

        Assert.Contains("postgres, redis, app, nginx, dns", stop.Message, StringComparison.Ordinal);
        Assert.Contains("expired", cert.Message, StringComparison.Ordinal);
        Assert.Contains("Jwt__Secret", secret.Message, StringComparison.Ordinal);
    }

    private async Task RestoreAsync()
    {
        using var timeout = new CancellationTokenSource(Deadline);
        await lab.Stack.RestoreAsync(timeout.Token);
    }

    private async Task AssertHealthyAsync()
    {
        var report = await LabFixture.CheckAsync(lab.Stack.Environment);
        Assert.True(report.Status == OverallStatus.Healthy, "after RestoreAsync: " + LabFixture.Describe(report));
    }
}
