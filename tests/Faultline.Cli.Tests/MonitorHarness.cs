using System.Diagnostics;

namespace Faultline.Cli.Tests;

/// <summary>Runs <c>faultline monitor</c> in-process for a test: writers it can read while the monitor writes, and waiting with a bound.</summary>
internal static class MonitorHarness
{
    public static List<string> Lines(Captured output) =>
        output.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();

    /// <summary>Waits until <paramref name="condition"/> holds; fails when the monitor stops first or after 30 s.</summary>
    public static async Task WaitForAsync(Func<bool> condition, Task<int> run, Captured error)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (run.IsCompleted)
            {
                throw new InvalidOperationException($"the monitor stopped early (exit {await run}): {error.Text}");
            }

            if (watch.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new TimeoutException("condition not met in 30 s; stderr: " + error.Text);
            }

            await Task.Delay(50);
        }
    }

    /// <summary>A writer the monitor writes to from its own tasks while the test reads it.</summary>
    public sealed class Captured : IDisposable
    {
        private readonly StringWriter _inner = new();

        public Captured() => Writer = TextWriter.Synchronized(_inner);

        public TextWriter Writer { get; }

        public string Text
        {
            get
            {
                // SyncTextWriter's members lock the wrapper itself.
                lock (Writer)
                {
                    return _inner.ToString();
                }
            }
        }

        public void Dispose() => _inner.Dispose();
    }
}
