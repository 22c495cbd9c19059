using System.Diagnostics;
using System.Globalization;
using Faultline.Lab.Stack;
using Faultline.TestSupport;

namespace Faultline.Lab.Tests.Stack;

/// <summary>Lab command tests that start real lab processes of their own; they run alone, one after another.</summary>
[Trait(TestTiers.Name, TestTiers.Services)]
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LabCommandCollection
{
    public const string Name = "lab-command";
}

/// <summary><c>faultline lab up</c> that fails half-way rolls back what it started, so the next <c>up</c> works.</summary>
[Trait(TestTiers.Name, TestTiers.Services)]
[Collection(LabCommandCollection.Name)]
public sealed class LabUpRollbackTests
{
    private static readonly Dictionary<string, string> PortVariables = new(StringComparer.Ordinal)
    {
        ["postgres"] = "FAULTLINE_LAB_PG_PORT",
        ["redis"] = "FAULTLINE_LAB_REDIS_PORT",
        ["redis-tls"] = "FAULTLINE_LAB_REDIS_TLS_PORT",
        ["nginx"] = "FAULTLINE_LAB_NGINX_PORT",
        ["lb"] = "FAULTLINE_LAB_LB_PORT",
        ["dns"] = "FAULTLINE_LAB_DNS_PORT",
        ["app"] = "FAULTLINE_LAB_APP_PORT",
        ["relay-control"] = "FAULTLINE_LAB_RELAY_CONTROL_PORT",
        ["relay-db"] = "FAULTLINE_LAB_RELAY_DB_PORT",
        ["relay-cache"] = "FAULTLINE_LAB_RELAY_CACHE_PORT",
        ["relay-upstream"] = "FAULTLINE_LAB_RELAY_UPSTREAM_PORT",
    };

    [Fact]
    public async Task LabUp_RedisMissing_RollsBackPostgresAndTheNextUpWorks()
    {
        var repo = LocalServices.FindRepositoryRoot();
        var dir = Path.Combine(Path.GetTempPath(), "faultline-lab-rollback-" + Guid.NewGuid().ToString("N")[..8]);
        var ports = LabFixture.FreePorts(LabStack.PortNames);
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["FAULTLINE_REPO"] = repo,
            ["FAULTLINE_LAB_DIR"] = dir,
        };
        foreach (var (name, port) in ports)
        {
            environment[PortVariables[name]] = port.ToString(CultureInfo.InvariantCulture);
        }

        var missing = Path.Combine(dir, "no-redis-here");
        try
        {
            // A fresh machine without Redis: postgres starts, then the redis step fails.
            var failed = await RunCliAsync(["lab", "up"], new(environment) { ["FAULTLINE_REDIS_BIN"] = missing }, TimeSpan.FromMinutes(3));

            Assert.True(failed.ExitCode == 1, $"lab up without Redis exited {failed.ExitCode}, expected 1\n{failed}");
            Assert.Contains("postgres  started", failed.Stdout, StringComparison.Ordinal);
            Assert.Contains("lab up failed at step redis; rolling back what this up started", failed.Stdout, StringComparison.Ordinal);
            Assert.Contains("postgres  stopped", failed.Stdout, StringComparison.Ordinal);
            var error = Assert.Single(failed.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith("faultline lab: up failed at step redis: ", error, StringComparison.Ordinal);
            Assert.Contains($"missing {missing}/redis-server", error, StringComparison.Ordinal);
            Assert.EndsWith("; rolled back: stopped postgres (what this up had started, in reverse order)", error, StringComparison.Ordinal);
            await LabLeftovers.AssertNothingRunsAsync(dir, ports.Values, "after the failed up");

            // Redis installed: the next up starts everything and the stack is ready.
            var up = await RunCliAsync(["lab", "up"], environment, TimeSpan.FromMinutes(4));

            Assert.True(up.ExitCode == 0, $"lab up after the rollback exited {up.ExitCode}\n{up}");
            Assert.Contains("postgres  started", up.Stdout, StringComparison.Ordinal);
            Assert.Contains("app       ready", up.Stdout, StringComparison.Ordinal);
            var status = await RunCliAsync(["lab", "status"], environment, TimeSpan.FromMinutes(1));
            Assert.True(status.ExitCode == 0, $"lab status after up exited {status.ExitCode}\n{status}");

            var down = await RunCliAsync(["lab", "down", "--purge"], environment, TimeSpan.FromMinutes(2));

            Assert.True(down.ExitCode == 0, $"lab down exited {down.ExitCode}\n{down}");
            await LabLeftovers.AssertNothingRunsAsync(dir, ports.Values, "after down");
            Assert.False(Directory.Exists(dir), $"{dir} still exists after down --purge");
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                var stack = LabStack.Open(repo, dir, ports, TimeProvider.System);
                await using (stack)
                {
                    await stack.DownAsync(purge: true, null, CancellationToken.None);
                }
            }
        }
    }

    /// <summary>Runs <c>dotnet faultline.dll ARGS</c> to its end (killed after <paramref name="timeout"/>).</summary>
    private static async Task<CliRun> RunCliAsync(IReadOnlyList<string> arguments, Dictionary<string, string> environment, TimeSpan timeout)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        info.ArgumentList.Add(CliProcess.LocateCli());
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"faultline {string.Join(' ', arguments)} did not finish within {timeout.TotalSeconds:0} s\nstdout:\n{await stdout}\nstderr:\n{await stderr}");
        }

        return new CliRun(process.ExitCode, await stdout, await stderr);
    }

    private sealed record CliRun(int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => $"stdout:\n{Stdout}\nstderr:\n{Stderr}";
    }
}
