using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Faultline.Core.Config;

namespace Faultline.Monitor.Alerts;

/// <summary>
/// POSTs the alert as JSON (<c>format: generic</c> or <c>slack</c>). 2xx = delivered; 408, 429, 5xx, connect and
/// transport errors = retried; any other status = rejected. The URL may carry a token, so only
/// <c>scheme://host:port</c> is ever logged, and header values are never logged.
/// </summary>
internal sealed class WebhookChannel : IAlertChannel
{
    /// <summary><c>kind: webhook</c>: needs an absolute http(s) <c>url</c> and a known <c>format</c>.</summary>
    public static readonly AlertChannelKind Kind = new(
        AlertKinds.Webhook,
        spec => spec switch
        {
            { Url: null or "" } => "is a webhook without url",
            _ when !IsHttpUrl(spec.Url!) => "has a url that is not an absolute http(s) URL",
            _ when !AlertPayloads.Formats.Contains(spec.Format) => $"has unknown format '{spec.Format}' (expected {string.Join(", ", AlertPayloads.Formats)})",
            _ => null,
        },
        (spec, context) => new WebhookChannel(spec, context.Http, context.Time));

    private readonly HttpClient http;
    private readonly Uri url;
    private readonly TimeProvider time;

    public WebhookChannel(AlertSpec spec, HttpClient http, TimeProvider time)
    {
        Spec = spec;
        this.http = http;
        this.time = time;
        url = new Uri(spec.Url!, UriKind.Absolute);
        Destination = SafeDestination(url);
    }

    public AlertSpec Spec { get; }

    public string Destination { get; }

    private static bool IsHttpUrl(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);

    /// <summary><c>scheme://host:port</c>: no user info, path or query, where tokens live.</summary>
    public static string SafeDestination(Uri url) =>
        url.GetComponents(UriComponents.Scheme | UriComponents.Host | UriComponents.StrongPort, UriFormat.UriEscaped);

    public async Task<DeliveryResult> DeliverAsync(AlertEvent alert, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(AlertPayloads.Render(Spec.Format, alert));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = content };
        request.Headers.UserAgent.Add(new ProductInfoHeaderValue("Faultline", null));
        foreach (var (name, value) in Spec.Headers)
        {
            if (!request.Headers.TryAddWithoutValidation(name, value))
            {
                content.Headers.Remove(name);
                content.Headers.TryAddWithoutValidation(name, value);
            }
        }

        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            var code = (int)response.StatusCode;
            var detail = string.Create(CultureInfo.InvariantCulture, $"HTTP {code}");
            if (response.IsSuccessStatusCode)
            {
                return DeliveryResult.Delivered(detail);
            }

            if (response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || code >= 500)
            {
                return DeliveryResult.Retry(detail) with { RetryAfter = RetryAfter(response.Headers.RetryAfter) };
            }

            if (code is >= 300 and < 400)
            {
                // Alerts go only where they were configured: a redirect is reported, never followed.
                return DeliveryResult.Rejected(detail + ": a redirect, not followed (alerts are sent only to the configured URL; configure the final address)");
            }

            return DeliveryResult.Rejected(detail);
        }
        catch (HttpRequestException ex) when (!cancellationToken.IsCancellationRequested)
        {
            // The exception's text can repeat the request URI; log only what kind of failure it was.
            var socket = FindSocketError(ex);
            var detail = socket is { } error
                ? string.Create(CultureInfo.InvariantCulture, $"{ex.HttpRequestError} ({error})")
                : ex.HttpRequestError.ToString();
            return DeliveryResult.Retry(detail);
        }
    }

    private TimeSpan? RetryAfter(RetryConditionHeaderValue? header) => header switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - time.GetUtcNow() is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
        _ => null,
    };

    private static SocketError? FindSocketError(Exception ex)
    {
        for (var inner = ex.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException socket)
            {
                return socket.SocketErrorCode;
            }
        }

        return null;
    }
}
