using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Lab.Relay;
using Faultline.Lab.Scenarios;

namespace Faultline.Lab.Tests.Scenarios;

public sealed class ScenarioLoaderTests
{
    private static ConfigError SingleError(string yaml)
    {
        var ex = Assert.Throws<ConfigException>(() => ScenarioLoader.LoadText(yaml, "s.yaml"));
        return Assert.Single(ex.Errors);
    }

    [Fact]
    public void LoadText_RelayFaultAndExpectation_ReadsEveryField()
    {
        var scenario = ScenarioLoader.LoadText(
            """
            name: db-path-saturated
            description: VPC connector saturated
            faults:
              - { link: db, fault: latency, delay: 5s }
            settle: { until: stable, delay: 1s, timeout: 15s }
            expect: { target: api/postgres, layer: database, side: infrastructure }
            """,
            "s.yaml");

        Assert.Equal("db-path-saturated", scenario.Name);
        Assert.Equal("VPC connector saturated", scenario.Description);
        var fault = Assert.IsType<RelayFault>(Assert.Single(scenario.Faults));
        Assert.Equal("db", fault.Link);
        Assert.Equal(FaultKind.Latency, fault.Spec.Kind);
        Assert.Equal(TimeSpan.FromSeconds(5), fault.Spec.Delay);
        Assert.Equal(new SourceLocation("s.yaml", 4, 5), fault.Location);
        Assert.Equal(SettleMode.Stable, scenario.Settle.Until);
        Assert.Equal(TimeSpan.FromSeconds(1), scenario.Settle.Delay);
        Assert.Equal(TimeSpan.FromSeconds(15), scenario.Settle.Timeout);
        Assert.Equal(new ScenarioExpectation { Target = "api/postgres", Layer = Layer.Database, Side = Side.Infrastructure }, scenario.Expect);
    }

    [Fact]
    public void LoadText_EveryLabAction_IsRead()
    {
        var scenario = ScenarioLoader.LoadText(
            """
            name: all-actions
            faults:
              - { stop: redis }
              - { cert: wrong-name }
              - { dns: { remove: api.lab.test } }
              - { secret: { remove: Jwt__Secret } }
              - { secret: { rotate: ConnectionStrings__Postgres } }
              - { postgres: exhaust }
              - { postgres: { maxConnections: 5 } }
              - { app: restart }
              - { app: { bug: login-500 } }
            settle: { until: app-exited }
            expect: { layer: configuration, side: application }
            """,
            "s.yaml");

        Assert.Equal(
            [
                new LabAction(LabActionKind.Stop, "redis"),
                new LabAction(LabActionKind.Cert, "wrong-name"),
                new LabAction(LabActionKind.DnsRemove, "api.lab.test"),
                new LabAction(LabActionKind.SecretRemove, "Jwt__Secret"),
                new LabAction(LabActionKind.SecretRotate, "ConnectionStrings__Postgres"),
                new LabAction(LabActionKind.PostgresExhaust),
                new LabAction(LabActionKind.PostgresMaxConnections, Number: 5),
                new LabAction(LabActionKind.AppRestart),
                new LabAction(LabActionKind.AppBug, "login-500"),
            ],
            scenario.Faults.Cast<LabAction>().Select(a => a with { Location = null }));
        Assert.Equal(SettleMode.AppExited, scenario.Settle.Until);
        Assert.Equal(ScenarioSettle.MaxTimeout, scenario.Settle.Timeout);
        Assert.Equal("postgres maxConnections=5", scenario.Faults[6].Describe());
    }

    [Fact]
    public void LoadText_ExpectFindings_AreRead()
    {
        var scenario = ScenarioLoader.LoadText(
            "name: a\nfaults: [{ link: cache, fault: blackhole }]\nexpect: { target: api/redis, findings: [{ target: golden-path, dependency: api/redis }] }\n", "s.yaml");

        Assert.Equal([new ExpectedFinding("golden-path", "api/redis")], scenario.Expect.Findings);
    }

    [Theory]
    [InlineData("expect: { target: x, findings: golden-path }", "s.yaml:3:32: 'expect.findings' must be a list")]
    [InlineData("expect: { target: x, findings: [{ target: golden-path }] }", "s.yaml:3:33: an expected finding names both the target that waits and the dependency it waits on")]
    [InlineData("expect: { target: x, findings: [{ target: g, dependancy: d }] }", "s.yaml:3:46: unknown key 'dependancy' in expect.findings")]
    public void LoadText_BadFindings_NameFileLineColumn(string expect, string message)
    {
        var error = Assert.Throws<ConfigException>(() => ScenarioLoader.LoadText("name: a\nfaults: [{ stop: redis }]\n" + expect + "\n", "s.yaml"));

        Assert.Contains(error.Errors, e => e.ToString().StartsWith(message, StringComparison.Ordinal));
    }

    [Fact]
    public void LoadText_HealthyBaseline_HasNoFaults()
    {
        var scenario = ScenarioLoader.LoadText("name: healthy-baseline\nfaults: []\nexpect: { status: healthy }\n", "s.yaml");

        Assert.Empty(scenario.Faults);
        Assert.Equal(OverallStatus.Healthy, scenario.Expect.Status);
        Assert.False(scenario.Expect.ExpectsPrimary);
    }

    [Theory]
    [InlineData("name: a\nexpect: { status: healthy }\ncolour: red\n", "s.yaml:3:1: unknown key 'colour' in a scenario")]
    [InlineData("name: a\nexpect: { status: healthy }\nfault: []\n", "s.yaml:3:1: unknown key 'fault' in a scenario. did you mean 'faults'?")]
    [InlineData("expect: { status: healthy }\n", "s.yaml:1:1: 'name' is required in a scenario")]
    [InlineData("name: Db Path\nexpect: { status: healthy }\n", "s.yaml:1:7: scenario name 'Db Path' must be lower-case letters, digits and '-'")]
    [InlineData("name: a\n", "s.yaml:1:1: the scenario has no 'expect'")]
    [InlineData("name: a\nexpect: {}\n", "s.yaml:2:9: 'expect' is empty")]
    [InlineData("name: a\nexpect: { status: fine }\n", "s.yaml:2:19: expect.status: 'fine' is not one of healthy, degraded, unhealthy")]
    [InlineData("name: a\nexpect: { layer: databse }\nfaults: [{ stop: redis }]\n", "s.yaml:2:18: expect.layer: 'databse' is not one of dns, network, tls, proxy, application, database, cache, configuration, unknown. did you mean 'database'?")]
    [InlineData("name: a\nexpect: { side: infra }\nfaults: [{ stop: redis }]\n", "s.yaml:2:17: expect.side: 'infra' is not one of infrastructure, application")]
    [InlineData("name: a\nexpect: { status: healthy, layer: dns }\n", "s.yaml:2:9: expect says status healthy and also names a primary failure")]
    [InlineData("name: a\nexpect: { layer: dns }\n", "s.yaml:2:9: the scenario has no faults but expects a primary failure")]
    [InlineData("name: a\nexpect: { status: healthy, why: x }\n", "s.yaml:2:28: unknown key 'why' in expect")]
    [InlineData("name: a\nfaults: { stop: redis }\nexpect: { status: healthy }\n", "s.yaml:2:9: 'faults' must be a list")]
    [InlineData("name: a\nfaults: [ stop ]\nexpect: { status: healthy }\n", "s.yaml:2:11: each fault must be a mapping: a relay fault { link, fault, ... } or one lab action")]
    [InlineData("name: a\nfaults: [{ fault: blackhole }]\nexpect: { status: healthy }\n", "s.yaml:2:10: a relay fault needs 'link'")]
    [InlineData("name: a\nfaults: [{ link: db }]\nexpect: { status: healthy }\n", "s.yaml:2:10: the relay fault on link 'db' needs 'fault'")]
    [InlineData("name: a\nfaults: [{ link: dbx, fault: blackhole }]\nexpect: { status: healthy }\n", "s.yaml:2:18: unknown link 'dbx'. did you mean 'db'? the lab's links: db, cache, upstream")]
    [InlineData("name: a\nfaults: [{ link: db, fault: latency, delay: [5s] }]\nexpect: { status: healthy }\n", "s.yaml:2:45: 'delay' must be a single value, not a list")]
    [InlineData("name: a\nfaults: [{ link: db, fault: blackhole, stop: redis }]\nexpect: { status: healthy }\n", "s.yaml:2:40: 'stop' is a lab action and cannot be combined with a relay fault in one entry")]
    [InlineData("name: a\nfaults: [{ stop: redis, cert: expired }]\nexpect: { status: healthy }\n", "s.yaml:2:10: a lab action has exactly one key, this entry has 2 (stop, cert)")]
    [InlineData("name: a\nfaults: [{ stopp: redis }]\nexpect: { status: healthy }\n", "s.yaml:2:12: unknown fault 'stopp'. did you mean 'stop'?")]
    [InlineData("name: a\nfaults: [{ stop: mysql }]\nexpect: { status: healthy }\n", "s.yaml:2:18: stop: 'mysql' is not one of postgres, redis, app, nginx, dns")]
    [InlineData("name: a\nfaults: [{ cert: expird }]\nexpect: { status: healthy }\n", "s.yaml:2:18: cert: 'expird' is not one of expired, wrong-name, untrusted. did you mean 'expired'?")]
    [InlineData("name: a\nfaults: [{ dns: api.lab.test }]\nexpect: { status: healthy }\n", "s.yaml:2:17: 'dns' takes one of remove as a mapping")]
    [InlineData("name: a\nfaults: [{ dns: { delete: x } }]\nexpect: { status: healthy }\n", "s.yaml:2:19: unknown key 'delete' in dns")]
    [InlineData("name: a\nfaults: [{ secret: { rotate: '' } }]\nexpect: { status: healthy }\n", "s.yaml:2:30: secret.rotate is empty")]
    [InlineData("name: a\nfaults: [{ dns: { remove: ldap.example } }]\nexpect: { status: healthy }\n", "s.yaml:2:27: dns.remove: the lab has no 'ldap.example'. known: api.lab.test, db.lab.test, cache.lab.test")]
    [InlineData("name: a\nfaults: [{ secret: { remove: Jwt__Secrt } }]\nexpect: { status: healthy }\n", "s.yaml:2:30: secret.remove: the lab has no 'Jwt__Secrt'. did you mean 'Jwt__Secret'?")]
    [InlineData("name: a\nfaults: [{ secret: { rotate: Jwt__Secret } }]\nexpect: { status: healthy }\n", "s.yaml:2:30: secret.rotate: the lab has no 'Jwt__Secret'. known: ConnectionStrings__Postgres, ConnectionStrings__Redis")]
    [InlineData("name: a\nfaults: [{ postgres: drain }]\nexpect: { status: healthy }\n", "s.yaml:2:22: postgres: 'drain' is not one of exhaust")]
    [InlineData("name: a\nfaults: [{ postgres: { maxConnections: -1 } }]\nexpect: { status: healthy }\n", "s.yaml:2:40: postgres.maxConnections must be a whole number from 0 (the role may not connect) to 10000, not '-1'")]
    [InlineData("name: a\nfaults: [{ app: reboot }]\nexpect: { status: healthy }\n", "s.yaml:2:17: app: 'reboot' is not one of restart")]
    [InlineData("name: a\nsettle: { until: ready }\nexpect: { status: healthy }\n", "s.yaml:2:18: settle.until: 'ready' is not one of stable, app-exited")]
    [InlineData("name: a\nsettle: { timeout: 30s }\nexpect: { status: healthy }\n", "s.yaml:2:20: settle.timeout (30s) must be more than 0 and at most 20s")]
    [InlineData("name: a\nsettle: { delay: 5 }\nexpect: { status: healthy }\n", "s.yaml:2:18: settle.delay: '5' is not a duration")]
    [InlineData("name: a\nsettle: { delay: 10s, timeout: 5s }\nexpect: { status: healthy }\n", "s.yaml:2:9: settle.delay (10s) must be shorter than settle.timeout (5s)")]
    [InlineData("name: a\nsettle: stable\nexpect: { status: healthy }\n", "s.yaml:2:9: 'settle' must be a mapping")]
    [InlineData("", "s.yaml:1:1: the scenario is empty")]
    [InlineData("- name: a\n", "s.yaml:1:1: a scenario must be a mapping with name, description, faults, settle and expect")]
    [InlineData("name: a\n---\nname: b\n", "s.yaml:3:1: more than one YAML document")]
    [InlineData("name: [a\n", "s.yaml:2:1: invalid YAML")]
    public void LoadText_InvalidScenario_NamesFileLineColumn(string yaml, string expected)
    {
        var error = SingleError(yaml);

        Assert.StartsWith(expected, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void LoadText_RelayFaultRejectedByFaultSpec_ReportsItsMessageAtTheEntry()
    {
        var error = SingleError("name: a\nfaults:\n  - { link: db, fault: latency }\nexpect: { status: healthy }\n");

        Assert.Equal(new SourceLocation("s.yaml", 3, 5), error.Location);
        Assert.StartsWith("relay fault on link 'db': ", error.Message, StringComparison.Ordinal);
        Assert.Contains("delay", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadText_SeveralProblems_ReportsAllInFileOrder()
    {
        var ex = Assert.Throws<ConfigException>(() => ScenarioLoader.LoadText(
            "name: a\nfaults:\n  - { stop: mysql }\n  - { cert: old }\nexpect: { side: both }\n",
            "s.yaml"));

        Assert.Equal([3, 4, 5], ex.Errors.Select(e => e.Location!.Line));
    }

    [Fact]
    public void LoadFile_MissingFile_SaysSo()
    {
        var ex = Assert.Throws<ConfigException>(() => ScenarioLoader.LoadFile(Path.Combine(Path.GetTempPath(), "faultline-no-such-scenario.yaml")));

        Assert.StartsWith("scenario file not found: ", Assert.Single(ex.Errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadDirectory_SkipsCheckYamlAndRejectsDuplicateNames()
    {
        var dir = Directory.CreateTempSubdirectory("faultline-scenarios-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "check.yaml"), "targets: []\n");
            File.WriteAllText(Path.Combine(dir.FullName, "a.yaml"), "name: same\nexpect: { status: healthy }\n");
            Assert.Equal(["same"], ScenarioLoader.LoadDirectory(dir.FullName).Select(s => s.Name));

            File.WriteAllText(Path.Combine(dir.FullName, "b.yaml"), "name: same\nexpect: { status: healthy }\n");
            var ex = Assert.Throws<ConfigException>(() => ScenarioLoader.LoadDirectory(dir.FullName));
            Assert.Contains("scenario name 'same' is also used by", Assert.Single(ex.Errors).Message, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void LoadDirectory_ShippedExamples_AllLoadWithDistinctNamesAndAtLeastFifteen()
    {
        var scenarios = ScenarioLoader.LoadDirectory(LabPaths.ExamplesDirectory);

        Assert.True(scenarios.Count >= 15, $"{scenarios.Count} scenarios");
        Assert.Contains(scenarios, s => s.Expect.Status == OverallStatus.Healthy && s.Faults.Count == 0);
        Assert.All(scenarios, s => Assert.Equal(Path.GetFileNameWithoutExtension(s.SourcePath), s.Name));
    }
}
