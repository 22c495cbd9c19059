using Faultline.Core.Conditions;
using Faultline.Core.Model;

namespace Faultline.Core.Tests.Conditions;

public class ConditionEvaluatorTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    private static Observation Http(int status = 200, string body = "", Dictionary<string, string>? headers = null) => new()
    {
        Target = "https://api.example.test/health",
        Connected = true,
        Elapsed = TimeSpan.FromMilliseconds(420),
        Addresses = ["127.0.0.1", "::1"],
        Http = new HttpObservation
        {
            StatusCode = status,
            Body = body,
            Headers = headers ?? new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase),
        },
    };

    private static ConditionResult Eval(string text, Observation observation) =>
        ConditionEvaluator.Evaluate(ConditionParser.Parse(text), observation, Now);

    [Theory]
    [InlineData("[STATUS] == 200", 200, true)]
    [InlineData("[STATUS] == 200", 503, false)]
    [InlineData("[STATUS] != 500", 200, true)]
    [InlineData("[STATUS] < 400", 399, true)]
    [InlineData("[STATUS] < 400", 400, false)]
    [InlineData("[STATUS] <= 400", 400, true)]
    [InlineData("[STATUS] > 199", 200, true)]
    [InlineData("[STATUS] >= 500", 499, false)]
    [InlineData("[STATUS] matches ^2\\d\\d$", 204, true)]
    [InlineData("[STATUS] matches ^2\\d\\d$", 404, false)]
    public void Evaluate_Status_ComparesNumbers(string text, int status, bool ok)
    {
        var result = Eval(text, Http(status));

        Assert.Equal(ok, result.Ok);
        Assert.Equal(status.ToString(System.Globalization.CultureInfo.InvariantCulture), result.Actual);
        Assert.Equal(text, result.Expr);
    }

    [Fact]
    public void Evaluate_StatusWithoutResponse_FailsWithNoResponse()
    {
        var result = Eval("[STATUS] == 200", new Observation { Target = "x", Connected = false });

        Assert.False(result.Ok);
        Assert.Equal("(no response)", result.Actual);
    }

    [Theory]
    [InlineData("[RESPONSE_TIME] < 2s", true)]
    [InlineData("[RESPONSE_TIME] < 420ms", false)]
    [InlineData("[RESPONSE_TIME] <= 420ms", true)]
    [InlineData("[RESPONSE_TIME] > 0.4s", true)]
    [InlineData("[RESPONSE_TIME] == 420ms", true)]
    public void Evaluate_ResponseTime_ComparesDurations(string text, bool ok)
    {
        var result = Eval(text, Http());

        Assert.Equal(ok, result.Ok);
        Assert.Equal("420ms", result.Actual);
    }

    [Theory]
    [InlineData(true, "[CONNECTED] == true", true)]
    [InlineData(false, "[CONNECTED] == true", false)]
    [InlineData(false, "[CONNECTED] != true", true)]
    [InlineData(false, "[CONNECTED] == false", true)]
    public void Evaluate_Connected_ComparesBooleans(bool connected, string text, bool ok)
    {
        var result = Eval(text, new Observation { Target = "127.0.0.1:5432", Connected = connected });

        Assert.Equal(ok, result.Ok);
        Assert.Equal(connected ? "true" : "false", result.Actual);
    }

    [Theory]
    [InlineData("[BODY] == ok", "ok", true)]
    [InlineData("[BODY] == \"ok\"", "ok", true)]
    [InlineData("[BODY] != ok", "ok", false)]
    [InlineData("[BODY] contains ready", "service ready", true)]
    [InlineData("[BODY] contains \"not ready\"", "service ready", false)]
    [InlineData("[BODY] matches \"^service (ready|up)$\"", "service up", true)]
    public void Evaluate_WholeBody_ComparesText(string text, string body, bool ok)
    {
        var result = Eval(text, Http(body: body));

        Assert.Equal(ok, result.Ok);
        Assert.Equal(body, result.Actual);
    }

    [Theory]
    [InlineData("[BODY].status == ok", "ok", true)]
    [InlineData("[BODY].status == \"ok\"", "ok", true)]
    [InlineData("[BODY].status != degraded", "ok", true)]
    [InlineData("[BODY].checks.db.up == true", "true", true)]
    [InlineData("[BODY].count > 2", "3", true)]
    [InlineData("[BODY].count == 3", "3", true)]
    [InlineData("[BODY].count == 3.0", "3", true)]
    [InlineData("[BODY].count < 3", "3", false)]
    [InlineData("[BODY].items[1].name == b", "b", true)]
    [InlineData("[BODY].items[0].name contains a", "a", true)]
    [InlineData("[BODY].tags contains blue", "[\"red\",\"blue\"]", true)]
    [InlineData("[BODY].tags contains green", "[\"red\",\"blue\"]", false)]
    [InlineData("[BODY].version matches ^1\\.", "1.4.2", true)]
    [InlineData("[BODY].nothing == null", "null", true)]
    [InlineData("[BODY].ratio >= 0.5", "0.75", true)]
    public void Evaluate_JsonPath_ComparesJsonValues(string text, string actual, bool ok)
    {
        const string body = """{"status":"ok","checks":{"db":{"up":true}},"count":3,"items":[{"name":"a"},{"name":"b"}],"tags":["red","blue"],"version":"1.4.2","nothing":null,"ratio":"0.75"}""";

        var result = Eval(text, Http(body: body));

        Assert.Equal(ok, result.Ok);
        Assert.Equal(actual, result.Actual);
    }

    [Theory]
    [InlineData("[BODY].status == ok", "not json", "(body is not JSON)")]
    [InlineData("[BODY].status == ok", "{\"state\":\"ok\"}", "(no such path: .status)")]
    [InlineData("[BODY].items[5] == ok", "{\"items\":[1]}", "(no such path: .items[5])")]
    [InlineData("[BODY].a.b == ok", "{\"a\":\"text\"}", "(no such path: .a.b)")]
    [InlineData("[BODY][0] == ok", "{\"a\":1}", "(no such path: [0])")]
    [InlineData("[BODY].status == ok", "", "(body is not JSON)")]
    public void Evaluate_JsonPathMissing_FailsWithDescription(string text, string body, string actual)
    {
        var result = Eval(text, Http(body: body));

        Assert.False(result.Ok);
        Assert.Equal(actual, result.Actual);
    }

    [Fact]
    public void Evaluate_JsonStringNotNumber_OrderingFails()
    {
        var result = Eval("[BODY].status > 1", Http(body: """{"status":"ok"}"""));

        Assert.False(result.Ok);
        Assert.Equal("ok", result.Actual);
    }

    [Fact]
    public void Evaluate_Header_IsCaseInsensitiveByName()
    {
        var headers = new Dictionary<string, string>(StringComparer.Ordinal) { ["content-type"] = "application/json; charset=utf-8" };

        var result = Eval("[HEADER:Content-Type] contains application/json", Http(headers: headers));

        Assert.True(result.Ok);
        Assert.Equal("application/json; charset=utf-8", result.Actual);
    }

    [Fact]
    public void Evaluate_HeaderAbsent_FailsNamingHeader()
    {
        var result = Eval("[HEADER:Server] == nginx", Http());

        Assert.False(result.Ok);
        Assert.Equal("(no header Server)", result.Actual);
    }

    [Theory]
    [InlineData(30, "[CERT_EXPIRES_IN] > 14d", true, "30d")]
    [InlineData(10, "[CERT_EXPIRES_IN] > 14d", false, "10d")]
    [InlineData(-2, "[CERT_EXPIRES_IN] > 0s", false, "-2d")]
    public void Evaluate_CertExpiresIn_MeasuresFromNow(int days, string text, bool ok, string actual)
    {
        var observation = new Observation
        {
            Target = "api.example.test:443",
            Connected = true,
            Tls = new TlsObservation
            {
                Leaf = new CertificateInfo { Subject = "CN=api", Issuer = "CN=ca", NotBefore = Now.AddDays(-60), NotAfter = Now.AddDays(days) },
            },
        };

        var result = Eval(text, observation);

        Assert.Equal(ok, result.Ok);
        Assert.Equal(actual, result.Actual);
    }

    [Fact]
    public void Evaluate_CertWithoutCertificate_FailsWithNoCertificate()
    {
        var result = Eval("[CERT_EXPIRES_IN] > 14d", new Observation { Target = "x" });

        Assert.False(result.Ok);
        Assert.Equal("(no certificate)", result.Actual);
    }

    [Theory]
    [InlineData("NOERROR", "[DNS_RCODE] == NOERROR", true)]
    [InlineData("NOERROR", "[DNS_RCODE] == noerror", true)]
    [InlineData("NXDOMAIN", "[DNS_RCODE] == NOERROR", false)]
    [InlineData("SERVFAIL", "[DNS_RCODE] != NOERROR", true)]
    public void Evaluate_DnsRcode_ComparesText(string rcode, string text, bool ok)
    {
        var observation = new Observation { Target = "api.example.test", Dns = new DnsObservation { Server = "127.0.0.1:53", ResponseCode = rcode } };

        var result = Eval(text, observation);

        Assert.Equal(ok, result.Ok);
        Assert.Equal(rcode, result.Actual);
    }

    [Fact]
    public void Evaluate_DnsRcodeWithoutDns_Fails()
    {
        var result = Eval("[DNS_RCODE] == NOERROR", new Observation { Target = "x" });

        Assert.False(result.Ok);
        Assert.Equal("(no DNS answer)", result.Actual);
    }

    [Theory]
    [InlineData("[IP] == 127.0.0.1", true)]
    [InlineData("[IP] != 127.0.0.1", false)]
    [InlineData("[IP] matches ^127\\.", true)]
    [InlineData("[IP] contains 10.", false)]
    public void Evaluate_Ip_ReadsFirstAddress(string text, bool ok)
    {
        var result = Eval(text, Http());

        Assert.Equal(ok, result.Ok);
        Assert.Equal("127.0.0.1", result.Actual);
    }

    [Fact]
    public void Evaluate_IpWithoutAddresses_Fails()
    {
        var result = Eval("[IP] == 127.0.0.1", new Observation { Target = "x" });

        Assert.False(result.Ok);
        Assert.Equal("(no address)", result.Actual);
    }

    [Fact]
    public void Evaluate_CatastrophicRegex_FailsInsteadOfHanging()
    {
        var body = new string('a', 5000) + "!";

        var result = Eval("[BODY] matches \"^(a+)+$\"", Http(body: body));

        Assert.False(result.Ok);
        Assert.NotNull(result.Actual);
    }

    [Fact]
    public void Evaluate_LongBody_ActualIsShortened()
    {
        var result = Eval("[BODY] contains zzz", Http(body: new string('x', 10_000)));

        Assert.False(result.Ok);
        Assert.True(result.Actual!.Length < 300);
    }
}
