using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Running;
using Faultline.Probes.Net;

namespace Faultline.Probes.Probes;

/// <summary>
/// One HTTP(S) exchange over a fresh connection. DNS, TCP and TLS are done here (in the handler's
/// connect callback) so each phase is timed and the certificate is recorded; the handler speaks HTTP/1.1
/// over the stream. Redirects are followed here too, so every hop goes through the same callback.
/// Any status is an observation, not an error.
/// </summary>
internal sealed class HttpProbe : IProbe
{
    public const int MaxRedirects = 10;

    /// <summary>Response bodies read up to this many bytes use a pooled buffer.</summary>
    private const int PooledBodyBytes = 1024 * 1024;

    public string Kind => TargetKinds.Http;

    /// <summary>An http target without conditions passes on any answer below 400.</summary>
    public IReadOnlyList<string> DefaultConditions { get; } = ["[STATUS] < 400"];

    public string AttemptNoun => "requests";

    public async Task<Observation> ProbeAsync(TargetSpec target, ProbeContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(context);
        var run = new ProbeRun(context);
        if (!Uri.TryCreate(target.Url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            return run.Observe(target.Url is null ? "(no url)" : DisplayUrl(target.Url), ProbeErrors.Config($"http target {target.Name} needs an absolute http:// or https:// url"));
        }

        if (uri.UserInfo.Split(':', 2) is [_, { Length: > 0 } password])
        {
            // The password and the Basic credential the request carries for it (a server may echo either).
            context.Redactor.Add(Uri.UnescapeDataString(password));
            context.Redactor.Add("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.UnescapeDataString(uri.UserInfo))));
        }

        var display = DisplayUrl(uri);
        var exchange = new Exchange(target, context, run);
        using var handler = exchange.Connector.CreateHandler(DecompressionMethods.All);
        using var client = new HttpClient(handler, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };

        try
        {
            var current = uri;
            var method = new HttpMethod(target.Method.ToUpperInvariant());
            var body = target.Body;
            var headers = target.Headers;
            var warnings = new List<string>();
            var chain = new List<Uri> { uri };
            for (var hop = 0; ; hop++)
            {
                using var request = BuildRequest(current, method, headers, body);
                exchange.Connector.Begin("request", current);
                var sent = run.Timestamp();
                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
                run.AddFirstByte(run.MillisecondsSince(sent) - exchange.Connector.ConnectionMs);

                if (target.FollowRedirects && IsRedirect(response.StatusCode) && response.Headers.Location is { } location)
                {
                    // The server decides where a redirect goes: it is followed only where following is safe.
                    var next = location.IsAbsoluteUri ? location : new Uri(current, location);
                    var refused = Redirects.Check(chain, next, MaxRedirects);
                    if (refused is not null)
                    {
                        return run.Observe(display, refused) with
                        {
                            Http = new HttpObservation
                            {
                                StatusCode = (int)response.StatusCode,
                                ReasonPhrase = response.ReasonPhrase,
                                Version = $"HTTP/{response.Version}",
                                Headers = CollectHeaders(response),
                                FinalUrl = DisplayUrl(current),
                            },
                            Tls = exchange.TlsFacts(),
                        };
                    }

                    if (!Redirects.SameOrigin(uri, next))
                    {
                        // Leaving the configured origin: its headers (credentials, API keys) stay behind.
                        headers = new Dictionary<string, string>();
                    }

                    chain.Add(next);
                    current = Redirects.WithoutUserInfo(next);
                    if (response.StatusCode == HttpStatusCode.SeeOther
                        || (response.StatusCode is HttpStatusCode.MovedPermanently or HttpStatusCode.Found && method == HttpMethod.Post))
                    {
                        method = HttpMethod.Get;
                        body = null;
                    }

                    continue;
                }

                run.Enter("response");
                var (text, truncated) = await ReadBodyAsync(response, target.MaxBodyBytes, cancellationToken).ConfigureAwait(false);
                run.CompleteTransfer();
                run.Enter("done");
                warnings.AddRange(exchange.Connector.TlsWarnings());
                return run.Observe(display, null) with
                {
                    Http = new HttpObservation
                    {
                        StatusCode = (int)response.StatusCode,
                        ReasonPhrase = response.ReasonPhrase,
                        Version = $"HTTP/{response.Version}",
                        Headers = CollectHeaders(response),
                        Body = context.Redactor.Redact(text),
                        BodyTruncated = truncated,
                        FinalUrl = DisplayUrl(current),
                    },
                    Tls = exchange.TlsFacts(),
                    Warnings = warnings,
                };
            }
        }
        catch (OperationCanceledException ex) when (!context.IsCallerCancellation && cancellationToken.IsCancellationRequested)
        {
            return run.Observe(display, exchange.DeadlineError(ex)) with { Tls = exchange.TlsFacts() };
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or SocketException or ProbeException)
        {
            return run.Observe(display, exchange.Failure(ex)) with { Tls = exchange.TlsFacts() };
        }
        finally
        {
            await exchange.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The URL without user info or secrets, for output.</summary>
    internal static string DisplayUrl(Uri uri)
    {
        if (string.IsNullOrEmpty(uri.UserInfo))
        {
            return uri.AbsoluteUri;
        }

        var builder = new UriBuilder(uri) { UserName = string.Empty, Password = string.Empty };
        return builder.Uri.AbsoluteUri;
    }

    internal static string DisplayUrl(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) ? DisplayUrl(uri) : url;

    private static bool IsRedirect(HttpStatusCode status) => status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found
        or HttpStatusCode.SeeOther or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;

    private static HttpRequestMessage BuildRequest(Uri uri, HttpMethod method, IReadOnlyDictionary<string, string> headers, string? body)
    {
        // TLS is done in the connect callback, so the handler is always given http://; the Host header keeps the real authority.
        var request = new HttpRequestMessage(method, StepConnector.WireUri(uri, Uri.UriSchemeHttp))
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.Host = StepConnector.HostHeader(uri);
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.UnescapeDataString(uri.UserInfo))));
        }

        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = null;
        }

        foreach (var (name, value) in headers)
        {
            if (!request.Headers.TryAddWithoutValidation(name, value))
            {
                request.Content ??= new ByteArrayContent([]);
                request.Content.Headers.Remove(name);
                request.Content.Headers.TryAddWithoutValidation(name, value);
            }
        }

        if (request.Content is { Headers.ContentType: null } content && body is not null)
        {
            content.Headers.ContentType = new MediaTypeHeaderValue("text/plain") { CharSet = "utf-8" };
        }

        return request;
    }

    private static async Task<(string Text, bool Truncated)> ReadBodyAsync(HttpResponseMessage response, int maxBytes, CancellationToken cancellationToken)
    {
        var limit = Math.Max(0, maxBytes);
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);

        // Pooled: a new (zeroed) array of maxBytes per probe was most of what an http probe allocated. A limit
        // above PooledBodyBytes gets its own array, so the pool never keeps large buffers alive.
        var pooled = limit < PooledBodyBytes;
        var buffer = pooled ? ArrayPool<byte>.Shared.Rent(limit + 1) : new byte[limit + 1];
        try
        {
            var filled = 0;
            await using (stream.ConfigureAwait(false))
            {
                while (filled <= limit)
                {
                    var read = await stream.ReadAsync(buffer.AsMemory(filled, limit + 1 - filled), cancellationToken).ConfigureAwait(false);
                    if (read == 0)
                    {
                        break;
                    }

                    filled += read;
                }
            }

            var truncated = filled > limit;
            var length = Math.Min(filled, limit);
            var encoding = Encoding.UTF8;
            if (response.Content.Headers.ContentType?.CharSet is { Length: > 0 } charset)
            {
                try
                {
                    encoding = Encoding.GetEncoding(charset.Trim('"'));
                }
                catch (ArgumentException)
                {
                    encoding = Encoding.UTF8;
                }
            }

            return (encoding.GetString(buffer, 0, length), truncated);
        }
        finally
        {
            if (pooled)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private static Dictionary<string, string> CollectHeaders(HttpResponseMessage response)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in response.Headers.NonValidated.Concat(response.Content.Headers.NonValidated))
        {
            var joined = string.Join(", ", values);
            headers[name] = headers.TryGetValue(name, out var existing) ? existing + ", " + joined : joined;
        }

        return headers;
    }

    /// <summary>The state of one probe's connections (through <see cref="StepConnector"/>) and the http probe's own error wording.</summary>
    private sealed class Exchange(TargetSpec target, ProbeContext context, ProbeRun run) : IAsyncDisposable
    {
        public StepConnector Connector { get; } = new(target, context, run);

        private Uri Current => Connector.Current;

        private string Endpoint => Connector.Endpoint;

        public TlsObservation? TlsFacts() => Connector.TlsFacts();

        public ValueTask DisposeAsync() => Connector.DisposeAsync();

        public ProbeError DeadlineError(Exception exception)
        {
            var host = Current.IdnHost;
            return run.Phase switch
            {
                "dns" => HostResolvers.DeadlineError(host, context.Resolver, run.PhaseElapsed, exception),
                "connect" => TcpConnector.DeadlineError(TcpProbe.ConnectTarget(run, host, Current.Port), run.PhaseElapsed, exception),
                "tls" => TlsSupport.TimeoutError(Endpoint, run.PhaseElapsed, exception),
                "response" => new ProbeError(ErrorKind.ReadTimeout, $"response body from {Endpoint} did not finish within {Durations.Describe(run.PhaseElapsed)}") { Phase = "response", Exception = exception },
                _ => new ProbeError(ErrorKind.ReadTimeout, $"connected to {Endpoint}, no response within {Durations.Describe(run.PhaseElapsed)}") { Phase = "request", Exception = exception },
            };
        }

        public ProbeError Failure(Exception exception)
        {
            if (TcpConnector.FindProbeException(exception) is { } probe)
            {
                return probe.Error;
            }

            var phase = run.Phase == "response" ? "response" : "request";
            var during = phase == "response" ? "while sending the response body" : "before a response";
            if (TcpConnector.FindSocketException(exception) is { } socket)
            {
                return socket.SocketErrorCode switch
                {
                    SocketError.ConnectionReset or SocketError.NotConnected => new ProbeError(ErrorKind.ConnectionReset, $"{Endpoint} reset the connection {during}") { Phase = phase, Code = socket.SocketErrorCode.ToString(), Exception = exception },
                    SocketError.TimedOut => new ProbeError(ErrorKind.ReadTimeout, $"connection to {Endpoint} timed out {during}") { Phase = phase, Code = socket.SocketErrorCode.ToString(), Exception = exception },
                    _ => new ProbeError(ErrorKind.ConnectionClosed, $"connection to {Endpoint} failed {during} ({socket.SocketErrorCode})") { Phase = phase, Code = socket.SocketErrorCode.ToString(), Exception = exception },
                };
            }

            var error = exception is HttpRequestException http ? http.HttpRequestError : HttpRequestError.Unknown;
            return error switch
            {
                HttpRequestError.ResponseEnded => new ProbeError(ErrorKind.ConnectionClosed, $"{Endpoint} closed the connection {during}") { Phase = phase, Code = error.ToString(), Exception = exception },
                HttpRequestError.InvalidResponse or HttpRequestError.HttpProtocolError or HttpRequestError.ConfigurationLimitExceeded =>
                    new ProbeError(ErrorKind.ProtocolError, $"{Endpoint} did not answer with valid HTTP: {TlsSupport.Innermost(exception).Message}") { Phase = phase, Code = error.ToString(), Exception = exception },
                _ when exception is IOException && phase == "response" => new ProbeError(ErrorKind.ConnectionClosed, $"{Endpoint} cut the response body short: {TlsSupport.Innermost(exception).Message}") { Phase = phase, Code = error.ToString(), Exception = exception },
                _ => new ProbeError(ErrorKind.ProtocolError, $"HTTP exchange with {Endpoint} failed: {TlsSupport.Innermost(exception).Message}") { Phase = phase, Code = error.ToString(), Exception = exception },
            };
        }
    }
}
