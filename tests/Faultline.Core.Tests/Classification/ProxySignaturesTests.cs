using System.Globalization;
using System.Text.RegularExpressions;
using Faultline.Core.Classification;
using Faultline.Core.Config;
using Faultline.Core.Model;
using YamlDotNet.RepresentationModel;

namespace Faultline.Core.Tests.Classification;

/// <summary>
/// Replays every proxy of the reference file (TestData/proxy-signatures.yaml) through the product's
/// own signature table: each must be recognised as that proxy and classified proxy/infrastructure.
/// </summary>
public class ProxySignaturesTests
{
    /// <summary>Concrete values for the header patterns of the reference file; each is checked against its pattern.</summary>
    private static readonly Dictionary<string, string> HeaderSamples = new(StringComparer.Ordinal)
    {
        ["^nginx(/[0-9.]+)?$"] = "nginx/1.22.1",
        ["^nginx"] = "nginx",
        ["^(istio-)?envoy$"] = "istio-envoy",
        ["^awselb/2\\.0$"] = "awselb/2.0",
        ["(1\\.1 vegur|heroku-router)"] = "1.1 vegur",
        ["^Microsoft-Azure-Application-Gateway/v2$"] = "Microsoft-Azure-Application-Gateway/v2",
        ["^cloudflare$"] = "cloudflare",
        ["^Vercel$"] = "Vercel",
        [".+"] = "8e1f2a3b4c5d6e7f-FRA",
    };

    /// <summary>ingress-nginx serves nginx's own 503 page; it is recognised as nginx (the meaning names both).</summary>
    private static readonly Dictionary<(string Proxy, int Code), string> SameAs = new()
    {
        [("ingress-nginx", 503)] = "nginx",
    };

    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var proxy in Reference.Proxies)
        {
            foreach (var code in Codes(proxy))
            {
                data.Add(Reference.Name(proxy), code);
            }
        }

        return data;
    }

    public static TheoryData<string, string> Markers()
    {
        var data = new TheoryData<string, string>();
        foreach (var proxy in Reference.Proxies)
        {
            var perCodeBodies = PerCode(proxy).SelectMany(c => new[] { Reference.Scalar(c.Value, "body"), Reference.Scalar(c.Value, "body_contains") }).OfType<string>().ToHashSet();
            foreach (var marker in Reference.Sequence(proxy, "body_contains").Where(m => !perCodeBodies.Contains(m)))
            {
                data.Add(Reference.Name(proxy), marker);
            }

            foreach (var text in Reference.Sequence(proxy, "log_texts"))
            {
                data.Add(Reference.Name(proxy), text);
            }
        }

        return data;
    }

    public static TheoryData<string> EnvoyResetReasons()
    {
        var data = new TheoryData<string>();
        foreach (var reason in Reference.Sequence(Reference.Proxy("envoy"), "reset_reasons"))
        {
            data.Add(reason);
        }

        return data;
    }

    [Fact]
    public void ReferenceFile_EveryProxyHasAtLeastOneReplayCase()
    {
        Assert.True(Reference.Proxies.Count >= 13);
        foreach (var proxy in Reference.Proxies)
        {
            Assert.NotEmpty(Codes(proxy));
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Match_ReferenceSignature_RecognisesTheProxy(string proxyName, int code)
    {
        var proxy = Reference.Proxy(proxyName);
        var response = Build(proxy, code);

        var match = ProxySignatures.Match(response);

        Assert.NotNull(match);
        Assert.Equal(SameAs.GetValueOrDefault((proxyName, code), proxyName), match.Proxy);
        Assert.NotEmpty(match.Meaning);
        Assert.NotEmpty(match.Evidence);

        var classification = Classifier.Classify(
            new TargetSpec { Name = "edge", Kind = TargetKinds.Http, Url = "https://edge.lab.test/" },
            new Observation { Target = "https://edge.lab.test/", Connected = true, Http = response },
            [new ConditionResult("[STATUS] == 200", false, code.ToString(CultureInfo.InvariantCulture))]);
        Assert.Equal(Layer.Proxy, classification.Layer);
        Assert.Equal(Side.Infrastructure, classification.Side);
        Assert.Contains(classification.Evidence, e => e.StartsWith(match.Proxy + ": ", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Markers))]
    public void Match_EachBodyMarkerAlone_RecognisesTheProxy(string proxyName, string marker)
    {
        var proxy = Reference.Proxy(proxyName);
        var code = Codes(proxy).First(c => c >= 500);
        var response = Samples.Http(code, $"<html><body>\n{marker}\n</body></html>\n", [.. Headers(proxy)]);

        var match = ProxySignatures.Match(response);

        Assert.NotNull(match);
        Assert.Equal(SameAs.GetValueOrDefault((proxyName, code), proxyName), match.Proxy);
    }

    [Theory]
    [MemberData(nameof(EnvoyResetReasons))]
    public void Match_EnvoyResetReason_NamesAResponseFlag(string reason)
    {
        var flags = PerCode(Reference.Proxy("envoy")).SelectMany(c => Reference.Sequence(c.Value, "flags")).ToHashSet(StringComparer.Ordinal);
        var response = Samples.Http(503, $"upstream connect error or disconnect/reset before headers. reset reason: {reason}", ("server", "envoy"));

        var match = ProxySignatures.Match(response);

        Assert.NotNull(match);
        Assert.Equal("envoy", match.Proxy);
        var flag = match.Meaning.Split(' ')[0];
        Assert.Contains(flag, flags);
    }

    [Theory]
    [InlineData("no healthy upstream", "UH")]
    [InlineData("upstream request timeout", "UT")]
    [InlineData("upstream connect error or disconnect/reset before headers. reset reason: connection failure, transport failure reason: delayed connect error: 111", "UF")]
    [InlineData("upstream connect error or disconnect/reset before headers. reset reason: overflow", "UO")]
    public void Match_EnvoyBody_NamesTheFlag(string body, string flag)
    {
        var match = ProxySignatures.Match(Samples.Http(503, body, ("server", "envoy")));

        Assert.NotNull(match);
        Assert.StartsWith(flag + " = ", match.Meaning, StringComparison.Ordinal);
    }

    [Fact]
    public void Match_EnvoyOverloadedHeader_IsUO()
    {
        var match = ProxySignatures.Match(Samples.Http(503, "upstream connect error or disconnect/reset before headers. reset reason: remote reset", ("server", "envoy"), ("x-envoy-overloaded", "true")));

        Assert.NotNull(match);
        Assert.StartsWith("UO = ", match.Meaning, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(520)]
    [InlineData(521)]
    [InlineData(522)]
    [InlineData(523)]
    [InlineData(524)]
    [InlineData(525)]
    [InlineData(526)]
    public void Match_CloudflareCodes_EachNamed(int code)
    {
        var meaning = Reference.Scalar(PerCode(Reference.Proxy("cloudflare")).Single(c => c.Key == code).Value, "meaning");

        var match = ProxySignatures.Match(Samples.Http(code, "error code: " + code.ToString(CultureInfo.InvariantCulture), ("server", "cloudflare"), ("cf-ray", "8e1f2a3b4c5d6e7f-FRA")));

        Assert.NotNull(match);
        Assert.Equal("cloudflare", match.Proxy);
        Assert.StartsWith(code.ToString(CultureInfo.InvariantCulture) + ":", match.Meaning, StringComparison.Ordinal);
        Assert.NotNull(meaning);
    }

    [Fact]
    public void Match_GoogleFrontEnd502_IsRecognised()
    {
        const string body = "<!DOCTYPE html>\n<html lang=en>\n<title>502 Server Error</title>\n<h1>Error: Server Error</h1>\n<h2>The server encountered a temporary error and could not complete your request.<p>Please try again in 30 seconds.</h2>";

        var match = ProxySignatures.Match(Samples.Http(502, body, ("via", "1.1 google")));

        Assert.NotNull(match);
        Assert.Equal("google-cloud-lb", match.Proxy);
        Assert.Contains("failed_to_pick_backend", match.Meaning, StringComparison.Ordinal);
    }

    [Fact]
    public void Match_AwsAlb504_IsTargetTimeout()
    {
        const string body = "<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n<center><h1>504 Gateway Time-out</h1></center>\r\n</body>\r\n</html>\r\n";

        var match = ProxySignatures.Match(Samples.Http(504, body, ("Server", "awselb/2.0")));

        Assert.NotNull(match);
        Assert.Equal("aws-alb", match.Proxy);
        Assert.Contains("target timeout", match.Meaning, StringComparison.Ordinal);
    }

    public static TheoryData<int, string, string, string> Relayed => new()
    {
        { 500, "{\"error\":\"boom\"}", "Server", "nginx/1.22.1" },
        { 502, "{\"error\":\"upstream payment provider failed\"}", "via", "1.1 google" },
        { 503, "<html><body>Maintenance</body></html>", "Server", "nginx" },
        { 500, "{\"title\":\"Internal Server Error\"}", "server", "cloudflare" },
        { 502, "{\"message\":\"Bad Gateway\"}", "Server", "awselb/2.0" },
        { 500, "Internal Server Error", "Server", "Microsoft-Azure-Application-Gateway/v2" },
        { 503, "{\"status\":\"unhealthy\"}", "server", "envoy" },
        { 500, "Internal Server Error", "via", "1.1 vegur" },
    };

    [Theory]
    [MemberData(nameof(Relayed))]
    public void Match_ApplicationResponseWithProxyHeadersOnly_IsNotAProxyReply(int status, string body, string header, string value)
    {
        var response = Samples.Http(status, body, (header, value));

        Assert.Null(ProxySignatures.Match(response));

        var classification = Classifier.Classify(
            new TargetSpec { Name = "api", Kind = TargetKinds.Http, Url = "https://api.lab.test/" },
            new Observation { Target = "https://api.lab.test/", Connected = true, Http = response },
            [new ConditionResult("[STATUS] == 200", false, status.ToString(CultureInfo.InvariantCulture))]);
        Assert.NotEqual(Layer.Proxy, classification.Layer);
    }

    [Fact]
    public void Match_EnvoyRelayedResponse_WithUpstreamServiceTime_IsNotAProxyReply()
    {
        var response = Samples.Http(503, "no healthy upstream", ("server", "envoy"), ("x-envoy-upstream-service-time", "12"));

        Assert.Null(ProxySignatures.Match(response));
    }

    [Fact]
    public void Match_SuccessStatus_NeverMatches()
    {
        Assert.Null(ProxySignatures.Match(Samples.Http(200, "<hr><center>nginx</center>", ("Server", "nginx"))));
    }

    private static IEnumerable<KeyValuePair<int, YamlMappingNode>> PerCode(YamlMappingNode proxy)
    {
        if (Reference.Child(proxy, "codes") is not YamlMappingNode codes)
        {
            yield break;
        }

        foreach (var (key, value) in codes.Children)
        {
            yield return new(int.Parse(((YamlScalarNode)key).Value!, CultureInfo.InvariantCulture), value as YamlMappingNode ?? new YamlMappingNode());
        }
    }

    /// <summary>The status codes to replay: the proxy's listed codes, else the 5xx its page is known for.</summary>
    private static List<int> Codes(YamlMappingNode proxy)
    {
        var codes = PerCode(proxy).Select(c => c.Key).ToList();
        if (codes.Count > 0)
        {
            return codes;
        }

        return Reference.Name(proxy) switch
        {
            "google-cloud-lb" => [502],
            _ => [503],
        };
    }

    private static List<(string, string)> Headers(YamlMappingNode proxy)
    {
        var headers = new List<(string, string)>();
        if (Reference.Child(proxy, "headers") is YamlMappingNode map)
        {
            foreach (var (key, value) in map.Children)
            {
                var pattern = ((YamlScalarNode)value).Value!;
                var sample = HeaderSamples.TryGetValue(pattern, out var s) ? s : pattern;
                Assert.Matches(new Regex(pattern, RegexOptions.None, TimeSpan.FromSeconds(1)), sample);
                headers.Add((((YamlScalarNode)key).Value!, sample));
            }
        }

        return headers;
    }

    private static HttpObservation Build(YamlMappingNode proxy, int code)
    {
        var headers = Headers(proxy);
        var perCode = PerCode(proxy).FirstOrDefault(c => c.Key == code).Value ?? new YamlMappingNode();

        if (Reference.Scalar(perCode, "header") is { } header)
        {
            var colon = header.IndexOf(':', StringComparison.Ordinal);
            headers.Add((header[..colon].Trim(), header[(colon + 1)..].Trim()));
        }

        foreach (var name in new[] { "x-vercel-error" })
        {
            if (Reference.Scalar(perCode, name) is { } value)
            {
                headers.RemoveAll(h => string.Equals(h.Item1, name, StringComparison.OrdinalIgnoreCase));
                headers.Add((name, value));
            }
        }

        if (Reference.Scalar(perCode, "content_type") is { } contentType)
        {
            headers.Add(("Content-Type", contentType));
        }

        // body_exact and body are whole bodies; body_contains and the proxy's markers go into an nginx-style error page.
        string body;
        if ((Reference.Scalar(perCode, "body_exact") ?? Reference.Scalar(perCode, "body")) is { } exact)
        {
            body = exact;
        }
        else
        {
            var statusLine = Reference.Scalar(perCode, "status_line") ?? code.ToString(CultureInfo.InvariantCulture) + " Error";
            var markers = Reference.Scalar(perCode, "body_contains") is { } contains
                ? [contains]
                : Reference.Sequence(proxy, "body_contains").Concat(Reference.Sequence(proxy, "log_texts").Take(1)).ToList();

            body = $"<html>\r\n<head><title>{statusLine}</title></head>\r\n<body>\r\n<center><h1>{statusLine}</h1></center>\r\n{string.Join("\r\n", markers)}\r\n</body>\r\n</html>\r\n";
        }

        return Samples.Http(code, body, [.. headers]);
    }
}
