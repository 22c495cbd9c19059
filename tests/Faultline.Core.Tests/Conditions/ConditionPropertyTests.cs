using CsCheck;
using Faultline.Core.Conditions;
using Faultline.Core.Model;

namespace Faultline.Core.Tests.Conditions;

public class ConditionPropertyTests
{
    private static readonly string[] Tokens =
    [
        "[STATUS]", "[RESPONSE_TIME]", "[CONNECTED]", "[BODY]", "[HEADER:Server]", "[HEADER:", "[CERT_EXPIRES_IN]",
        "[DNS_RCODE]", "[IP]", "[STATS]", "[", "]", ".", ".status", "[0]", "[x]", "==", "!=", "<", "<=", ">", ">=", "=",
        "!", "contains", "matches", "200", "-1", "3.5", "2s", "250ms", "14d", "10", "true", "false", "ok", "\"", "'",
        "\"ok\"", "'a b'", "\\", "\\\"", "(", ")", "^2", "[a-", "*", "$", " ", "  ", "\t", "\n", "é", "\0",
    ];

    private static readonly Gen<string> NearValid =
        Gen.OneOf(Tokens).Array[0, 8].Select(parts => string.Concat(parts));

    private static readonly Gen<string> Random = Gen.String;

    private static readonly Gen<string> Valid =
        Gen.Select(
            Gen.OneOf("[STATUS] == 200", "[STATUS] >= 500", "[BODY].status == ok", "[BODY].a[1] contains x", "[BODY] matches ^o",
                "[HEADER:Server] != nginx", "[RESPONSE_TIME] < 2s", "[CERT_EXPIRES_IN] > 14d", "[CONNECTED] == true",
                "[DNS_RCODE] == NOERROR", "[IP] matches ^127", "[BODY] == \"a \\\" b\"", "[BODY].n <= 3.25", "[BODY] == 'q'"),
            Gen.OneOf("", " ", "  "),
            (condition, padding) => padding + condition + padding);

    [Fact]
    public void Parse_AnyString_ReturnsConditionOrThrowsSyntaxError()
    {
        Gen.OneOf(NearValid, Random).Sample(text =>
        {
            try
            {
                var condition = ConditionParser.Parse(text);
                Assert.Equal(text, condition.Text);
            }
            catch (ConditionSyntaxException ex)
            {
                Assert.InRange(ex.Column, 1, text.Length + 1);
                Assert.False(string.IsNullOrEmpty(ex.Message));
            }
        }, iter: 20_000);
    }

    [Fact]
    public void Canonical_ParsedCondition_RoundTrips()
    {
        Gen.OneOf(NearValid, Valid).Sample(text =>
        {
            Condition condition;
            try
            {
                condition = ConditionParser.Parse(text);
            }
            catch (ConditionSyntaxException)
            {
                return;
            }

            var canonical = condition.Canonical;
            var reparsed = ConditionParser.Parse(canonical);
            Assert.Equal(canonical, reparsed.Canonical);
            Assert.Equal(condition.Placeholder, reparsed.Placeholder);
            Assert.Equal(condition.Operator, reparsed.Operator);
            Assert.Equal(condition.Literal.Text, reparsed.Literal.Text);
        }, iter: 20_000);
    }

    [Fact]
    public void Canonical_ValidConditions_AllParse()
    {
        Valid.Sample(text => Assert.Equal(text, ConditionParser.Parse(text).Text));
    }

    private static readonly Gen<string> Bodies = Gen.OneOf(
        Gen.String,
        Gen.OneOf("{\"status\":\"ok\"}", "{\"a\":[1,{\"x\":\"y\"}],\"n\":3.25}", "[1,2,3]", "null", "{\"n\":1e308}",
            "{\"n\":-1e400}", "\"text\"", "{", "{\"a\":", new string('[', 200) + new string(']', 200), "{\"status\":true}"));

    private static readonly Gen<Observation> Observations =
        Gen.Select(
            Gen.Bool,
            Gen.Long,
            Gen.Int[-1, 999].Nullable(0.2),
            Bodies,
            Gen.Long[DateTimeOffset.MinValue.UtcTicks, DateTimeOffset.MaxValue.UtcTicks].Nullable(0.2),
            Gen.OneOf<string?>(null, "NOERROR", "NXDOMAIN", ""),
            Gen.OneOf<string[]>([], ["127.0.0.1"], ["::1", "10.0.0.1"]),
            (connected, elapsedTicks, status, body, notAfter, rcode, addresses) => new Observation
            {
                Target = "t",
                Connected = connected,
                Elapsed = TimeSpan.FromTicks(elapsedTicks),
                Addresses = addresses,
                Http = status is { } code ? new HttpObservation { StatusCode = code, Body = body, Headers = new Dictionary<string, string> { ["Server"] = body } } : null,
                Tls = notAfter is { } ticks ? new TlsObservation { Leaf = new CertificateInfo { Subject = "s", Issuer = "i", NotAfter = new DateTimeOffset(ticks, TimeSpan.Zero) } } : null,
                Dns = rcode is null ? null : new DnsObservation { Server = "s", ResponseCode = rcode },
            });

    [Fact]
    public void Evaluate_AnyObservation_NeverThrows()
    {
        var conditions = Gen.OneOf(Valid, NearValid).Select(text =>
        {
            try
            {
                return ConditionParser.Parse(text);
            }
            catch (ConditionSyntaxException)
            {
                return ConditionParser.Parse("[STATUS] == 200");
            }
        });

        Gen.Select(conditions, Observations, Gen.Long[DateTimeOffset.MinValue.UtcTicks, DateTimeOffset.MaxValue.UtcTicks]).Sample((condition, observation, nowTicks) =>
        {
            var result = ConditionEvaluator.Evaluate(condition, observation, new DateTimeOffset(nowTicks, TimeSpan.Zero));
            Assert.Equal(condition.Text, result.Expr);
            Assert.NotNull(result.Actual);
        }, iter: 20_000);
    }
}
