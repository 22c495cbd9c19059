using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Faultline.Store.Tests;

/// <summary>
/// A writer killed with SIGKILL at a random moment, 20 times on the same SQLite file: the file stays
/// intact and every result whose write had returned (the writer printed its sequence number) is in it.
/// </summary>
public sealed class CrashTests : IDisposable
{
    private const int Kills = 20;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly string _directory = Directory.CreateTempSubdirectory("faultline-crash-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task WriteResultsAsync_WriterKilledTwentyTimes_FileIntactAndNoReturnedWriteLost()
    {
        var database = Path.Combine(_directory, "crash.db");
        var random = new Random(20260301);
        var printed = new HashSet<long>();
        for (var kill = 0; kill < Kills; kill++)
        {
            var first = kill * 1_000_000L;
            var wanted = random.Next(1, 400);
            var extraDelay = TimeSpan.FromMilliseconds(random.Next(0, 30));
            var seen = await RunAndKillAsync(database, first, wanted, extraDelay);
            Assert.True(seen.Count >= wanted, $"run {kill}: the writer printed {seen.Count} of the {wanted} sequence numbers waited for");
            printed.UnionWith(seen);

            var (integrity, stored) = await InspectAsync(database);
            Assert.Equal("ok", integrity);
            var lost = seen.Where(s => !stored.Contains(s)).Take(5).ToArray();
            Assert.True(lost.Length == 0, $"run {kill}: returned writes missing from the file: {string.Join(", ", lost)}");
        }

        var (finalIntegrity, all) = await InspectAsync(database);
        Assert.Equal("ok", finalIntegrity);
        Assert.Subset(all, printed);

        // The store opens the file the kills left behind and keeps working.
        await using var store = HistoryStores.Open("sqlite:" + database, TimeProvider.System);
        await store.WriteResultsAsync([HistoryStoreTests.Result("after", DateTimeOffset.UnixEpoch.AddDays(1), Core.Model.ResultStatus.Pass, 1)]);
        Assert.Single(await store.ResultsAsync("after", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddDays(2)));
    }

    private static async Task<HashSet<long>> RunAndKillAsync(string database, long first, int wanted, TimeSpan extraDelay)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(WriterPath());
        start.ArgumentList.Add(database);
        start.ArgumentList.Add(first.ToString(CultureInfo.InvariantCulture));

        var seen = new HashSet<long>();
        var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet");
        var stderr = process.StandardError.ReadToEndAsync();
        var reader = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                if (long.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var sequence))
                {
                    lock (seen)
                    {
                        seen.Add(sequence);
                        if (seen.Count >= wanted)
                        {
                            enough.TrySetResult();
                        }
                    }
                }
            }
        });

        var finished = await Task.WhenAny(enough.Task, process.WaitForExitAsync(), Task.Delay(Patience));
        if (finished != enough.Task)
        {
            if (!process.HasExited)
            {
                process.Kill();
            }

            throw new InvalidOperationException($"the writer printed {seen.Count} of {wanted} sequence numbers; stderr: {await stderr}");
        }

        await Task.Delay(extraDelay);
        process.Kill(); // SIGKILL on Linux: no finalizers, no flush, no checkpoint.
        await process.WaitForExitAsync();
        await reader;
        return seen;
    }

    private static async Task<(string Integrity, HashSet<long> Stored)> InspectAsync(string database)
    {
        await using var connection = new SqliteConnection($"Data Source={database};Pooling=false");
        await connection.OpenAsync();
        await using var check = connection.CreateCommand();
        check.CommandText = "PRAGMA integrity_check";
        var integrity = Convert.ToString(await check.ExecuteScalarAsync(), CultureInfo.InvariantCulture) ?? string.Empty;

        var stored = new HashSet<long>();
        await using var select = connection.CreateCommand();
        select.CommandText = "SELECT message FROM results";
        await using var rows = await select.ExecuteReaderAsync();
        while (await rows.ReadAsync())
        {
            stored.Add(long.Parse(rows.GetString(0), CultureInfo.InvariantCulture));
        }

        return (integrity, stored);
    }

    /// <summary>The writer built next to these tests (same configuration), run with <c>dotnet</c>.</summary>
    private static string WriterPath()
    {
        var own = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
        var sibling = own.Replace(
            Path.Combine("tests", "Faultline.Store.Tests", "bin"),
            Path.Combine("tests", "Faultline.Store.Writer", "bin"),
            StringComparison.Ordinal);
        var path = Path.Combine(sibling, "Faultline.Store.Writer.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"build tests/Faultline.Store.Writer first; looked for {path}", path);
    }
}
