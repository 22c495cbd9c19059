using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.TestSupport;
using static Faultline.Probes.Tests.ProbeHarness;

namespace Faultline.Probes.Tests;

/// <summary>
/// Hostile redirects: a probed server decides where a redirect goes, so following one must never carry the
/// target's configured headers to another origin, never downgrade https to http, and a loop is a failure.
/// </summary>
public sealed class HttpRedirectTests : IDisposable
{
    private const string Token = "Bearer fl-redirect-secret-7e3a";
    private const string ApiKey = "fl-api-key-5c1d";

    private readonly TestCertificates _certs = new();

    public void Dispose() => _certs.Dispose();

    private static TargetSpec Follow(string url, TlsSpec? tls = null) => new HttpProbeTests.TargetSpecBuilder
    {
        Url = url,
        FollowRedirects = true,
        Headers = new Dictionary<string, string> { ["Authorization"] = Token, ["X-Api-Key"] = ApiKey },
        Tls = tls,
    }.Build();

    [Fact]
    public async Task ProbeAsync_RedirectToAnotherOrigin_DropsTheConfiguredHeaders()
    {
        await using var other = TestServers.Http(TestServers.RawResponse(200, "OK", "elsewhere"));
        await using var origin = TestServers.Http(TestServers.RawResponse(302, "Found", string.Empty, $"Location: {other.BaseUrl}/landing"));

        var observation = await RunAsync(Follow($"{origin.BaseUrl}/start"));

        Assert.Null(observation.Error);
        Assert.Equal(200, observation.Http?.StatusCode);
        Assert.Contains(Token, Assert.Single(origin.Requests), StringComparison.Ordinal);
        var forwarded = Assert.Single(other.Requests);
        Assert.DoesNotContain(Token, forwarded, StringComparison.Ordinal);
        Assert.DoesNotContain(ApiKey, forwarded, StringComparison.Ordinal);
        Assert.DoesNotContain("authorization:", forwarded, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task ProbeAsync_RedirectWithinTheOrigin_KeepsTheConfiguredHeaders()
    {
        await using var server = TestServers.Http(line => line.StartsWith("GET /start ", StringComparison.Ordinal)
            ? TestServers.RawResponse(302, "Found", string.Empty, "Location: /final")
            : TestServers.RawResponse(200, "OK", "arrived"));

        var observation = await RunAsync(Follow($"{server.BaseUrl}/start"));

        Assert.Null(observation.Error);
        Assert.All(server.Requests, r => Assert.Contains(Token, r, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ProbeAsync_HttpsRedirectToHttp_IsRefusedAndNothingIsSentInClearText()
    {
        await using var plain = TestServers.Http(TestServers.RawResponse(200, "OK", "clear text"));
        await using var secure = TestServers.Http(
            TestServers.RawResponse(301, "Moved Permanently", string.Empty, $"Location: {plain.BaseUrl}/landing"),
            _certs.SelfSigned("127.0.0.1"));

        var observation = await RunAsync(Follow($"https://127.0.0.1:{secure.Port}/start", new TlsSpec { Insecure = true }));

        var error = AssertError(observation, ErrorKind.RedirectRefused, "redirect");
        Assert.Contains("https://127.0.0.1", error.Message, StringComparison.Ordinal);
        Assert.Contains($"{plain.BaseUrl}/landing", error.Message, StringComparison.Ordinal);
        Assert.Empty(plain.Requests);
    }

    [Fact]
    public async Task ProbeAsync_RedirectLoop_FailsWithTheChain()
    {
        await using var server = TestServers.Http(line => line.StartsWith("GET /a ", StringComparison.Ordinal)
            ? TestServers.RawResponse(302, "Found", string.Empty, "Location: /b")
            : TestServers.RawResponse(302, "Found", string.Empty, "Location: /a"));

        var observation = await RunAsync(Follow($"{server.BaseUrl}/a"));

        var error = AssertError(observation, ErrorKind.RedirectLoop, "redirect");
        Assert.Contains($"{server.BaseUrl}/a → {server.BaseUrl}/b → {server.BaseUrl}/a", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, server.Requests.Count);
    }

    [Fact]
    public async Task ProbeAsync_EndlessRedirects_FailAtTheHopLimit()
    {
        var next = 0;
        await using var server = TestServers.Http(_ => TestServers.RawResponse(302, "Found", string.Empty, $"Location: /hop{Interlocked.Increment(ref next)}"));

        var observation = await RunAsync(Follow($"{server.BaseUrl}/hop0"));

        var error = AssertError(observation, ErrorKind.RedirectLoop, "redirect");
        Assert.Contains("more than 10 redirects", error.Message, StringComparison.Ordinal);
        Assert.Equal(11, server.Requests.Count);
    }
}
