using System.Diagnostics;
using Faultline.Monitor.Engine;
using Faultline.Monitor.Tests.Alerts;

namespace Faultline.Monitor.Tests.Engine;

/// <summary>The config watcher (a real file-system watcher and poll on a temporary directory) outlives whatever one change does.</summary>
public sealed class ConfigWatcherTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("faultline-watch-").FullName;

    private string File => Path.Combine(directory, "faultline.yaml");

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public async Task Watch_CallbackThrows_LoggedAndTheNextChangeIsDelivered()
    {
        System.IO.File.WriteAllText(File, "one");
        using var logs = new CapturingLoggerFactory();
        var calls = 0;
        await using var watcher = new ConfigWatcher(
            File,
            _ => Interlocked.Increment(ref calls) == 1 ? throw new InvalidOperationException("reload blew up \u001b[31m") : Task.CompletedTask,
            TimeProvider.System,
            logs);

        System.IO.File.WriteAllText(File, "two, longer");
        await WaitForAsync(() => Volatile.Read(ref calls) == 1, "the first change was not delivered");
        System.IO.File.WriteAllText(File, "three, longer still");

        await WaitForAsync(() => Volatile.Read(ref calls) == 2, "a change after a callback that threw was not delivered: the watcher stopped");
        var failed = Assert.Single(logs.WithEventId(421));
        Assert.Contains("InvalidOperationException: reload blew up \\x1b[31m", failed.Message, StringComparison.Ordinal);
        Assert.All(logs.Entries, e => HostileText.AssertInert(e.AllText));
    }

    [Fact]
    public async Task Watch_FileDeletedReplacedByADirectoryThenRecreated_EveryChangeDelivered()
    {
        System.IO.File.WriteAllText(File, "one");
        var calls = 0;
        await using var watcher = new ConfigWatcher(File, _ => { Interlocked.Increment(ref calls); return Task.CompletedTask; }, TimeProvider.System);

        System.IO.File.Delete(File);
        await WaitForAsync(() => Volatile.Read(ref calls) == 1, "the deletion was not delivered");
        Directory.CreateDirectory(File);
        await Task.Delay(ConfigWatcher.PollEvery + ConfigWatcher.Debounce);
        Directory.Delete(File);
        System.IO.File.WriteAllText(File, "back again");

        await WaitForAsync(() => Volatile.Read(ref calls) == 2, "the recreated file was not delivered");
    }

    private static async Task WaitForAsync(Func<bool> condition, string failure)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), failure);
            await Task.Delay(20);
        }
    }
}
