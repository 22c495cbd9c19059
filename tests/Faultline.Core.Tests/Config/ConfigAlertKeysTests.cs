using Faultline.Core.Config;
using static Faultline.Core.Tests.Config.ConfigTestSupport;

namespace Faultline.Core.Tests.Config;

public class ConfigAlertKeysTests
{
    private const string Db = "targets:\n  - { name: db, kind: tcp, host: 127.0.0.1, port: 5432 }\n";

    [Fact]
    public void LoadText_Alerts_MapEveryKindAndKey()
    {
        const string yaml = """
            alerts:
              - { name: ops, kind: webhook, url: "http://127.0.0.1:9000/hook" }
              - name: chat
                kind: webhook
                url: https://hooks.example.test/T000/B000
                format: slack
                headers: { Authorization: "Bearer ${HOOK_TOKEN}" }
                retries: 0
                timeout: 2s
              - { name: pager, kind: command, run: ./notify.sh, retries: 10 }
              - { name: journal, kind: log }
            targets:
              - { name: db, kind: tcp, host: 127.0.0.1, port: 5432, alerts: [ops, pager] }
            """;

        var config = Load(yaml, Env(("HOOK_TOKEN", "t0k")));

        Assert.Equal(["ops", "chat", "pager", "journal"], config.Alerts.Select(a => a.Name));
        var ops = config.Alerts[0];
        Assert.Equal((AlertKinds.Webhook, "http://127.0.0.1:9000/hook", "generic", 3, TimeSpan.FromSeconds(10)), (ops.Kind, ops.Url, ops.Format, ops.Retries, ops.Timeout));
        Assert.Empty(ops.Headers);
        Assert.Equal(new SourceLocation("faultline.yaml", 2, 5), ops.Location);
        var chat = config.Alerts[1];
        Assert.Equal(("slack", 0, TimeSpan.FromSeconds(2)), (chat.Format, chat.Retries, chat.Timeout));
        Assert.Equal("Bearer t0k", chat.Headers["authorization"]);
        var pager = config.Alerts[2];
        Assert.Equal((AlertKinds.Command, "./notify.sh", 10, (string?)null), (pager.Kind, pager.Run, pager.Retries, pager.Url));
        Assert.Equal(config.BaseDirectory, pager.WorkingDirectory);
        Assert.Equal(AlertKinds.Log, config.Alerts[3].Kind);
        Assert.Equal(["ops", "pager"], config.Targets[0].Alerts);
    }

    [Fact]
    public void LoadText_NoAlerts_IsEmpty()
    {
        var config = Load(Db);

        Assert.Empty(config.Alerts);
        Assert.Empty(config.Targets[0].Alerts);
    }

    [Theory]
    [InlineData("{ kind: log }", 2, 5, "missing 'name' in an alert")]
    [InlineData("{ name: ops }", 2, 5, "missing 'kind' in alert 'ops'")]
    [InlineData("{ name: ops, kind: webhok, url: \"http://h/\" }", 2, 24, "unknown kind 'webhok' in alert 'ops'")]
    [InlineData("{ name: ops, kind: webhook }", 2, 5, "missing 'url' in alert 'ops' (kind webhook)")]
    [InlineData("{ name: ops, kind: webhook, url: ftp://h/x }", 2, 38, "'url' in alert 'ops' (kind webhook) must be an absolute http:// or https:// URL, not \"ftp://h/x\"")]
    [InlineData("{ name: ops, kind: webhook, url: \"http://h/\", format: slak }", 2, 59, "unknown format \"slak\" in alert 'ops' (kind webhook)")]
    [InlineData("{ name: ops, kind: webhook, url: \"http://h/\", run: ./x.sh }", 2, 51, "'run' does not apply to kind webhook in alert 'ops'")]
    [InlineData("{ name: pager, kind: command }", 2, 5, "missing 'run' in alert 'pager' (kind command)")]
    [InlineData("{ name: pager, kind: command, run: \"\" }", 2, 40, "'run' in alert 'pager' (kind command) is empty")]
    [InlineData("{ name: pager, kind: command, run: ./n.sh, url: \"http://h/\" }", 2, 48, "'url' does not apply to kind command in alert 'pager'")]
    [InlineData("{ name: journal, kind: log, retries: 11 }", 2, 42, "'retries' in alert 'journal' (kind log) is 11; it must be in 0..10")]
    [InlineData("{ name: journal, kind: log, timeout: 0s }", 2, 42, "'timeout' in alert 'journal' (kind log) must be longer than zero")]
    [InlineData("{ name: journal, kind: log, headers: { A: b } }", 2, 33, "'headers' does not apply to kind log in alert 'journal'")]
    [InlineData("{ name: \"bad name\", kind: log }", 2, 13, "bad name \"bad name\" for 'name' in alert 'bad name' (kind log)")]
    public void LoadText_BadAlert_IsReportedWhereWritten(string alert, int line, int column, string message)
    {
        var error = SingleError($"alerts:\n  - {alert}\n" + Db, line, column);

        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void LoadText_AlertKeyOfOtherKind_ListsWhatTheKindTakes()
    {
        var error = SingleError("alerts:\n  - { name: j, kind: log, url: \"http://h/\" }\n" + Db, 2, 27);

        Assert.Equal("log takes only the keys every kind takes: name, kind, retries, timeout", error.Hint);
    }

    [Fact]
    public void LoadText_MisspeltAlertKind_Suggests()
    {
        var error = SingleError("alerts:\n  - { name: ops, kind: comand, run: ./n.sh }\n" + Db, 2, 24);

        Assert.Equal("did you mean 'command'? kinds: webhook, command, log", error.Hint);
    }

    [Fact]
    public void LoadText_DuplicateAlertName_PointsAtTheFirst()
    {
        var error = SingleError("alerts:\n  - { name: ops, kind: log }\n  - { name: ops, kind: log }\n" + Db, 3, 13);

        Assert.Equal("duplicate alert name 'ops'", error.Message);
        Assert.Equal("it is already used at faultline.yaml:2:13; give each alert its own name", error.Hint);
    }

    [Fact]
    public void LoadText_TargetNamesUndeclaredAlert_SuggestsTheNearest()
    {
        var yaml = "alerts:\n  - { name: ops, kind: log }\n  - { name: pager, kind: log }\ntargets:\n  - { name: db, kind: tcp, host: h, port: 1, alerts: [opps] }\n";

        var error = SingleError(yaml, 5, 55);

        Assert.Equal("target 'db' names alert 'opps', which is not declared in 'alerts'", error.Message);
        Assert.Equal("did you mean 'ops'? alerts: ops, pager", error.Hint);
    }

    [Fact]
    public void LoadText_TargetNamesAlertWhenNoneDeclared_SaysHowToDeclare()
    {
        var error = SingleError("targets:\n  - { name: db, kind: tcp, host: h, port: 1, alerts: [ops] }\n", 2, 55);

        Assert.Equal("target 'db' names alert 'ops', which is not declared in 'alerts'", error.Message);
        Assert.StartsWith("declare it at the top level: alerts: [{ name: ops, kind: webhook", error.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadText_AlertWithBadName_DoesNotAlsoFailTheTargetsNamingIt()
    {
        var yaml = "alerts:\n  - { name: \"o p\", kind: log }\ntargets:\n  - { name: db, kind: tcp, host: h, port: 1, alerts: [ops] }\n";

        var error = SingleError(yaml, 2, 13);

        Assert.StartsWith("bad name \"o p\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadText_AlertsNotAList_IsAnError()
    {
        var error = SingleError("alerts: { name: ops, kind: log }\n" + Db, 1, 9);

        Assert.Equal("'alerts' at the top level must be a list", error.Message);
    }
}
