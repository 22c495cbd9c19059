using Faultline.Core.Classification;
using Faultline.Core.Config;
using Faultline.Core.Model;

namespace Faultline.Core.Tests.Classification;

public class ClassifierResponseTests
{
    private const string NginxBadGateway =
        "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n";

    private static readonly TargetSpec Api = Samples.Target(TargetKinds.Http, "api");

    [Fact]
    public void Classify_Nginx502_IsProxyInfrastructure_WithMeaningAndServer()
    {
        var observation = Samples.Response(502, NginxBadGateway, ("Server", "nginx/1.22.1"));

        var result = Classifier.Classify(Api, observation, Samples.Failing("[STATUS] == 200", "502"));

        Assert.Equal(Layer.Proxy, result.Layer);
        Assert.Equal(Side.Infrastructure, result.Side);
        Assert.Contains("nginx: upstream refused, reset, invalid header, or no live upstream", result.Evidence);
        Assert.Contains("Server: nginx/1.22.1", result.Evidence);
        Assert.Contains("nginx", result.Remedy, StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_App500RelayedByNginx_StaysApplication()
    {
        var observation = Samples.Response(500, "{\"error\":\"NullReferenceException in OrdersController\"}", ("Server", "nginx/1.22.1"));

        var result = Classifier.Classify(Api, observation, Samples.Failing("[STATUS] == 200", "500"));

        Assert.Equal(Layer.Application, result.Layer);
        Assert.Equal(Side.Application, result.Side);
        Assert.Contains("HTTP 500 from the application (no proxy signature in the response)", result.Evidence);
        Assert.Contains(result.Evidence, e => e.StartsWith("body: {\"error\"", StringComparison.Ordinal));
    }

    [Fact]
    public void Classify_FaultlineHealthBody_DependencyLayerWins()
    {
        const string body = """
            {"status":"unhealthy","components":{
              "tls":{"status":"pass","layer":"tls","side":"infrastructure"},
              "primary-store":{"status":"fail","layer":"database","side":"infrastructure","detail":"connect timed out after 35 s"}}}
            """;
        var observation = Samples.Response(503, body);

        var result = Classifier.Classify(Api, observation, Samples.Failing("[STATUS] == 200", "503"));

        Assert.Equal(Layer.Database, result.Layer);
        Assert.Equal(Side.Infrastructure, result.Side);
        Assert.Contains("primary-store: connect timed out after 35 s", result.Evidence);
        Assert.Contains("primary-store", result.Remedy, StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_AspNetHealthChecksEntries_DatabaseByName()
    {
        const string body = """
            {"status":"Unhealthy","totalDuration":"00:00:05","entries":{
              "self":{"status":"Healthy"},
              "npgsql":{"status":"Unhealthy","description":"Failed to connect to 10.0.0.5:5432"}}}
            """;

        var result = Classifier.Classify(Api, Samples.Response(503, body), Samples.Failing("[STATUS] == 200", "503"));

        Assert.Equal(Layer.Database, result.Layer);
        Assert.Equal(Side.Infrastructure, result.Side);
        Assert.Contains("npgsql: Failed to connect to 10.0.0.5:5432", result.Evidence);
    }

    [Fact]
    public void Classify_HealthBodyDetailWithConnectionString_MasksThePassword()
    {
        const string body = """{"status":"unhealthy","checks":{"db":{"status":"unhealthy","error":"connect to postgres://app:hunter2-Secret@10.0.0.5:5432/app timed out"}}}""";

        var result = Classifier.Classify(Api, Samples.Response(503, body), Samples.Failing("[STATUS] == 200", "503"));

        Assert.Equal(Layer.Database, result.Layer);
        Assert.Contains("db: connect to postgres://app:***@10.0.0.5:5432/app timed out", result.Evidence);
    }

    [Fact]
    public void Classify_SpringComponents_OnA200_BodyConditionFails_CacheByName()
    {
        const string body = """{"status":"DOWN","components":{"db":{"status":"UP"},"redis":{"status":"DOWN","details":{"error":"io.lettuce.core.RedisConnectionException"}}}}""";

        var result = Classifier.Classify(Api, Samples.Response(200, body), Samples.Failing("[BODY].status == UP", "DOWN"));

        Assert.Equal(Layer.Cache, result.Layer);
        Assert.Equal(Side.Infrastructure, result.Side);
    }

    [Fact]
    public void Classify_HealthBodyWithSeveralFailures_MostFundamentalLayerFirst()
    {
        const string body = """{"status":"unhealthy","checks":[{"name":"redis","status":"unhealthy"},{"name":"postgres","status":"unhealthy"}]}""";

        var result = Classifier.Classify(Api, Samples.Response(503, body), Samples.Failing("[STATUS] == 200", "503"));

        Assert.Equal(Layer.Database, result.Layer);
        Assert.Contains("also failing: redis (unhealthy, cache)", result.Evidence);
    }

    [Fact]
    public void Classify_HealthBodyExplicitSide_Wins()
    {
        const string body = """{"status":"unhealthy","dependencies":{"orders-db":{"status":"unhealthy","side":"application"}}}""";

        var result = Classifier.Classify(Api, Samples.Response(503, body), Samples.Failing("[STATUS] == 200", "503"));

        Assert.Equal(Layer.Database, result.Layer);
        Assert.Equal(Side.Application, result.Side);
    }

    [Theory]
    [InlineData(401)]
    [InlineData(403)]
    public void Classify_AuthRejected_IsConfiguration(int status)
    {
        var result = Classifier.Classify(Api, Samples.Response(status, "", ("WWW-Authenticate", "Bearer")), Samples.Failing("[STATUS] == 200", status.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        Assert.Equal(Layer.Configuration, result.Layer);
        Assert.Equal(Side.Application, result.Side);
    }

    [Fact]
    public void Classify_404_IsApplicationNamingThePath()
    {
        var result = Classifier.Classify(Api, Samples.Response(404, "not found"), Samples.Failing("[STATUS] == 200", "404"));

        Assert.Equal(Layer.Application, result.Layer);
        Assert.Contains("HTTP 404: the service has no route for /health", result.Evidence);
    }

    [Fact]
    public void Classify_200WithFailingBodyCondition_IsApplicationWithActual()
    {
        var result = Classifier.Classify(Api, Samples.Response(200, """{"status":"error"}"""), Samples.Failing("[BODY].status == ok", "error"));

        Assert.Equal(Layer.Application, result.Layer);
        Assert.Equal(Side.Application, result.Side);
        Assert.Equal("condition [BODY].status == ok failed (actual: error)", result.Evidence[0]);
    }

    [Fact]
    public void Classify_HeaderConditionOnA200_IsApplication()
    {
        var result = Classifier.Classify(Api, Samples.Response(200, "ok", ("Content-Type", "text/html")), Samples.Failing("[HEADER:Content-Type] contains json", "text/html"));

        Assert.Equal(Layer.Application, result.Layer);
        Assert.Equal("condition [HEADER:Content-Type] contains json failed (actual: text/html)", result.Evidence[0]);
    }

    [Theory]
    [InlineData(504, "upstream request timeout", "too slow or unreachable")]
    [InlineData(503, "no healthy upstream", "no working backend")]
    public void Classify_EnvoyLocalReply_RemedyFollowsTheStatus(int status, string body, string remedy)
    {
        var result = Classifier.Classify(Api, Samples.Response(status, body, ("server", "envoy")), Samples.Failing("[STATUS] == 200", "x"));

        Assert.Equal(Layer.Proxy, result.Layer);
        Assert.Contains(remedy, result.Remedy, StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_Cloudflare526_RemedyIsOriginTls()
    {
        var result = Classifier.Classify(Api, Samples.Response(526, "error code: 526", ("server", "cloudflare"), ("cf-ray", "8e1f-FRA")), Samples.Failing("[STATUS] == 200", "526"));

        Assert.Equal(Layer.Proxy, result.Layer);
        Assert.Contains("cloudflare: 526: invalid origin certificate", result.Evidence);
        Assert.Contains("TLS between cloudflare and the origin", result.Remedy, StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_IngressDefaultBackend404_IsProxyRouting()
    {
        var result = Classifier.Classify(Api, Samples.Response(404, "default backend - 404", ("Server", "nginx")), Samples.Failing("[STATUS] == 200", "404"));

        Assert.Equal(Layer.Proxy, result.Layer);
        Assert.Contains("routing rule", result.Remedy, StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_Redirect_SuggestsFollowingIt()
    {
        var result = Classifier.Classify(Api, Samples.Response(301, "", ("Location", "https://api.lab.test:8443/health/")), Samples.Failing("[STATUS] == 200", "301"));

        Assert.Equal(Layer.Application, result.Layer);
        Assert.Contains("Location: https://api.lab.test:8443/health/", result.Evidence);
        Assert.Contains("followRedirects", result.Remedy, StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_CertExpiresSoon_IsTls()
    {
        var target = Samples.Target(TargetKinds.Tls, "api-cert");
        var observation = new Observation { Target = "api.lab.test:8443", Connected = true };

        var result = Classifier.Classify(target, observation, Samples.Failing("[CERT_EXPIRES_IN] > 14d", "9d"));

        Assert.Equal(Layer.Tls, result.Layer);
        Assert.Equal(Side.Infrastructure, result.Side);
        Assert.Equal("certificate expires in 9 days, wanted > 14d", result.Evidence[0]);
    }

    [Fact]
    public void Classify_CertAlreadyExpired_SaysAgo()
    {
        var result = Classifier.Classify(Samples.Target(TargetKinds.Tls), new Observation { Target = "x:1" }, Samples.Failing("[CERT_EXPIRES_IN] > 14d", "-2d"));

        Assert.Equal("certificate expired 2 days ago, wanted > 14d", result.Evidence[0]);
    }

    [Theory]
    [InlineData("[DNS_RCODE] == NOERROR", "SERVFAIL")]
    [InlineData("[IP] == 10.0.0.5", "127.0.0.1")]
    public void Classify_DnsConditions_AreDns(string expr, string actual)
    {
        var observation = new Observation
        {
            Target = "api.lab.test",
            Dns = new DnsObservation { Server = "127.0.0.1:5353", ResponseCode = "NOERROR", Answers = [new DnsAnswer("A", "127.0.0.1", 60)] },
        };

        var result = Classifier.Classify(Samples.Target(TargetKinds.Dns), observation, Samples.Failing(expr, actual));

        Assert.Equal(Layer.Dns, result.Layer);
        Assert.Equal(Side.Infrastructure, result.Side);
        Assert.Contains(result.Evidence, e => e.Contains(actual, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("dns", Layer.Dns)]
    [InlineData("connect", Layer.Network)]
    [InlineData("tls", Layer.Tls)]
    [InlineData("firstByte", Layer.Application)]
    [InlineData("transfer", Layer.Network)]
    public void Classify_SlowResponse_BlamesTheSlowestPhase(string slowest, Layer layer)
    {
        double Ms(string phase) => phase == slowest ? 1900 : 20;
        var observation = Samples.Response(200) with
        {
            Elapsed = TimeSpan.FromMilliseconds(1980),
            Phases = new PhaseTimings { DnsMs = Ms("dns"), ConnectMs = Ms("connect"), TlsMs = Ms("tls"), FirstByteMs = Ms("firstByte"), TransferMs = Ms("transfer") },
        };

        var result = Classifier.Classify(Api, observation, Samples.Failing("[RESPONSE_TIME] < 500ms", "2s"));

        Assert.Equal(layer, result.Layer);
        Assert.Equal("response took 2s, wanted < 500ms", result.Evidence[0]);
        Assert.Contains($"slowest phase: {slowest} 1.9 s", result.Evidence);
    }

    [Fact]
    public void Classify_NotConnected_IsNetwork()
    {
        var result = Classifier.Classify(Samples.Target(TargetKinds.Tcp), new Observation { Target = "api.lab.test:8443" }, Samples.Failing("[CONNECTED] == true", "false"));

        Assert.Equal(Layer.Network, result.Layer);
        Assert.Equal("no connection to api.lab.test:8443", result.Evidence[0]);
    }

    [Fact]
    public void Classify_SeveralFailedConditions_HardVerdictFirst_OthersListed()
    {
        var observation = Samples.Response(502, NginxBadGateway, ("Server", "nginx"));
        IReadOnlyList<ConditionResult> conditions =
        [
            new("[RESPONSE_TIME] < 100ms", false, "300ms"),
            new("[BODY].status == ok", false, "(no JSON)"),
            new("[STATUS] == 200", false, "502"),
        ];

        var result = Classifier.Classify(Api, observation, conditions);

        Assert.Equal(Layer.Proxy, result.Layer);
        Assert.Contains("also failed: [RESPONSE_TIME] < 100ms (actual: 300ms)", result.Evidence);
    }

    [Fact]
    public void Classify_PostgresWarning_IsDatabaseInfrastructure_WithTheWarning()
    {
        var observation = new Observation
        {
            Target = "db.lab.test:5432",
            Connected = true,
            Warnings = ["connection headroom low: 92 of 100 connections in use"],
        };

        var result = Classifier.Classify(Samples.Target(TargetKinds.Postgres), observation, [new ConditionResult("[CONNECTED] == true", true, "true")]);

        Assert.Equal(Layer.Database, result.Layer);
        Assert.Equal(Side.Infrastructure, result.Side);
        Assert.Equal(["connection headroom low: 92 of 100 connections in use"], result.Evidence);
    }

    [Fact]
    public void Classify_HttpCertificateWarning_IsTls()
    {
        var observation = Samples.Response(200) with
        {
            Tls = new TlsObservation { Protocol = "Tls13" },
            Warnings = ["certificate expires in 6 days"],
        };

        var result = Classifier.Classify(Api, observation, []);

        Assert.Equal(Layer.Tls, result.Layer);
        Assert.Equal(Side.Infrastructure, result.Side);
    }
}
