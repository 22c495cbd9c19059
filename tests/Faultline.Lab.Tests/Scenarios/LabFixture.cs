using Faultline.Lab.Stack;
using Faultline.TestSupport;

namespace Faultline.Lab.Tests.Scenarios;

/// <summary>
/// The real lab (PostgreSQL, Redis, nginx, dnsmasq, the relay and GoldenPath), brought up once for the
/// collection and taken down at its end. Tests in the collection run one after another.
/// </summary>
public sealed class LabFixture : IAsyncLifetime
{
    private readonly List<string> _log = [];

    public LabStack Stack { get; } = LabStack.Open(LabPaths.RepositoryRoot);

    /// <summary>What <c>lab up</c> reported (shown when a test fails).</summary>
    public IReadOnlyList<string> Log => _log;

    public async Task InitializeAsync()
    {
        TestTiers.RequireServer("the lab stack");
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await Stack.UpAsync(new Progress(_log), timeout.Token);
    }

    public async Task DisposeAsync()
    {
        await Stack.DownAsync(null, CancellationToken.None);
        await Stack.DisposeAsync();
    }

    /// <summary>Records synchronously (Progress&lt;T&gt; would post to the thread pool and lose ordering).</summary>
    private sealed class Progress(List<string> log) : IProgress<string>
    {
        public void Report(string value)
        {
            lock (log)
            {
                log.Add(value);
            }
        }
    }
}

[CollectionDefinition(Name)]
public sealed class LabCollection : ICollectionFixture<LabFixture>
{
    public const string Name = "lab";
}
