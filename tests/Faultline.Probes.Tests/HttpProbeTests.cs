using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Probes.Net;
using Faultline.TestSupport;
using static Faultline.Probes.Tests.ProbeHarness;

namespace Faultline.Probes.Tests;

public sealed class HttpProbeTests : IDisposable
{
    private readonly TestCertificates _certs = new();

    public void Dispose() => _certs.Dispose();

    private static TargetSpec Http(string url, Action<TargetSpecBuilder>? configure = null)
    {
        var builder = new TargetSpecBuilder { Url = url };
        configure?.Invoke(builder);
        return builder.Build();
    }

    [Fact]
    public async Task ProbeAsync_Json200_RecordsStatusBodyHeadersAndPhases()
    {
        const string Body = """{"status":"ok","checks":{"db":"ok"}}""";
        await using var server = TestServers.Http(TestServers.RawResponse(200, "OK", Body, "Content-Type: application/json", "Server: nginx/1.27.0", "Via: 1.1 google", "x-envoy-upstream-service-time: 12", "cf-ray: 8f1e2d3c4b5a6978-FRA"));

        var observation = await RunAsync(Http($"{server.BaseUrl}/health"));

        Assert.Null(observation.Error);
        Assert.True(observation.Connected);
        var http = Assert.IsType<HttpObservation>(observation.Http);
        Assert.Equal(200, http.StatusCode);
        Assert.Equal("OK", http.ReasonPhrase);
        Assert.Equal("HTTP/1.1", http.Version);
        Assert.Equal(Body, http.Body);
        Assert.False(http.BodyTruncated);
        Assert.Equal("nginx/1.27.0", http.Headers["server"]);
        Assert.Equal("1.1 google", http.Headers["Via"]);
        Assert.Equal("12", http.Headers["x-envoy-upstream-service-time"]);
        Assert.Equal("8f1e2d3c4b5a6978-FRA", http.Headers["CF-Ray"]);
        Assert.Equal("application/json", http.Headers["Content-Type"]);
        Assert.Equal($"{server.BaseUrl}/health", http.FinalUrl);
        Assert.Equal($"{server.BaseUrl}/health", observation.Target);
        Assert.NotNull(observation.Phases.DnsMs);
        Assert.NotNull(observation.Phases.ConnectMs);
        Assert.NotNull(observation.Phases.FirstByteMs);
        Assert.NotNull(observation.Phases.TransferMs);
        Assert.Null(observation.Phases.TlsMs);
        Assert.Null(observation.Tls);
        Assert.StartsWith("GET /health HTTP/1.1", Assert.Single(server.Requests), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProbeAsync_Status500_IsAnObservationNotAnError()
    {
        await using var server = TestServers.Http(TestServers.RawResponse(500, "Internal Server Error", """{"error":"boom"}"""));

        var observation = await RunAsync(Http(server.BaseUrl));

        Assert.Null(observation.Error);
        Assert.Equal(500, observation.Http?.StatusCode);
        Assert.Equal("""{"error":"boom"}""", observation.Http?.Body);
    }

    [Fact]
    public async Task ProbeAsync_BodyLargerThanLimit_TruncatesAndSaysSo()
    {
        var body = new string('x', 100);
        await using var server = TestServers.Http(TestServers.RawResponse(200, "OK", body));

        var observation = await RunAsync(Http(server.BaseUrl, t => t.MaxBodyBytes = 16));

        Assert.Null(observation.Error);
        Assert.True(observation.Http?.BodyTruncated);
        Assert.Equal(new string('x', 16), observation.Http?.Body);
    }

    [Fact]
    public async Task ProbeAsync_RedirectNotFollowed_RecordsTheRedirect()
    {
        await using var server = TestServers.Http(RedirectingResponder);

        var observation = await RunAsync(Http($"{server.BaseUrl}/start"));

        Assert.Null(observation.Error);
        Assert.Equal(302, observation.Http?.StatusCode);
        Assert.Equal("/final", observation.Http?.Headers["Location"]);
        Assert.Equal($"{server.BaseUrl}/start", observation.Http?.FinalUrl);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task ProbeAsync_RedirectFollowed_RecordsFinalUrlAndResponse()
    {
        await using var server = TestServers.Http(RedirectingResponder);

        var observation = await RunAsync(Http($"{server.BaseUrl}/start", t => t.FollowRedirects = true));

        Assert.Null(observation.Error);
        Assert.Equal(200, observation.Http?.StatusCode);
        Assert.Equal("arrived", observation.Http?.Body);
        Assert.Equal($"{server.BaseUrl}/final", observation.Http?.FinalUrl);
        Assert.Equal(2, server.Requests.Count);
    }

    [Fact]
    public async Task ProbeAsync_MethodHeadersAndBody_AreSent()
    {
        await using var server = TestServers.Http(TestServers.RawResponse(201, "Created", "{}"));

        var observation = await RunAsync(Http($"{server.BaseUrl}/items", t =>
        {
            t.Method = "post";
            t.Body = """{"name":"probe"}""";
            t.Headers = new Dictionary<string, string> { ["X-Probe"] = "faultline", ["Content-Type"] = "application/json" };
        }));

        Assert.Null(observation.Error);
        Assert.Equal(201, observation.Http?.StatusCode);
        var request = Assert.Single(server.Requests);
        Assert.StartsWith("POST /items HTTP/1.1", request, StringComparison.Ordinal);
        Assert.Contains("X-Probe: faultline", request, StringComparison.Ordinal);
        Assert.Contains("Content-Type: application/json", request, StringComparison.Ordinal);
        Assert.Contains($"Host: 127.0.0.1:{server.Port}", request, StringComparison.Ordinal);
        Assert.EndsWith("""{"name":"probe"}""", request, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProbeAsync_UserInfoInUrl_IsSentButNotShown()
    {
        await using var server = TestServers.Http(TestServers.RawResponse(200, "OK", "ok"));
        var url = $"http://probe:s3cr3t-pass@127.0.0.1:{server.Port}/";

        var context = Context();

        var observation = await RunAsync(Http(url), context);

        Assert.Null(observation.Error);
        Assert.DoesNotContain("s3cr3t-pass", Json(observation), StringComparison.Ordinal);
        Assert.Equal("***", context.Redactor.Redact("s3cr3t-pass"));
        Assert.Equal($"http://127.0.0.1:{server.Port}/", observation.Target);
        Assert.Contains("Authorization: Basic ", Assert.Single(server.Requests), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProbeAsync_ClosedPort_ReportsConnectionRefused()
    {
        var port = TestServers.ClosedPort();

        var observation = await RunAsync(Http($"http://127.0.0.1:{port}/"));

        var error = AssertError(observation, ErrorKind.ConnectionRefused, "connect");
        Assert.Contains($"nothing listening on 127.0.0.1:{port}", error.Message, StringComparison.Ordinal);
        Assert.Null(observation.Http);
    }

    [Fact]
    public async Task ProbeAsync_SynDroppedPort_ReportsConnectTimeout()
    {
        await using var server = await TestServers.SynDropAsync();

        var observation = await RunAsync(Http($"http://127.0.0.1:{server.Port}/"), timeout: Short);

        var error = AssertError(observation, ErrorKind.ConnectTimeout, "connect");
        Assert.Contains($"no answer to SYN from 127.0.0.1:{server.Port}", error.Message, StringComparison.Ordinal);
        Assert.InRange(observation.Elapsed, TimeSpan.FromSeconds(1.8), TimeSpan.FromSeconds(4));
    }

    [Fact]
    public async Task ProbeAsync_ServerResets_ReportsConnectionReset()
    {
        await using var server = TestServers.Reset();

        var observation = await RunAsync(Http($"http://127.0.0.1:{server.Port}/"));

        var error = AssertError(observation, ErrorKind.ConnectionReset, "request");
        Assert.Contains($"127.0.0.1:{server.Port} reset the connection before a response", error.Message, StringComparison.Ordinal);
        Assert.True(observation.Connected);
    }

    [Fact]
    public async Task ProbeAsync_ServerResetsOnAccept_AlwaysReportsConnectionReset()
    {
        // The reset can land at any instant after the handshake, including while the HTTP stack asks the
        // socket for its peer (ENOTCONN surfaces there as a bare SocketException): every run is a reset, none throws.
        await using var server = TestServers.ResetOnAccept();

        var kinds = new Dictionary<string, int>();
        for (var i = 0; i < 400; i++)
        {
            var observation = await RunAsync(Http($"http://127.0.0.1:{server.Port}/"));
            var key = $"{observation.Error?.Kind.Wire() ?? "no error"}/{observation.Error?.Phase}";
            kinds[key] = kinds.GetValueOrDefault(key) + 1;
        }

        Assert.True(kinds.Keys.All(k => k is "connection-reset/connect" or "connection-reset/request"), string.Join(", ", kinds.Select(k => $"{k.Key}: {k.Value}")));
    }

    [Fact]
    public async Task ProbeAsync_CallerCancelsWhileWaiting_ThrowsInsteadOfReportingTimeout()
    {
        await using var server = TestServers.Hung();
        using var caller = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var context = Context(timeout: Generous, callerToken: caller.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => RunAsync(Http($"http://127.0.0.1:{server.Port}/"), context));
    }

    [Fact]
    public async Task ProbeAsync_ServerClosesWithoutAnswer_ReportsConnectionClosed()
    {
        await using var server = TestServers.Http(_ => string.Empty);

        var observation = await RunAsync(Http($"http://127.0.0.1:{server.Port}/"));

        var error = AssertError(observation, ErrorKind.ConnectionClosed, "request");
        Assert.Contains("closed the connection before a response", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProbeAsync_NonHttpServer_ReportsProtocolError()
    {
        await using var server = TestServers.Banner("SSH-2.0-OpenSSH_9.6p1 Debian-4\r\n");

        var observation = await RunAsync(Http($"http://127.0.0.1:{server.Port}/"));

        var error = AssertError(observation, ErrorKind.ProtocolError, "request");
        Assert.Contains("did not answer with valid HTTP", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProbeAsync_HttpsWithCaFileAndResolver_PassesAndRecordsTls()
    {
        await using var dns = new TinyDnsServer().Add("api.lab.test", "127.0.0.1");
        await using var server = TestServers.Http(TestServers.RawResponse(200, "OK", "secure"), _certs.Valid("api.lab.test"));

        var observation = await RunAsync(
            Http($"https://api.lab.test:{server.Port}/health", t => t.Tls = new TlsSpec { CaFile = _certs.CaFile }),
            resolver: HostResolvers.ForServer(dns.Address));

        Assert.Null(observation.Error);
        Assert.Equal(200, observation.Http?.StatusCode);
        Assert.Equal("secure", observation.Http?.Body);
        Assert.Equal(["127.0.0.1"], observation.Addresses);
        Assert.NotNull(observation.Phases.TlsMs);
        var tls = Assert.IsType<TlsObservation>(observation.Tls);
        Assert.Equal("api.lab.test", tls.ServerName);
        Assert.True(tls.Trusted);
        Assert.True(tls.HostnameMatches);
        Assert.NotNull(tls.Protocol);
        Assert.Equal(["api.lab.test", "127.0.0.1"], tls.Leaf?.SubjectAlternativeNames);
        Assert.Contains($"Host: api.lab.test:{server.Port}", Assert.Single(server.Requests), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("expired", ErrorKind.TlsExpired)]
    [InlineData("not-yet-valid", ErrorKind.TlsNotYetValid)]
    [InlineData("wrong-name", ErrorKind.TlsNameMismatch)]
    [InlineData("untrusted", ErrorKind.TlsUntrusted)]
    public async Task ProbeAsync_HttpsWithBadCertificate_ReportsTlsKind(string problem, ErrorKind expected)
    {
        var cert = problem switch
        {
            "expired" => _certs.Expired("api.lab.test"),
            "not-yet-valid" => _certs.NotYetValid("api.lab.test"),
            "wrong-name" => _certs.WrongName("other.lab.test"),
            _ => _certs.Untrusted("api.lab.test"),
        };
        await using var server = TestServers.Http(TestServers.RawResponse(200, "OK", "never seen"), cert);

        var observation = await RunAsync(Http($"https://127.0.0.1:{server.Port}/", t => t.Tls = new TlsSpec { CaFile = _certs.CaFile }));

        AssertError(observation, expected, "tls");
        Assert.Null(observation.Http);
        Assert.NotNull(observation.Tls?.Leaf);
        Assert.NotNull(observation.Phases.TlsMs);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task ProbeAsync_HttpsInsecure_PassesWithWarnings()
    {
        await using var server = TestServers.Http(TestServers.RawResponse(200, "OK", "ok"), _certs.SelfSigned("api.lab.test"));

        var observation = await RunAsync(Http($"https://127.0.0.1:{server.Port}/", t => t.Tls = new TlsSpec { Insecure = true }));

        Assert.Null(observation.Error);
        Assert.Equal(200, observation.Http?.StatusCode);
        Assert.Contains(observation.Warnings, w => w.StartsWith("tls.insecure accepted:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ProbeAsync_NameNotInResolver_ReportsDnsNxDomain()
    {
        await using var dns = new TinyDnsServer();

        var observation = await RunAsync(Http("http://api.lab.test:8080/"), resolver: HostResolvers.ForServer(dns.Address));

        var error = AssertError(observation, ErrorKind.DnsNxDomain, "dns");
        Assert.Equal($"api.lab.test did not resolve: NXDOMAIN from {dns.Address}", error.Message);
        Assert.NotNull(observation.Phases.DnsMs);
        Assert.False(observation.Connected);
    }

    [Fact]
    public async Task ProbeAsync_ResolverAnswersServFail_ReportsDnsServFail()
    {
        await using var dns = new TinyDnsServer();
        dns.ServFail["api.lab.test"] = true;

        var observation = await RunAsync(Http("http://api.lab.test:8080/"), resolver: HostResolvers.ForServer(dns.Address));

        var error = AssertError(observation, ErrorKind.DnsServFail, "dns");
        Assert.Equal("SERVFAIL", error.Code);
    }

    [Fact]
    public async Task ProbeAsync_ResolverSilent_ReportsDnsTimeout()
    {
        await using var dns = new TinyDnsServer { SilentAll = true };

        var observation = await RunAsync(Http("http://api.lab.test:8080/"), timeout: Short, resolver: HostResolvers.ForServer(dns.Address));

        var error = AssertError(observation, ErrorKind.DnsTimeout, "dns");
        Assert.Contains($"no answer from {dns.Address}", error.Message, StringComparison.Ordinal);
        Assert.InRange(observation.Elapsed, TimeSpan.FromSeconds(1.8), TimeSpan.FromSeconds(4));
        Assert.True(dns.Queries > 0);
    }

    [Fact]
    public async Task ProbeAsync_NotAUrl_ReportsConfigInvalid()
    {
        var observation = await RunAsync(Http("ftp://example/"));

        AssertError(observation, ErrorKind.ConfigInvalid, "config");
    }

    private static string RedirectingResponder(string requestLine) =>
        requestLine.StartsWith("GET /start ", StringComparison.Ordinal)
            ? TestServers.RawResponse(302, "Found", string.Empty, "Location: /final")
            : TestServers.RawResponse(200, "OK", "arrived");

    /// <summary>Mutable stand-in for the init-only <see cref="TargetSpec"/>, for readable test setup.</summary>
    internal sealed class TargetSpecBuilder
    {
        public required string Url { get; init; }

        public string Method { get; set; } = "GET";

        public string? Body { get; set; }

        public IReadOnlyDictionary<string, string> Headers { get; set; } = new Dictionary<string, string>();

        public bool FollowRedirects { get; set; }

        public int MaxBodyBytes { get; set; } = 64 * 1024;

        public TlsSpec? Tls { get; set; }

        public TargetSpec Build() => new()
        {
            Name = "http",
            Kind = TargetKinds.Http,
            Url = Url,
            Method = Method,
            Body = Body,
            Headers = Headers,
            FollowRedirects = FollowRedirects,
            MaxBodyBytes = MaxBodyBytes,
            Tls = Tls,
        };
    }
}
