using Faultline.Core.Config;
using static Faultline.Core.Tests.Config.ConfigTestSupport;

namespace Faultline.Core.Tests.Config;

public class ConfigErrorTests
{
    [Fact]
    public void LoadText_BadYaml_ReportsParserPosition()
    {
        const string yaml = "targets:\n  - name: a\n   kind: tcp\n";

        var error = Assert.Single(Errors(yaml));

        Assert.Equal("faultline.yaml", error.Location!.File);
        Assert.Equal(3, error.Location.Line);
        Assert.StartsWith("invalid YAML: ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Line:", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void LoadText_TabIndent_PointsAtTheTab()
    {
        var error = SingleError("targets:\n\t- name: a\n", 2, 1);

        Assert.Contains("tab", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadText_AliasWhereNodeCannotStart_IsAnError()
    {
        var errors = Errors("conditions: [\"[STATUS] == 200\"]*a\n");

        Assert.All(errors, e => Assert.StartsWith("invalid YAML: ", e.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void LoadText_UnquotedCondition_HintsToQuote()
    {
        const string yaml = "targets:\n  - name: a\n    kind: http\n    url: http://h/\n    conditions:\n      - [STATUS] == 200\n";

        var error = Assert.Single(Errors(yaml));

        Assert.Equal(6, error.Location!.Line);
        Assert.Contains("quote each condition", error.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadText_DuplicateYamlKey_IsAnError()
    {
        var error = Assert.Single(Errors("targets: []\ntargets: []\n"));

        Assert.Equal(2, error.Location!.Line);
        Assert.Contains("the same key appears twice", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("# only a comment\n")]
    public void LoadText_Empty_IsAnError(string yaml)
    {
        var error = SingleError(yaml, 1, 1);

        Assert.Equal("the config is empty", error.Message);
    }

    [Fact]
    public void LoadText_NotAMapping_IsAnError()
    {
        var error = SingleError("- a\n- b\n", 1, 1);

        Assert.Contains("must be a mapping", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadText_UnknownKind_SuggestsNearest()
    {
        var error = SingleError("targets:\n  - { name: api, kind: htpp, url: http://h/ }\n", 2, 24);

        Assert.Equal("unknown kind 'htpp' in target 'api'", error.Message);
        Assert.StartsWith("did you mean 'http'? kinds: http, tls, dns, tcp, postgres, redis, secret", error.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadText_UnknownTargetKey_SuggestsNearestKey()
    {
        const string yaml = """
            targets:
              - name: api
                kind: http
                url: http://127.0.0.1/
                tiemout: 5s
            """;

        var error = SingleError(yaml, 5, 5);

        Assert.Equal("faultline.yaml:5:5: unknown key 'tiemout' in target 'api' (kind http). did you mean 'timeout'?", error.ToString());
    }

    [Fact]
    public void LoadText_KeyOfAnotherKind_SaysWhatTheKindTakes()
    {
        var error = SingleError("targets:\n  - { name: db-port, kind: tcp, host: h, port: 1, url: http://h/ }\n", 2, 51);

        Assert.Equal("'url' does not apply to kind tcp in target 'db-port'", error.Message);
        Assert.StartsWith("tcp takes resolver, host, port", error.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadText_UnknownTopLevelKey_SuggestsNearest()
    {
        var error = SingleError("enviroment: x\ntargets: [{ name: a, kind: secret, required: [A] }]\n", 1, 1);

        Assert.Equal("unknown key 'enviroment' at the top level", error.Message);
        Assert.Equal("did you mean 'environment'?", error.Hint);
    }

    [Fact]
    public void LoadText_UnknownKeyFar_FromAnything_ListsAllowedKeys()
    {
        var error = SingleError("defaults: { zzzzzz: 1 }\ntargets: [{ name: a, kind: secret, required: [A] }]\n", 1, 13);

        Assert.Equal("unknown key 'zzzzzz' in 'defaults' at the top level", error.Message);
        Assert.Equal("keys here: timeout, concurrency, checkDeadline, owner", error.Hint);
    }

    [Theory]
    [InlineData("targets:\n  - { kind: tcp, host: h, port: 1 }\n", 2, 5, "missing 'name' in a target")]
    [InlineData("targets:\n  - { name: a, host: h, port: 1 }\n", 2, 5, "missing 'kind' in target 'a'")]
    [InlineData("targets:\n  - { name: a, kind: http }\n", 2, 5, "missing 'url' in target 'a' (kind http)")]
    [InlineData("targets:\n  - { name: a, kind: tcp, host: h }\n", 2, 5, "missing 'port' in target 'a' (kind tcp)")]
    [InlineData("targets:\n  - { name: a, kind: tls }\n", 2, 5, "missing 'host' in target 'a' (kind tls)")]
    [InlineData("targets:\n  - { name: a, kind: dns }\n", 2, 5, "missing 'host' in target 'a' (kind dns)")]
    [InlineData("targets:\n  - { name: a, kind: postgres }\n", 2, 5, "missing 'connectionString' in target 'a' (kind postgres)")]
    [InlineData("targets:\n  - { name: a, kind: redis }\n", 2, 5, "missing 'connectionString' in target 'a' (kind redis)")]
    [InlineData("targets:\n  - { name: a, kind: secret }\n", 2, 5, "in target 'a' (kind secret) needs 'required' or 'rules'")]
    [InlineData("environment: x\n", 1, 1, "missing 'targets' at the top level")]
    [InlineData("targets: []\n", 1, 10, "'targets' is empty")]
    [InlineData("targets:\n  - { name: s, kind: secret, source: {}, required: [A] }\n", 2, 38, "missing 'dir' in 'source' in target 's' (kind secret)")]
    public void LoadText_MissingRequiredField_NamesIt(string yaml, int line, int column, string message)
    {
        var error = SingleError(yaml, line, column);

        Assert.Equal(message, error.Message);
    }

    [Theory]
    [InlineData("  - { name: a, kind: http, url: ftp://h/ }", 33, "must be an absolute http:// or https:// URL, not \"ftp://h/\"")]
    [InlineData("  - { name: a, kind: http, url: /health }", 33, "must be an absolute http:// or https:// URL")]
    [InlineData("  - { name: a b, kind: tcp, host: h, port: 1 }", 13, "bad name \"a b\"")]
    [InlineData("  - { name: a, kind: tcp, host: h, port: 70000 }", 42, "'port' in target 'a' (kind tcp) is 70000; it must be in 1..65535")]
    [InlineData("  - { name: a, kind: tcp, host: h, port: eighty }", 42, "'port' in target 'a' (kind tcp) must be a whole number, not \"eighty\"")]
    [InlineData("  - { name: a, kind: tcp, host: 'http://h', port: 1 }", 33, "must be a host name or IP address")]
    [InlineData("  - { name: a, kind: tcp, host: h, port: 1, critical: yes }", 55, "'critical' in target 'a' (kind tcp) must be true or false, not \"yes\"")]
    [InlineData("  - { name: a, kind: tcp, host: h, port: 1, resolver: 'dns.test' }", 55, "bad resolver \"dns.test\"")]
    [InlineData("  - { name: a, kind: tcp, host: h, port: 1, resolver: '1.2.3.4:0' }", 55, "bad resolver")]
    [InlineData("  - { name: a, kind: tcp, host: h, port: 1, resolver: '5353' }", 55, "bad resolver")]
    [InlineData("  - { name: a, kind: dns, host: h, recordTypes: [MX] }", 50, "unknown record type \"MX\"")]
    [InlineData("  - { name: a, kind: http, url: 'http://h/', method: 'GE T' }", 54, "bad HTTP method \"GE T\"")]
    [InlineData("  - { name: a, kind: tcp, host: h, port: 1, conditions: '[STATUS] == 200' }", 57, "'conditions' in target 'a' (kind tcp) must be a list")]
    [InlineData("  - { name: a, kind: tcp, host: h, port: 1, dependsOn: b }", 56, "'dependsOn' in target 'a' (kind tcp) must be a list")]
    [InlineData("  - { name: a, kind: tcp, host: h, port: , }", 42, "'port' in target 'a' (kind tcp) has no value")]
    [InlineData("  - { name: a, kind: secret, source: vault, required: [A] }", 38, "'source' in target 'a' (kind secret) must be env or { dir: PATH }, not \"vault\"")]
    [InlineData("  - { name: a, kind: secret, rules: { A: { pattern: '(' } } }", 53, "bad pattern \"(\" for 'pattern' in rules.A in target 'a' (kind secret)")]
    [InlineData("  - { name: a, kind: secret, rules: { A: { minLength: -1 } } }", 55, "is -1; it must be in 0..1000000")]
    [InlineData("  - { name: a, kind: secret, rules: { A: { length: 3 } } }", 44, "unknown key 'length' in rules.A in target 'a' (kind secret)")]
    [InlineData("  - { name: a, kind: secret, required: ['A B'] }", 41, "bad secret name \"A B\"")]
    [InlineData("  - { name: a, kind: http, url: 'http://h/', tls: { caFile: missing.pem } }", 61, "'caFile' in 'tls' in target 'a' (kind http): file not found: ")]
    [InlineData("  - { name: a, kind: http, url: 'http://h/', tls: { insecur: true } }", 53, "unknown key 'insecur' in 'tls' in target 'a' (kind http)")]
    [InlineData("  - { name: a, kind: http, url: 'http://h/', headers: [a] }", 55, "'headers' in target 'a' (kind http) must be a mapping of names to values")]
    [InlineData("  - { name: a, kind: http, url: 'http://h/', tls: true }", 51, "'tls' in target 'a' (kind http) must be a mapping")]
    [InlineData("  - { name: a, kind: http, url: [x] }", 33, "'url' in target 'a' (kind http) must be a single value, not a list")]
    public void LoadText_BadValue_PointsAtIt(string target, int column, string message)
    {
        var error = SingleError("targets:\n" + target + "\n", 2, column);

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(error.Hint));
    }

    [Theory]
    [InlineData("10 sec", " ")]
    [InlineData("10", " (a bare number has no unit)")]
    [InlineData("10x", " ")]
    [InlineData("s", " ")]
    public void LoadText_BadDuration_SaysWhatToWrite(string value, string detail)
    {
        var error = SingleError($"defaults:\n  timeout: {value}\ntargets: [{{ name: a, kind: secret, required: [A] }}]\n", 2, 12);

        Assert.StartsWith($"bad duration \"{value}\" for 'timeout' in 'defaults' at the top level", error.Message, StringComparison.Ordinal);
        Assert.Contains(detail.Trim(), error.Message, StringComparison.Ordinal);
        Assert.Equal("write a number and a unit: 250ms, 2s, 1.5s, 5m, 2h or 14d", error.Hint);
    }

    [Fact]
    public void LoadText_BadTargetTimeout_PointsAtValue()
    {
        var error = SingleError("targets:\n  - { name: a, kind: tcp, host: h, port: 1, timeout: \"0s\" }\n", 2, 54);

        Assert.Equal("'timeout' in target 'a' (kind tcp) must be longer than zero", error.Message);
    }

    [Fact]
    public void LoadText_ConcurrencyOutOfRange_IsAnError()
    {
        var error = SingleError("defaults: { concurrency: 0 }\ntargets: [{ name: a, kind: secret, required: [A] }]\n", 1, 26);

        Assert.Contains("must be in 1..1024", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    // double-quoted in a flow sequence: the quote is accounted for
    [InlineData("    conditions: [\"[STATUS] == 200\", \"[STATS] == 200\"]", 38, "unknown placeholder [STATS]")]
    // single-quoted with escaped quotes ('') before the error
    [InlineData("    conditions: ['[BODY] == ''a'' b']", 35, "unexpected text after the value at column 15")]
    // double-quoted with escapes before the error
    [InlineData("    conditions: [\"[BODY] == \\\"a\\\" b\"]", 35, "unexpected text after the value at column 15")]
    public void LoadText_BadCondition_PointsAtTheCharacter(string conditionLine, int column, string message)
    {
        var yaml = "targets:\n  - name: a\n    kind: http\n    url: http://h/\n" + conditionLine + "\n";

        var error = SingleError(yaml, 5, column);

        Assert.StartsWith("bad condition \"", error.Message, StringComparison.Ordinal);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadText_BadConditionPlain_ColumnIsScalarPlusOffset()
    {
        const string yaml = "targets:\n  - name: a\n    kind: http\n    url: http://h/\n    conditions:\n      - \"[STATUS] = 200\"\n";

        var error = SingleError(yaml, 6, 19);

        Assert.Equal("bad condition \"[STATUS] = 200\" in target 'a' (kind http): expected an operator after [STATUS] at column 10", error.Message);
        Assert.Equal("'=' alone is not an operator: write ==; operators: ==, !=, <, <=, >, >=, contains, matches", error.Hint);
    }

    [Fact]
    public void LoadText_BadConditionTypeMismatch_PointsAtValue()
    {
        const string yaml = "targets:\n  - { name: a, kind: http, url: http://h/, conditions: [\"[STATUS] < 2s\"] }\n";

        var error = SingleError(yaml, 2, 69);

        Assert.Contains("[STATUS] is a number and cannot be compared with a duration", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadText_UnsetVariable_NamesItAndItsLocation()
    {
        const string yaml = "targets:\n  - { name: db, kind: postgres, connectionString: \"host=h;password=${DB_PASSWORD}\" }\n";

        var error = SingleError(yaml, 2, 68, Env(("OTHER", "value-must-not-leak")));

        Assert.Equal("environment variable DB_PASSWORD is not set", error.Message);
        Assert.Equal("set it, or give a default: ${DB_PASSWORD:-value}", error.Hint);
    }

    [Fact]
    public void LoadText_VariableValue_NeverAppearsInErrors()
    {
        const string yaml = """
            environment: ${MISSING}
            defaults: { timeout: "${T}" }
            targets:
              - { name: a, kind: tcp, host: h, port: "${PORT}", critical: "${CRIT}", conditions: ["${COND}"], resolver: "${RES}" }
              - { name: "${BADNAME}", kind: http, url: "${URL}" }
            """;
        const string secret = "hunter2-super-secret";
        var env = Env(("T", secret), ("PORT", secret), ("CRIT", secret), ("COND", secret), ("RES", secret), ("BADNAME", secret + " x"), ("URL", secret));

        var ex = Assert.Throws<ConfigException>(() => Load(yaml, env));

        Assert.Equal(8, ex.Errors.Count);
        Assert.DoesNotContain(secret, ex.Message, StringComparison.Ordinal);
        Assert.Contains("environment variable MISSING is not set", ex.Message, StringComparison.Ordinal);
        Assert.Contains("bad duration \"${T}\"", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("environment: \"a ${B\"", 1, 17, "unterminated ${ in value")]
    [InlineData("environment: \"${1A}\"", 1, 15, "bad variable name '1A' in ${...}")]
    [InlineData("environment: x${NOPE}y", 1, 15, "environment variable NOPE is not set")]
    public void LoadText_BadInterpolation_PointsAtIt(string line, int lineNumber, int column, string message)
    {
        var error = SingleError(line + "\ntargets: [{ name: a, kind: secret, required: [A] }]\n", lineNumber, column);

        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void LoadText_DuplicateNames_PointsAtSecond()
    {
        var error = SingleError("targets:\n  - { name: a, kind: secret, required: [A] }\n  - { name: a, kind: secret, required: [B] }\n", 3, 13);

        Assert.Equal("duplicate target name 'a'", error.Message);
        Assert.Equal("it is already used at faultline.yaml:2:13; give each target its own name", error.Hint);
    }

    [Fact]
    public void LoadText_DependsOnUnknown_SuggestsNearest()
    {
        var error = SingleError("targets:\n  - { name: db-port, kind: tcp, host: h, port: 1 }\n  - { name: db, kind: tcp, host: h, port: 2, dependsOn: [db-prot] }\n", 3, 58);

        Assert.Equal("target 'db' depends on 'db-prot', which is not defined", error.Message);
        Assert.Equal("did you mean 'db-port'?", error.Hint);
    }

    [Fact]
    public void LoadText_ServiceUnknown_SuggestsNearest()
    {
        var error = SingleError("targets:\n  - { name: api, kind: remote, url: \"https://a.test/health/infrastructure\" }\n  - { name: ready, kind: http, url: \"https://a.test/ready\", service: apj }\n", 3, 70);

        Assert.Equal("target 'ready' names service 'apj', which is not defined", error.Message);
        Assert.Equal("did you mean 'api'?", error.Hint);
    }

    [Fact]
    public void LoadText_ServiceNotRemote_SaysWhichKindItIs()
    {
        var error = SingleError("targets:\n  - { name: api, kind: tcp, host: h, port: 1 }\n  - { name: ready, kind: http, url: \"https://a.test/ready\", service: api }\n", 3, 70);

        Assert.Equal("target 'ready' names service 'api', which is of kind tcp, not remote", error.Message);
    }

    [Fact]
    public void LoadText_Service_IsCarriedOntoTheTarget()
    {
        var config = ConfigLoader.LoadText("targets:\n  - { name: api, kind: remote, url: \"https://a.test/health/infrastructure\" }\n  - { name: ready, kind: http, url: \"https://b.test/ready\", service: api }\n", "faultline.yaml", ".");

        Assert.Equal("api", config.Targets[1].Service);
        Assert.Null(config.Targets[0].Service);
    }

    [Fact]
    public void LoadText_DependsOnCycle_NamesTheCycle()
    {
        const string yaml = """
            targets:
              - { name: a, kind: tcp, host: h, port: 1, dependsOn: [b] }
              - { name: b, kind: tcp, host: h, port: 1, dependsOn: [c] }
              - { name: c, kind: tcp, host: h, port: 1, dependsOn: [a] }
              - { name: d, kind: tcp, host: h, port: 1, dependsOn: [d] }
            """;

        var errors = Errors(yaml);

        Assert.Equal(2, errors.Count);
        Assert.Equal("faultline.yaml:2:5: dependsOn forms a cycle: a → b → c → a. remove one of these dependsOn entries", errors[0].ToString());
        Assert.Equal("dependsOn forms a cycle: d → d", errors[1].Message);
    }

    [Fact]
    public void LoadText_ManyErrors_AllReportedInFileOrder()
    {
        const string yaml = """
            targets:
              - { name: a, kind: htp }
              - { name: b, kind: tcp, host: h, port: 1, timeout: 5 }
              - { name: c, kind: http, url: "http://h/", conditions: ["[STATUS] == ok"], colour: red }
            environmnt: x
            """;

        var ex = Assert.Throws<ConfigException>(() => Load(yaml));

        Assert.Equal([2, 3, 4, 4, 5], ex.Errors.Select(e => e.Location!.Line));
        Assert.Equal(ex.Errors.Count, ex.Message.Split('\n').Length);
        Assert.All(ex.Errors, e => Assert.StartsWith($"faultline.yaml:{e.Location!.Line}:{e.Location.Column}: ", e.ToString(), StringComparison.Ordinal));
    }

    [Fact]
    public void ConfigError_ToString_FormatsLocationMessageAndHint()
    {
        Assert.Equal("f.yaml:3:7: bad thing. do this", new ConfigError(new SourceLocation("f.yaml", 3, 7), "bad thing", "do this").ToString());
        Assert.Equal("f.yaml:1:1: bad thing", new ConfigError(new SourceLocation("f.yaml", 1, 1), "bad thing", null).ToString());
        Assert.Equal("bad thing. do this", new ConfigError(null, "bad thing", "do this").ToString());
    }
}
