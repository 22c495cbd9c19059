using Faultline.Core.Config;
using static Faultline.Core.Tests.Config.ConfigTestSupport;

namespace Faultline.Core.Tests.Config;

public class ConfigMonitorKeysTests
{
    private const string Db = "targets:\n  - { name: db, kind: tcp, host: 127.0.0.1, port: 5432 }\n";

    [Fact]
    public void LoadText_MonitorSection_MapsEveryKey()
    {
        using var dir = new TempDirectory();
        const string yaml = """
            monitor:
              store: "sqlite:data/faultline.db"
              flapWindow: 5m
              flapChanges: 6
              rawRetention: 7d
              rollupRetention: 90d
              reminder: 4h
              maintenance:
                - { from: 2026-11-26T02:00:00Z, until: "2026-11-26T04:00:00+01:00", targets: [db], reason: database upgrade }
                - from: 2026-12-01T00:00:00Z
                  until: 2026-12-01T01:30:00Z
            targets:
              - { name: db, kind: tcp, host: 127.0.0.1, port: 5432 }
            """;

        var monitor = Load(yaml, baseDirectory: dir.Path).Monitor;

        Assert.Equal("sqlite:" + Path.Combine(dir.Path, "data", "faultline.db"), monitor.Store);
        Assert.Equal(TimeSpan.FromMinutes(5), monitor.FlapWindow);
        Assert.Equal(6, monitor.FlapChanges);
        Assert.Equal(TimeSpan.FromDays(7), monitor.RawRetention);
        Assert.Equal(TimeSpan.FromDays(90), monitor.RollupRetention);
        Assert.Equal(TimeSpan.FromHours(4), monitor.Reminder);
        Assert.Equal(2, monitor.Maintenance.Count);
        var upgrade = monitor.Maintenance[0];
        Assert.Equal(new DateTimeOffset(2026, 11, 26, 2, 0, 0, TimeSpan.Zero), upgrade.From);
        Assert.Equal(new DateTimeOffset(2026, 11, 26, 3, 0, 0, TimeSpan.Zero), upgrade.Until.ToUniversalTime());
        Assert.Equal(TimeSpan.FromHours(1), upgrade.Until.Offset);
        Assert.Equal(["db"], upgrade.Targets);
        Assert.Equal("database upgrade", upgrade.Reason);
        var all = monitor.Maintenance[1];
        Assert.Empty(all.Targets);
        Assert.Null(all.Reason);
        Assert.Equal(TimeSpan.FromMinutes(90), all.Until - all.From);
    }

    [Fact]
    public void LoadText_NoMonitorSection_UsesRecordDefaults()
    {
        var monitor = Load(Db).Monitor;
        var defaults = new MonitorSpec();

        Assert.Null(monitor.Store);
        Assert.Equal(defaults.FlapWindow, monitor.FlapWindow);
        Assert.Equal(4, monitor.FlapChanges);
        Assert.Equal(TimeSpan.FromDays(14), monitor.RawRetention);
        Assert.Equal(TimeSpan.FromDays(400), monitor.RollupRetention);
        Assert.Null(monitor.Reminder);
        Assert.Empty(monitor.Maintenance);
    }

    [Fact]
    public void LoadText_EmptyMonitorSection_UsesRecordDefaults()
    {
        var monitor = Load("monitor: {}\n" + Db).Monitor;

        Assert.Null(monitor.Store);
        Assert.Equal(TimeSpan.FromMinutes(10), monitor.FlapWindow);
        Assert.Equal(4, monitor.FlapChanges);
        Assert.Empty(monitor.Maintenance);
    }

    [Fact]
    public void LoadText_PostgresStore_KeepsConnectionString()
    {
        var monitor = Load("monitor: { store: \"postgres:Host=127.0.0.1;Port=5432;Username=f;Password=${PGPASSWORD}\" }\n" + Db, Env(("PGPASSWORD", "pw-1")));

        Assert.Equal("postgres:Host=127.0.0.1;Port=5432;Username=f;Password=pw-1", monitor.Monitor.Store);
    }

    [Fact]
    public void LoadText_AbsoluteSqlitePath_IsKept()
    {
        var monitor = Load("monitor: { store: \"sqlite:/var/lib/faultline/history.db\" }\n" + Db).Monitor;

        Assert.Equal("sqlite:/var/lib/faultline/history.db", monitor.Store);
    }

    [Theory]
    [InlineData("mysql://u:hunter2@127.0.0.1/db", "unknown store \"mysql:\" for 'store' in 'monitor' at the top level")]
    [InlineData("postgresql:Host=h;Password=hunter2", "unknown store \"postgresql:\" for 'store' in 'monitor' at the top level (did you mean postgres:?)")]
    [InlineData("sqlit:./f.db", "unknown store \"sqlit:\" for 'store' in 'monitor' at the top level (did you mean sqlite:?)")]
    [InlineData("./faultline.db", "'store' in 'monitor' at the top level must start with sqlite: or postgres:")]
    [InlineData("sqlite:", "'store' in 'monitor' at the top level names no file after sqlite:")]
    [InlineData("postgres://u:hunter2@127.0.0.1/db", "'store' in 'monitor' at the top level needs a key=value connection string after postgres:")]
    [InlineData("postgres:hunter2", "'store' in 'monitor' at the top level needs a key=value connection string after postgres:")]
    public void LoadText_BadStore_NamesTheFormWithoutTheValue(string store, string message)
    {
        var error = SingleError($"monitor:\n  store: \"{store}\"\n" + Db, 2, 10);

        Assert.Equal(message, error.Message);
        Assert.Contains("sqlite:./faultline.db", error.Hint, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void LoadText_StoreFromEnvironmentWithBadPrefix_DoesNotQuoteIt()
    {
        var error = SingleError("monitor: { store: \"${STORE}\" }\n" + Db, 1, 19, Env(("STORE", "mysql:secret-store")));

        Assert.Equal("'store' in 'monitor' at the top level must start with sqlite: or postgres:", error.Message);
        Assert.DoesNotContain("secret-store", error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("flapChanges: 0", "'flapChanges' in 'monitor' at the top level is 0; it must be in 1..1000")]
    [InlineData("flapChanges: 1001", "'flapChanges' in 'monitor' at the top level is 1001; it must be in 1..1000")]
    [InlineData("flapWindow: 10", "bad duration \"10\" for 'flapWindow' in 'monitor' at the top level (a bare number has no unit)")]
    [InlineData("reminder: soon", "bad duration \"soon\" for 'reminder' in 'monitor' at the top level")]
    public void LoadText_BadMonitorValue_IsReportedAtTheValue(string line, string message)
    {
        var column = line.IndexOf(':', StringComparison.Ordinal) + 5;

        var error = SingleError($"monitor:\n  {line}\n" + Db, 2, column);

        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void LoadText_UnknownMonitorKey_SuggestsTheNearest()
    {
        var error = SingleError("monitor:\n  stroe: \"sqlite:./f.db\"\n" + Db, 2, 3);

        Assert.Equal("unknown key 'stroe' in 'monitor' at the top level", error.Message);
        Assert.Equal("did you mean 'store'?", error.Hint);
    }

    [Fact]
    public void LoadText_RollupShorterThanRaw_IsAnErrorAtRollupRetention()
    {
        var error = SingleError("monitor:\n  rawRetention: 30d\n  rollupRetention: 7d\n" + Db, 3, 20);

        Assert.Equal("'rollupRetention' (7d) in 'monitor' is shorter than 'rawRetention' (30d)", error.Message);
        Assert.Contains("raise rollupRetention", error.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadText_RawLongerThanDefaultRollup_IsAnErrorAtRawRetention()
    {
        var error = SingleError("monitor:\n  rawRetention: 500d\n" + Db, 2, 17);

        Assert.Equal("'rollupRetention' (400d) in 'monitor' is shorter than 'rawRetention' (500d)", error.Message);
    }

    [Fact]
    public void LoadText_MaintenanceUntilBeforeFrom_IsAnErrorAtUntil()
    {
        const string yaml = "monitor:\n  maintenance:\n    - from: 2026-11-26T04:00:00Z\n      until: 2026-11-26T04:30:00+01:00\n" + Db;

        var error = SingleError(yaml, 4, 14);

        Assert.Equal("'until' (2026-11-26T04:30:00+01:00) of a maintenance window is not after its 'from' (2026-11-26T04:00:00Z)", error.Message);
    }

    [Theory]
    [InlineData("2026-11-26T02:00:00", "bad timestamp \"2026-11-26T02:00:00\" for 'from' in 'maintenance' in 'monitor' at the top level (it has no offset: which time zone would it be?)")]
    [InlineData("2026-11-26", "bad timestamp \"2026-11-26\" for 'from' in 'maintenance' in 'monitor' at the top level (it has no offset: which time zone would it be?)")]
    [InlineData("tomorrow", "bad timestamp \"tomorrow\" for 'from' in 'maintenance' in 'monitor' at the top level")]
    [InlineData("2026-13-40T02:00:00Z", "bad timestamp \"2026-13-40T02:00:00Z\" for 'from' in 'maintenance' in 'monitor' at the top level")]
    public void LoadText_BadTimestamp_SaysWhatIsMissing(string from, string message)
    {
        var yaml = $"monitor:\n  maintenance:\n    - {{ from: \"{from}\", until: 2026-11-26T04:00:00Z }}\n" + Db;

        var error = SingleError(yaml, 3, 15);

        Assert.Equal(message, error.Message);
        Assert.Contains("2026-11-26T02:00:00Z", error.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadText_MaintenanceWithoutUntil_IsMissing()
    {
        var error = SingleError("monitor:\n  maintenance:\n    - { from: 2026-11-26T02:00:00Z }\n" + Db, 3, 7);

        Assert.Equal("missing 'until' in 'maintenance' in 'monitor' at the top level", error.Message);
        Assert.Equal("add until: 2026-11-26T04:00:00Z", error.Hint);
    }

    [Fact]
    public void LoadText_MaintenanceUnknownTarget_SuggestsTheNearest()
    {
        var yaml = "monitor:\n  maintenance:\n    - { from: 2026-11-26T02:00:00Z, until: 2026-11-26T03:00:00Z, targets: [bd] }\n" + Db;

        var error = SingleError(yaml, 3, 76);

        Assert.Equal("the maintenance window names target 'bd', which is not defined", error.Message);
        Assert.Equal("did you mean 'db'? targets: db", error.Hint);
    }

    [Fact]
    public void LoadText_TopLevelNotAMapping_ListsEveryRootKey()
    {
        var error = SingleError("- a\n", 1, 1);

        Assert.Equal("the config must be a mapping of keys (environment, defaults, resolver, targets, monitor, alerts, validation)", error.Message);
    }

    [Fact]
    public void LoadFile_MonitorExample_LoadsWithItsAlertsAndWindows()
    {
        var path = Path.Combine(RepositoryRoot(), "examples", "monitor.yaml");
        var env = Env(("DATABASE_URL", "postgres://u:p@127.0.0.1:55432/db"), ("REDIS_URL", "redis://127.0.0.1:56379/0"));

        var config = ConfigLoader.LoadFile(path, env);

        Assert.Equal("sqlite:" + Path.Combine(Path.GetDirectoryName(path)!, "faultline-monitor.db"), config.Monitor.Store);
        Assert.Equal(TimeSpan.FromHours(4), config.Monitor.Reminder);
        Assert.Equal(["db", "db-port"], Assert.Single(config.Monitor.Maintenance).Targets);
        Assert.Equal(["ops", "journal"], config.Alerts.Select(a => a.Name));
        Assert.Equal("http://127.0.0.1:9000/hook", config.Alerts[0].Url);
        Assert.All(config.Targets, t => Assert.NotEmpty(t.Alerts));
        Assert.Equal(TimeSpan.FromMilliseconds(250), config.Targets.Single(t => t.Name == "db").DegradedAbove);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Faultline.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Faultline.slnx not found above " + AppContext.BaseDirectory);
    }
}
