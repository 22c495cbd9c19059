using System.Net;
using System.Text.Json;

namespace Faultline.Lab.Relay;

/// <summary>Talks to a relay's control API (a <see cref="RelayHost"/> in this or another process).</summary>
public sealed class RelayClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;

    /// <param name="control">The control API's base address, e.g. <c>http://127.0.0.1:7301/</c>.</param>
    public RelayClient(Uri control)
        : this(control, new HttpClient { Timeout = TimeSpan.FromSeconds(10) }, ownsHttp: true)
    {
    }

    /// <param name="control">The control API's base address.</param>
    /// <param name="httpClient">Used as is; not disposed by this client.</param>
    public RelayClient(Uri control, HttpClient httpClient)
        : this(control, httpClient, ownsHttp: false)
    {
    }

    private RelayClient(Uri control, HttpClient httpClient, bool ownsHttp)
    {
        ArgumentNullException.ThrowIfNull(control);
        ArgumentNullException.ThrowIfNull(httpClient);
        Control = control.AbsoluteUri.EndsWith('/') ? control : new Uri(control.AbsoluteUri + "/");
        _http = httpClient;
        _ownsHttp = ownsHttp;
    }

    public Uri Control { get; }

    /// <summary>Puts <paramref name="spec"/> on <paramref name="link"/>. Throws <see cref="RelayControlException"/> with the relay's message on 4xx/5xx.</summary>
    public async Task SetFaultAsync(string link, FaultSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        using var buffer = new MemoryStream();
        await using (var writer = new Utf8JsonWriter(buffer))
        {
            RelayJson.WriteFault(writer, spec);
        }

        using var content = new ByteArrayContent(buffer.ToArray());
        content.Headers.ContentType = new("application/json");
        await SendAsync(HttpMethod.Put, $"links/{Uri.EscapeDataString(link)}/fault", content, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Clears the fault of <paramref name="link"/>.</summary>
    public async Task ClearAsync(string link, CancellationToken cancellationToken) =>
        await SendAsync(HttpMethod.Delete, $"links/{Uri.EscapeDataString(link)}/fault", null, cancellationToken).ConfigureAwait(false);

    /// <summary>Clears the faults of every link.</summary>
    public async Task ClearAllAsync(CancellationToken cancellationToken) =>
        await SendAsync(HttpMethod.Delete, "faults", null, cancellationToken).ConfigureAwait(false);

    /// <summary>Every link with its fault and open connections.</summary>
    public async Task<IReadOnlyList<RelayLinkStatus>> GetLinksAsync(CancellationToken cancellationToken)
    {
        var body = await SendAsync(HttpMethod.Get, "links", null, cancellationToken).ConfigureAwait(false);
        try
        {
            using var document = JsonDocument.Parse(body);
            return RelayJson.ReadLinks(document.RootElement);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or KeyNotFoundException)
        {
            throw new RelayControlException($"the relay at {Control} answered GET /links with JSON of another shape", HttpStatusCode.OK, ex);
        }
    }

    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    private async Task<string> SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(Control, path)) { Content = content };
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new RelayControlException($"the relay control API at {Control} did not answer {method} /{path}: {ex.HttpRequestError}", null, ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new RelayControlException($"the relay control API at {Control} did not answer {method} /{path} in time", null, ex);
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                return body;
            }

            throw new RelayControlException($"relay {method} /{path}: {(int)response.StatusCode} {ErrorText(body)}", response.StatusCode);
        }
    }

    private static string ErrorText(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.String)
            {
                return error.GetString() ?? string.Empty;
            }
        }
        catch (JsonException)
        {
            // Not the relay's error shape: fall through to a bounded excerpt.
        }

        var text = body.Length > 200 ? body[..200] : body;
        return text.ReplaceLineEndings(" ");
    }
}
