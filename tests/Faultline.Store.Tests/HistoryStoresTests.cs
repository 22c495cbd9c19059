using Microsoft.Extensions.Time.Testing;

namespace Faultline.Store.Tests;

public sealed class HistoryStoresTests
{
    private const string Password = "s3cret-Pa55word";

    private readonly FakeTimeProvider _time = new();

    [Theory]
    [InlineData("")]
    [InlineData("sqlite:")]
    [InlineData("mysql://app:" + Password + "@db:3306/app")]
    [InlineData("redis:" + Password)]
    [InlineData("postgres:")]
    [InlineData("postgres:just-a-host")]
    [InlineData("postgres:postgres://app:" + Password + "@db:5432/app?sslmode=sometimes")]
    [InlineData("postgres:postgres://app:" + Password + "@db:5432/app?pool=1")]
    [InlineData("postgres://app:" + Password + "@db:5432/a/b")]
    [InlineData("postgres:Host=db;Username=app;Password=" + Password + ";Nonsense=1")]
    [InlineData("postgres:Username=app;Password=" + Password + ";Database=app")]
    [InlineData("postgres:Host=a,b;Username=app;Password=" + Password)]
    [InlineData("postgres:postgres://app:" + Password + "@/history")]
    [InlineData("postgres:Host=/cloudsql/p:r:i;Username=app;Password=" + Password + ";SSL Mode=VerifyFull")]
    public void Open_SpecItCannotUse_ThrowsSayingHowToFixWithoutThePassword(string spec)
    {
        var error = Assert.Throws<HistoryStoreException>(() => HistoryStores.Open(spec, _time));

        Assert.StartsWith("history store: ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, error.Message, StringComparison.Ordinal);
        Assert.Matches("use |give |name |add |known: |expected ", error.Message);
    }

    [Theory]
    [InlineData("postgres://app:" + Password + "@db:5432/history")]
    [InlineData("postgres:postgres://app:" + Password + "@db:5432/history?sslmode=disable")]
    [InlineData("postgresql:Host=db;Username=app;Password=" + Password + ";Database=history")]
    [InlineData("postgres:Host=db;Username=app;Pwd='" + Password + "';Nonsense=1")]
    public void Redactor_PostgresSpec_KnowsItsPassword(string spec)
    {
        var redactor = HistoryStores.Redactor(spec);

        Assert.Equal("28P01: password authentication failed (***)", redactor.Redact($"28P01: password authentication failed ({Password})"));
    }

    [Fact]
    public void Redactor_SqliteSpec_KnowsNothing()
    {
        Assert.Equal(0, HistoryStores.Redactor("sqlite:./" + Password + ".db").Count);
    }

    [Fact]
    public async Task Open_RelativeSqlitePath_ResolvesAgainstTheCurrentDirectory()
    {
        await using var store = HistoryStores.Open("sqlite:./history/faultline.db", _time);

        Assert.Equal("sqlite:" + Path.Combine(Directory.GetCurrentDirectory(), "history", "faultline.db"), store.Description);
    }

    [Theory]
    [InlineData("postgres:postgres://app:" + Password + "@db.internal:6432/history?sslmode=require", "postgres:db.internal:6432/history")]
    [InlineData("postgresql://app:" + Password + "@db.internal/history", "postgres:db.internal:5432/history")]
    [InlineData("postgres:Host=10.0.0.5;Port=5433;Username=app;Password=" + Password + ";Database=history", "postgres:10.0.0.5:5433/history")]
    [InlineData("postgres:Host=10.0.0.5;Username=app;Password=" + Password, "postgres:10.0.0.5:5432/app")]
    [InlineData("postgres:Host=/cloudsql/proj:europe-west1:main;Username=app;Password=" + Password + ";Database=history", "postgres:unix:/cloudsql/proj:europe-west1:main/.s.PGSQL.5432 (db history)")]
    [InlineData("postgres://app:" + Password + "@/history?host=/cloudsql/proj:europe-west1:main&port=6432", "postgres:unix:/cloudsql/proj:europe-west1:main/.s.PGSQL.6432 (db history)")]
    public async Task Open_PostgresSpec_DescribesHostPortOrSocketAndDatabaseOnly(string spec, string description)
    {
        await using var store = HistoryStores.Open(spec, _time);

        Assert.Equal(description, store.Description);
    }
}
