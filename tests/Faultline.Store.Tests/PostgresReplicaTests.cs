using Faultline.Core.Model;
using Faultline.TestSupport;

namespace Faultline.Store.Tests;

/// <summary>Several monitor replicas on one PostgreSQL store: each <see cref="HistoryStores.Open"/> is one replica.</summary>
[Trait(TestTiers.Name, TestTiers.Services)]
[Collection(LocalServices.Collection)]
public sealed class PostgresReplicaTests(LocalServices services) : IAsyncLifetime
{
    private static readonly DateTimeOffset Origin = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private readonly StoreFactory _factory = new(services);
    private string _spec = string.Empty;

    public async Task InitializeAsync() => _spec = await _factory.NewSpecAsync("postgres");

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task MigrateAsync_ReplicasStartingTogether_AllSucceedAndStepsRunOnce()
    {
        var replicas = Enumerable.Range(0, 4).Select(_ => HistoryStores.Open(_spec, TimeProvider.System)).ToArray();
        try
        {
            await Task.WhenAll(replicas.Select(r => r.MigrateAsync()));
        }
        finally
        {
            foreach (var replica in replicas)
            {
                await replica.DisposeAsync();
            }
        }

        Assert.Equal((long)Schema.Latest, Convert.ToInt64(await StoreFactory.ScalarAsync(_spec, "SELECT COUNT(*) FROM schema_version"), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task OpenIncidentAsync_TwoReplicasAtOnce_ShareOneIncidentAndAnnounceItOnce()
    {
        await using var a = HistoryStores.Open(_spec, TimeProvider.System);
        await using var b = HistoryStores.Open(_spec, TimeProvider.System);
        await Task.WhenAll(a.MigrateAsync(), b.MigrateAsync());

        for (var round = 0; round < 10; round++)
        {
            var target = $"db-{round}";
            var opened = await Task.WhenAll(
                a.OpenIncidentAsync(HistoryStoreTests.Incident(target, Origin.AddMinutes(round), ["a saw it"], null)),
                b.OpenIncidentAsync(HistoryStoreTests.Incident(target, Origin.AddMinutes(round).AddSeconds(1), ["b saw it"], null)));
            Assert.Equal(opened[0].Id, opened[1].Id);

            var sent = await Task.WhenAll(
                a.TryRecordNotificationAsync(opened[0].Id, "open", Origin),
                b.TryRecordNotificationAsync(opened[1].Id, "open", Origin));
            Assert.Single(sent, s => s);

            var resolved = await Task.WhenAll(a.ResolveIncidentAsync(target, Origin.AddHours(1)), b.ResolveIncidentAsync(target, Origin.AddHours(1)));
            Assert.Single(resolved, r => r is not null);
        }

        Assert.Equal(10L, await StoreFactory.ScalarAsync(_spec, "SELECT COUNT(*) FROM incidents"));
        Assert.Equal(10L, await StoreFactory.ScalarAsync(_spec, "SELECT COUNT(*) FROM notifications"));
        Assert.Empty(await b.OpenIncidentsAsync());
    }

    [Fact]
    public async Task TryAcquireAlertLeaseAsync_WhileAnotherReplicaHoldsIt_NullUntilThatOneDisposes()
    {
        await using var a = HistoryStores.Open(_spec, TimeProvider.System);
        await using var b = HistoryStores.Open(_spec, TimeProvider.System);

        var lease = await a.TryAcquireAlertLeaseAsync();
        Assert.NotNull(lease);
        Assert.True(lease.IsHeld);
        Assert.Null(await b.TryAcquireAlertLeaseAsync());
        Assert.Null(await a.TryAcquireAlertLeaseAsync());

        await lease.DisposeAsync();
        Assert.False(lease.IsHeld);

        await using var taken = await b.TryAcquireAlertLeaseAsync();
        Assert.NotNull(taken);
        Assert.True(taken.IsHeld);
    }

    [Fact]
    public async Task TryAcquireAlertLeaseAsync_HolderConnectionTerminated_HolderLearnsItAndTheOtherReplicaTakesOver()
    {
        await using var a = HistoryStores.Open(_spec, TimeProvider.System);
        await using var b = HistoryStores.Open(_spec, TimeProvider.System);
        await using var lease = await a.TryAcquireAlertLeaseAsync();
        Assert.NotNull(lease);
        Assert.Null(await b.TryAcquireAlertLeaseAsync());

        var terminated = await _factory.AdminAsync(
            "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = @db AND application_name = 'faultline alert lease'",
            ("db", StoreFactory.DatabaseOf(_spec)));
        Assert.Equal(1L, terminated);

        Assert.True(await Eventually(() => Task.FromResult(!lease.IsHeld)), "the holder still believes it holds the lease");
        IAlertLease? taken = null;
        Assert.True(await Eventually(async () => (taken = await b.TryAcquireAlertLeaseAsync()) is not null), "the other replica never got the lease");
        Assert.True(taken!.IsHeld);
        await taken.DisposeAsync();
    }

    [Fact]
    public async Task ApplyRetentionAsync_TwoReplicasAtOnce_RollUpEachHourOnce()
    {
        await using var a = HistoryStores.Open(_spec, TimeProvider.System);
        await using var b = HistoryStores.Open(_spec, TimeProvider.System);
        var results = Enumerable.Range(0, 600).Select(i => HistoryStoreTests.Result($"t{i % 3}", Origin.AddMinutes(i), i % 10 == 0 ? ResultStatus.Fail : ResultStatus.Pass, i, i % 10 == 0 ? Layer.Proxy : null)).ToArray();
        await a.WriteResultsAsync(results);

        var now = Origin.AddHours(10).AddMinutes(30);
        await Task.WhenAll(a.ApplyRetentionAsync(now, TimeSpan.FromDays(1), TimeSpan.FromDays(30)), b.ApplyRetentionAsync(now, TimeSpan.FromDays(1), TimeSpan.FromDays(30)));
        await b.ApplyRetentionAsync(now, TimeSpan.FromDays(1), TimeSpan.FromDays(30));

        var rollups = await b.RollupsAsync(null, Origin, now);
        Assert.Equal(30, rollups.Count);
        Assert.Equal(600, rollups.Sum(r => r.Total));
        Assert.Equal(60, rollups.Sum(r => r.FailuresByLayer.GetValueOrDefault(Layer.Proxy)));
    }

    private static async Task<bool> Eventually(Func<Task<bool>> condition)
    {
        var deadline = TimeProvider.System.GetTimestamp();
        while (TimeProvider.System.GetElapsedTime(deadline) < Patience)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(100);
        }

        return false;
    }
}
