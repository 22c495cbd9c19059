using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Faultline.TestSupport;

namespace Faultline.AspNetCore.Tests.Packaging;

/// <summary>
/// An application on Faultline.AspNetCore alone (tests/Faultline.AspNetCore.DriverFreeApp, one HTTP dependency)
/// carries neither Npgsql nor StackExchange.Redis: read from what the build produced, and run.
/// </summary>
public sealed class DriverFreeAppTests
{
    private const string App = "Faultline.AspNetCore.DriverFreeApp";

    [Fact]
    public void DepsJson_AppOnFaultlineAspNetCoreAlone_ListsNeitherNpgsqlNorStackExchangeRedis()
    {
        var libraries = Libraries(Output("tests", App), App);

        Assert.Contains(libraries, l => l.StartsWith("Faultline.AspNetCore/", StringComparison.Ordinal));
        Assert.DoesNotContain(libraries, l => l.StartsWith("Npgsql", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(libraries, l => l.StartsWith("StackExchange.Redis", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(libraries, l => l.StartsWith("Faultline.Probes.Postgres", StringComparison.Ordinal) || l.StartsWith("Faultline.Probes.Redis", StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(Output("tests", App), "Npgsql.dll")));
        Assert.False(File.Exists(Path.Combine(Output("tests", App), "StackExchange.Redis.dll")));
    }

    [Theory]
    [InlineData("Faultline.AspNetCore.Postgres", "Npgsql/")]
    [InlineData("Faultline.AspNetCore.Redis", "StackExchange.Redis/")]
    public void DepsJson_DriverPackage_ListsItsDriver(string package, string driver) =>
        Assert.Contains(Libraries(Output("src", package), package), l => l.StartsWith(driver, StringComparison.Ordinal));

    [Fact]
    public void References_LibraryAndProbePackages_KeepDriversAndAspNetCoreApart()
    {
        var library = typeof(FaultlineBuilder).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();
        Assert.DoesNotContain(library, n => n.StartsWith("Npgsql", StringComparison.Ordinal) || n.StartsWith("StackExchange", StringComparison.Ordinal) || n.StartsWith("Faultline.Probes.", StringComparison.Ordinal));

        foreach (var probes in new[] { typeof(Faultline.Probes.Postgres.PostgresProbes), typeof(Faultline.Probes.Redis.RedisProbes) })
        {
            var references = probes.Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();
            Assert.DoesNotContain(references, n => n.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal) || n.StartsWith("Faultline.AspNetCore", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Run_AppOnFaultlineAspNetCoreAlone_ReportsItsHttpDependencyHealthy()
    {
        await using var upstream = TestServers.Http(TestServers.RawResponse(200, "OK", "ok"));
        var port = TestServers.ClosedPort();
        var directory = Output("tests", App);
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        start.ArgumentList.Add(Path.Combine(directory, App + ".dll"));
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["Upstream__Url"] = upstream.BaseUrl + "/";
        start.Environment["Faultline__Health__Interval"] = "00:00:00.200";
        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        Assert.True(process.Start());
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
            string? upstreamStatus = null;
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (upstreamStatus != "healthy" && !process.HasExited)
            {
                try
                {
                    using var response = await client.GetAsync("/health/infrastructure", deadline.Token);
                    var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(deadline.Token)).RootElement;
                    upstreamStatus = body.GetProperty("components").GetProperty("upstream").GetProperty("status").GetString();
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }

                if (upstreamStatus != "healthy")
                {
                    await Task.Delay(100, deadline.Token);
                }
            }

            Assert.True(upstreamStatus == "healthy", $"the app did not report its HTTP dependency healthy; output:{Environment.NewLine}{Snapshot(output)}");
            Assert.DoesNotContain("FileNotFoundException", Snapshot(output), StringComparison.Ordinal);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            await process.WaitForExitAsync();
        }
    }

    /// <summary>The build output of a project of this repository, in this test assembly's configuration and framework.</summary>
    private static string Output(string folder, string project)
    {
        var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var directory = Path.Combine(LocalServices.FindRepositoryRoot(), folder, project, "bin", testBin.Parent!.Name, testBin.Name);
        Assert.True(Directory.Exists(directory), $"{directory} does not exist: build {project} (building this test project builds it)");
        return directory;
    }

    /// <summary>The <c>libraries</c> of a deps.json: <c>Name/Version</c> of every package and project the application loads.</summary>
    private static List<string> Libraries(string directory, string project)
    {
        var path = Path.Combine(directory, project + ".deps.json");
        Assert.True(File.Exists(path), $"{path} does not exist");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return [.. document.RootElement.GetProperty("libraries").EnumerateObject().Select(p => p.Name)];
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static string Snapshot(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }
}
