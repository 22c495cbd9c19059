using System.Text;
using static Faultline.Core.Tests.Config.ConfigTestSupport;

namespace Faultline.Core.Tests.Config;

/// <summary>
/// What is a secret is decided while the config is read (docs/security.md): the keys that carry
/// credentials, URL user-info, query values the environment filled in. Where a value names what to
/// probe (host, port, path, environment name), it stays readable in the report.
/// </summary>
public class ConfigSecretsTests
{
    private const string Yaml = """
        environment: "${ENV_NAME}"
        targets:
          - name: api
            kind: http
            url: "https://ops:${URL_PASSWORD}@api.example.test:${LB_PORT}/health?token=${QUERY_TOKEN}&plain=visible"
            headers:
              Authorization: "Bearer literal-bearer-9f8e"
              X-Api-Key: "${API_KEY}"
              Accept: application/json
            body: '{"user": "demo", "password": "body-pass-7c6b", "note": "hello"}'
          - name: chat
            kind: websocket
            url: "wss://api.example.test/ws"
            headers: { X-Session: ws-session-5a4b }
            login:
              url: "https://api.example.test/api/login"
              body: { username: demo, password: "${DEMO_PASSWORD}" }
          - name: db
            kind: postgres
            connectionString: "${DATABASE_URL}"
          - name: boot
            kind: startup
            run: "./app --token ${RUN_TOKEN}"
            readyUrl: "http://127.0.0.1:{port}/ready"
            env: { DB_PASSWORD: env-pass-3c2d, ASPNETCORE_ENVIRONMENT: Production }
        alerts:
          - name: ops
            kind: webhook
            url: "https://hooks.example.test/services/T000/B000/hook-secret-path"
            headers: { Authorization: "Basic b3BzOmFsZXJ0LXB3ZA==" }
        """;

    private static readonly Func<string, string?> Variables = Env(
        ("ENV_NAME", "production"),
        ("URL_PASSWORD", "url-pass-1a2b"),
        ("LB_PORT", "58443"),
        ("QUERY_TOKEN", "query-tok-8e9f"),
        ("API_KEY", "api-key-6d7e"),
        ("DEMO_PASSWORD", "demo-pass-4f5a"),
        ("DATABASE_URL", "postgres://app:db-pass-2b3c@db:5432/app"),
        ("RUN_TOKEN", "run-tok-0a1b"));

    [Theory]
    [InlineData("url-pass-1a2b")]
    [InlineData("query-tok-8e9f")]
    [InlineData("Bearer literal-bearer-9f8e")]
    [InlineData("api-key-6d7e")]
    [InlineData("body-pass-7c6b")]
    [InlineData("ws-session-5a4b")]
    [InlineData("demo-pass-4f5a")]
    [InlineData("postgres://app:db-pass-2b3c@db:5432/app")]
    [InlineData("run-tok-0a1b")]
    [InlineData("env-pass-3c2d")]
    [InlineData("https://hooks.example.test/services/T000/B000/hook-secret-path")]
    [InlineData("Basic b3BzOmFsZXJ0LXB3ZA==")]
    public void Load_ACredentialAnywhereInTheConfig_IsASecret(string value)
    {
        var config = Load(Yaml, Variables);

        Assert.Contains(value, config.Secrets);
    }

    [Fact]
    public void Load_UrlUserInfo_ItsBasicCredentialIsASecretToo()
    {
        var config = Load(Yaml, Variables);

        Assert.Contains(Convert.ToBase64String(Encoding.UTF8.GetBytes("ops:url-pass-1a2b")), config.Secrets);
    }

    [Theory]
    [InlineData("production")]
    [InlineData("58443")]
    [InlineData("application/json")]
    [InlineData("visible")]
    [InlineData("Production")]
    public void Load_WhatNamesTheTarget_IsNoSecret(string value)
    {
        var config = Load(Yaml, Variables);

        Assert.DoesNotContain(config.Secrets, s => s.Contains(value, StringComparison.Ordinal) && !s.StartsWith('{') && !s.Contains("://", StringComparison.Ordinal));
    }

    [Fact]
    public void Redactor_OfTheConfigsSecrets_RemovesAnEchoedBasicCredentialDecoded()
    {
        var redactor = Faultline.Core.Running.SecretRedactor.Of(Load(Yaml, Variables).Secrets);

        var text = redactor.Redact("received Authorization: Basic b3BzOmFsZXJ0LXB3ZA== (ops:alert-pwd), password alert-pwd");

        Assert.DoesNotContain("alert-pwd", text, StringComparison.Ordinal);
        Assert.DoesNotContain("b3BzOmFsZXJ0LXB3ZA", text, StringComparison.Ordinal);
    }
}
