using System.Globalization;
using System.Text;
using System.Text.Json;
using Faultline.Cli.Commands;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Reporting;
using Faultline.Core.Running;
using Faultline.TestSupport;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using static Faultline.Cli.Tests.MonitorHarness;

namespace Faultline.Cli.Tests;

/// <summary>
/// Servers that attack the tool that probes them (docs/security.md): they echo every request header
/// back in their body and in their own headers (names too), inject terminal escapes into the reason
/// phrase, a header and the body, redirect across origins, from https to http and in a loop. Every
/// output — each report format, the log, the monitor's lines, its history store, its webhook bodies
/// (generic and Slack) and its command's environment — is scanned: no configured secret, no raw
/// control character in text; the new failures carry their kinds.
/// </summary>
public sealed class HostileServerTests : IDisposable
{
    private const string Bearer = "hostile-bearer-5f2c9a";
    private const string ApiKey = "hostile-apikey-81d3e0";
    private const string UrlUser = "ops";
    private const string UrlPassword = "hostile-userinfo-77ab";
    private const string QueryToken = "hostile-query-3c4d5e";
    private const string WsSession = "hostile-ws-session-19fe";
    private const string QueryVariable = "FAULTLINE_HOSTILE_QUERY_TOKEN";

    /// <summary>The reason phrase: a colour escape and a bell (a reason phrase is Latin-1; the body carries a C1 control).</summary>
    private const string Reason = "Bad \u001b[31mthing\u0007";

    private static readonly string BasicCredential = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{UrlUser}:{UrlPassword}"));

    private static readonly string[] Secrets = [Bearer, ApiKey, UrlPassword, BasicCredential, $"{UrlUser}:{UrlPassword}", QueryToken, WsSession];

    private readonly TestCertificates _certs = new();

    public HostileServerTests() => Environment.SetEnvironmentVariable(QueryVariable, QueryToken);

    public void Dispose() => _certs.Dispose();

    [Fact]
    public async Task Check_HostileServers_NoSecretAndNoRawControlCharacterInAnyFormatOrLog()
    {
        await using var stack = new HostileStack(_certs);
        var config = ConfigLoader.LoadText(stack.Targets(), "hostile.yaml", Path.GetTempPath(), name => name == QueryVariable ? QueryToken : null);
        using var logs = new CapturingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        var runner = new CheckRunner(ProbeSet.Create(), ProbeSet.Resolver, TimeProvider.System, loggerFactory);

        var report = await runner.RunAsync(config);

        // The attacks really happened: the secrets reached the echo server, and came back in its answers.
        stack.AssertTheEchoServerSawTheSecrets();
        Assert.Equal("redirect-refused", Result(report, "downgrade").Error?.Kind);
        Assert.Equal("redirect-loop", Result(report, "loop").Error?.Kind);
        Assert.Equal(ResultStatus.Fail, Result(report, "echo").Status);
        Assert.Equal(ResultStatus.Fail, Result(report, "echo-ws").Status);
        stack.AssertNothingCrossedToTheOtherOrigin();

        foreach (var format in ReportWriters.Formats)
        {
            using var writer = new StringWriter();
            ReportWriters.Create(format, color: false).Write(report, writer);
            var text = writer.ToString();
            AssertNoSecret(text, $"check --format {format}");
            if (format == "json")
            {
                // JSON stays exact: the reason phrase comes back as the server sent it.
                var echo = JsonDocument.Parse(text).RootElement.GetProperty("results").EnumerateArray().Single(r => r.GetProperty("name").GetString() == "echo");
                Assert.Equal(Reason, echo.GetProperty("details").GetProperty("http").GetProperty("reason").GetString());
            }
            else
            {
                AssertNoControlCharacter(text, $"check --format {format}");
                // Written as an escape (Markdown escapes the backslash and the bracket once more).
                Assert.True(text.Contains("\\x1b", StringComparison.Ordinal), $"check --format {format} does not show the escape escaped:\n{text}");
            }
        }

        AssertNoSecret(string.Join('\n', logs.Lines), "the log");
    }

    [Fact]
    public async Task Monitor_HostileServers_NoSecretInLinesStoreAlertsOrCommandEnvironment()
    {
        await using var stack = new HostileStack(_certs);
        await using var generic = TestServers.Http(TestServers.RawResponse(200, "OK", "ok"));
        await using var slack = TestServers.Http(TestServers.RawResponse(200, "OK", "ok"));
        using var dir = new CliHarness.TempDir();
        var envFile = Path.Combine(dir.Path, "alert.env");
        var file = dir.Write("hostile.yaml", stack.Targets(monitored: true) + $$"""
            alerts:
              - { name: hook, kind: webhook, url: "{{generic.BaseUrl}}/hook" }
              - { name: chat, kind: webhook, format: slack, url: "{{slack.BaseUrl}}/slack" }
              - { name: run, kind: command, run: "env > '{{envFile}}.tmp' && mv '{{envFile}}.tmp' '{{envFile}}'" }

            """);
        var db = Path.Combine(dir.Path, "history.db");
        using var output = new Captured();
        using var error = new Captured();
        using var cts = new CancellationTokenSource();
        var request = new MonitorCommand.MonitorRequest(file, "sqlite:" + db, "table", Quiet: false, Metrics: null, Color: false, Live: false, Verbose: false);

        var run = MonitorCommand.RunAsync(request, output.Writer, error.Writer, cts.Token);
        await WaitForAsync(() => File.Exists(envFile) && generic.Requests.Count >= 2 && slack.Requests.Count >= 2 && stack.EchoSawEverySecret, run, error);
        await cts.CancelAsync();
        Assert.Equal(0, await run);

        stack.AssertTheEchoServerSawTheSecrets();
        stack.AssertNothingCrossedToTheOtherOrigin();
        var lines = output.Text + error.Text;
        Assert.Contains("incident", lines, StringComparison.Ordinal);
        AssertNoSecret(lines, "the monitor's output");
        AssertNoControlCharacter(lines, "the monitor's output");

        var payloads = string.Join('\n', generic.Requests.Concat(slack.Requests).Select(Body));
        Assert.Contains("redirect-loop", payloads, StringComparison.Ordinal);
        AssertNoSecret(payloads, "the webhook bodies");
        AssertNoControlCharacter(string.Join('\n', slack.Requests.Select(Body)), "the Slack body");

        var environment = File.ReadAllText(envFile);
        Assert.Contains("FAULTLINE_SUMMARY=", environment, StringComparison.Ordinal);
        AssertNoSecret(environment, "the alert command's environment");

        var rows = StoreText(db);
        Assert.Contains("redirect-loop", rows, StringComparison.Ordinal);
        AssertNoSecret(rows, "the history store");
    }

    private static TargetResult Result(Report report, string name) => report.Results.Single(r => r.Name == name);

    private static string Body(string request) => request.Split("\r\n\r\n", 2) is [_, var body] ? body : string.Empty;

    private static void AssertNoSecret(string text, string where)
    {
        foreach (var secret in Secrets)
        {
            Assert.False(text.Contains(secret, StringComparison.Ordinal), $"{where} shows the secret {secret}");
            Assert.False(text.Contains(Uri.EscapeDataString(secret), StringComparison.Ordinal), $"{where} shows the secret {secret}, URL-escaped");
        }
    }

    /// <summary>Text outputs keep line breaks and tabs only: no escape, bell, carriage return or C1 control.</summary>
    private static void AssertNoControlCharacter(string text, string where)
    {
        var bad = text.Select((c, i) => (c, i)).FirstOrDefault(p => (p.c < 0x20 && p.c is not '\n' and not '\t') || p.c is >= '\u007f' and <= '\u009f');
        Assert.True(bad == default, $"{where} holds the raw control character U+{(int)bad.c:X4} at {bad.i}: …{Around(text, bad.i)}…");
    }

    private static string Around(string text, int index) => SafeText.Escape(text.Substring(Math.Max(0, index - 40), Math.Min(80, text.Length - Math.Max(0, index - 40))));

    /// <summary>Every text cell of every table of the store.</summary>
    private static string StoreText(string path)
    {
        var builder = new StringBuilder();
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ConnectionString);
        connection.Open();
        var tables = new List<string>();
        using (var list = connection.CreateCommand())
        {
            list.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table'";
            using var reader = list.ExecuteReader();
            while (reader.Read())
            {
                tables.Add(reader.GetString(0));
            }
        }

        Assert.Contains("incidents", tables);
        foreach (var table in tables)
        {
            using var select = connection.CreateCommand();
            select.CommandText = $"SELECT * FROM \"{table}\"";
            using var reader = select.ExecuteReader();
            while (reader.Read())
            {
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    var value = reader.GetValue(i);
                    builder.Append(value is byte[] bytes ? Encoding.UTF8.GetString(bytes) : Convert.ToString(value, CultureInfo.InvariantCulture)).Append('\t');
                }

                builder.Append('\n');
            }
        }

        return builder.ToString();
    }

    /// <summary>The hostile servers and the targets that probe them.</summary>
    private sealed class HostileStack : IAsyncDisposable
    {
        private readonly RawHttpServer _echo;
        private readonly RawHttpServer _other;
        private readonly RawHttpServer _redirector;
        private readonly RawHttpServer _secure;

        public HostileStack(TestCertificates certs)
        {
            _echo = TestServers.HttpEcho(Echo);
            _other = TestServers.HttpEcho(Echo);
            _redirector = TestServers.Http(line => line.StartsWith("GET /cross ", StringComparison.Ordinal)
                ? TestServers.RawResponse(302, "Found", string.Empty, $"Location: {_other.BaseUrl}/landing")
                : TestServers.RawResponse(302, Reason, string.Empty, "Location: /loop"));
            _secure = TestServers.Http(
                TestServers.RawResponse(301, "Moved Permanently", string.Empty, $"Location: {_echo.BaseUrl}/clear"),
                certs.SelfSigned("127.0.0.1"));
        }

        public string Targets(bool monitored = false)
        {
            var every = monitored ? ", interval: 1s, failureThreshold: 1, alerts: [hook, chat, run]" : string.Empty;
            var headers = $"headers: {{ Authorization: \"Bearer {Bearer}\", X-Api-Key: \"{ApiKey}\" }}";
            return $$"""
                defaults: { timeout: 5s }
                targets:
                  - { name: echo, kind: http, url: "http://{{UrlUser}}:{{UrlPassword}}@127.0.0.1:{{_echo.Port}}/health?token=${{{QueryVariable}}}", {{headers}}{{every}} }
                  - { name: echo-ws, kind: websocket, url: "ws://127.0.0.1:{{_echo.Port}}/ws", headers: { X-Session: "{{WsSession}}" }, send: ping, expect: [pong]{{every}} }
                  - { name: cross-origin, kind: http, url: "{{_redirector.BaseUrl}}/cross", followRedirects: true, {{headers}}{{every}} }
                  - { name: downgrade, kind: http, url: "https://127.0.0.1:{{_secure.Port}}/start", followRedirects: true, tls: { insecure: true }, {{headers}}{{every}} }
                  - { name: loop, kind: http, url: "{{_redirector.BaseUrl}}/loop", followRedirects: true, {{headers}}{{every}} }

                """;
        }

        public bool EchoSawEverySecret => EchoedSecrets.All(string.Join('\n', _echo.Requests).Contains);

        private static string[] EchoedSecrets => [Bearer, ApiKey, BasicCredential, QueryToken, WsSession];

        public void AssertTheEchoServerSawTheSecrets()
        {
            var seen = string.Join('\n', _echo.Requests);
            foreach (var secret in EchoedSecrets)
            {
                Assert.True(seen.Contains(secret, StringComparison.Ordinal), $"the echo server never received {secret}; it received:\n{seen}");
            }
        }

        public void AssertNothingCrossedToTheOtherOrigin()
        {
            Assert.NotEmpty(_other.Requests);
            var crossed = string.Join('\n', _other.Requests);
            AssertNoSecret(crossed, "the request that followed a redirect to another origin");
            Assert.DoesNotContain("authorization:", crossed, StringComparison.OrdinalIgnoreCase);
        }

        public async ValueTask DisposeAsync()
        {
            await _echo.DisposeAsync();
            await _other.DisposeAsync();
            await _redirector.DisposeAsync();
            await _secure.DisposeAsync();
        }

        /// <summary>Echoes every request header back: as a header of its own, as a header name, and in the body, with escapes injected.</summary>
        private static string Echo(string request)
        {
            var head = request.Split("\r\n\r\n", 2)[0].Split("\r\n");
            var headers = new List<string> { "Content-Type: text/plain", "X-Injected: \u001b]0;owned\u0007 title" };
            foreach (var line in head.Skip(1))
            {
                if (line.Split(':', 2) is [var name, var value])
                {
                    headers.Add($"X-Echo-{name.Trim()}: {value.Trim()}");
                    var token = value.Trim().Split(' ').Last();
                    if (token.Length > 0 && token.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
                    {
                        headers.Add($"X-Seen-{token}: 1");
                    }
                }
            }

            var body = $"\u001b[2J\r you sent:\n{string.Join('\n', head)}\n\u009b31m";
            return TestServers.RawResponse(500, Reason, body, [.. headers]);
        }
    }
}
