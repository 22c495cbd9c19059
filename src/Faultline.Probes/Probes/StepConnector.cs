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
/// Opens the connections of a multi-step probe (a login request, then a WebSocket upgrade) through the
/// probe's resolver, timing dns, connect and tls in the <see cref="ProbeRun"/> and recording the
/// certificate. Plugged into <see cref="SocketsHttpHandler.ConnectCallback"/>; TLS is done here, so
/// requests reach the handler as plain http:// (see <see cref="WireUri"/>). After each connection the
/// run's phase returns to <see cref="Step"/>.
/// </summary>
internal sealed class StepConnector(TargetSpec target, ProbeContext context, ProbeRun run) : IAsyncDisposable
{
    private readonly List<Stream> _streams = [];
    private string? _protocol;
    private string? _cipherSuite;

    /// <summary>The step the probe is in (login, upgrade): the phase to return to once connected.</summary>
    public string Step { get; set; } = "request";

    /// <summary>Milliseconds spent in dns, connect and tls since <see cref="Begin"/>.</summary>
    public double ConnectionMs { get; private set; }

    /// <summary>Starts a step: its phase, URL and whether its connection speaks TLS.</summary>
    public void Begin(string step, Uri uri)
    {
        Step = step;
        Current = uri;
        UseTls = uri.Scheme is "https" or "wss";
        ConnectionMs = 0;
        run.Enter(step);
    }

    /// <summary>The URL of the current step, for messages.</summary>
    public Uri Current { get; set; } = null!;

    /// <summary>True when the current step's URL is https:// or wss://.</summary>
    public bool UseTls { get; set; }

    public TlsValidationRecorder? Recorder { get; private set; }

    public string Endpoint => TcpConnector.Endpoint(Current.IdnHost, Current.Port);

    /// <summary>The URL handed to the handler: http:// or ws:// with the real port (TLS is done in the callback).</summary>
    public static Uri WireUri(Uri uri, string plainScheme) =>
        new UriBuilder(uri) { Scheme = plainScheme, Port = uri.Port, UserName = string.Empty, Password = string.Empty }.Uri;

    /// <summary>The Host header for <paramref name="uri"/>, without the port when it is the scheme's default.</summary>
    public static string HostHeader(Uri uri) => uri.IsDefaultPort ? uri.IdnHost : $"{uri.IdnHost}:{uri.Port}";

    /// <summary>A handler that connects through this connector and never pools, proxies or redirects.</summary>
    public SocketsHttpHandler CreateHandler(DecompressionMethods decompression = DecompressionMethods.None) => new()
    {
        AutomaticDecompression = decompression,
        AllowAutoRedirect = false,
        UseProxy = false,
        UseCookies = false,
        PooledConnectionLifetime = TimeSpan.Zero,
        ConnectTimeout = Timeout.InfiniteTimeSpan,
        ResponseDrainTimeout = TimeSpan.Zero,
        ConnectCallback = ConnectAsync,
    };

    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext connection, CancellationToken cancellationToken)
    {
        var host = connection.DnsEndPoint.Host;
        var port = connection.DnsEndPoint.Port;
        var endpoint = TcpConnector.Endpoint(host, port);

        run.Enter("dns");
        var addresses = await context.Resolver.ResolveAsync(host, cancellationToken).ConfigureAwait(false);
        ConnectionMs += run.CompleteDns();
        run.Addresses = addresses.Select(a => a.ToString()).ToList();

        run.Enter("connect");
        var socket = await TcpConnector.ConnectAsync(addresses, port, cancellationToken).ConfigureAwait(false);
        ConnectionMs += run.CompleteConnect();
        run.Connected = true;
        Stream stream = new NetworkStream(socket, ownsSocket: true);
        Track(stream);

        if (UseTls)
        {
            run.Enter("tls");
            Recorder = TlsSupport.CreateRecorder(host, target.Tls, context.Time);
            var options = TlsSupport.CreateClientOptions(target.Tls, Recorder, [SslApplicationProtocol.Http11]);
            var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
            Track(ssl);
            try
            {
                await ssl.AuthenticateAsClientAsync(options, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is AuthenticationException or IOException)
            {
                ConnectionMs += run.CompleteTls();
                throw new ProbeException(TlsSupport.ToProbeError(Recorder, ex, endpoint));
            }

            ConnectionMs += run.CompleteTls();
            _protocol = TlsSupport.ProtocolName(ssl.SslProtocol);
            _cipherSuite = ssl.NegotiatedCipherSuite.ToString();
            stream = ssl;
        }

        run.Enter(Step);
        return stream;
    }

    public TlsObservation? TlsFacts() =>
        Recorder is { Called: true } recorder ? recorder.Snapshot(_protocol, _cipherSuite) : null;

    public IReadOnlyList<string> TlsWarnings() => Recorder?.Warnings(TlsSupport.ExpiryWarningWindow) ?? [];

    /// <summary>The error for the target's deadline in the current phase; <paramref name="events"/> describes the event phase.</summary>
    public ProbeError DeadlineError(Exception exception, Func<TimeSpan, ProbeError> events)
    {
        var waited = run.PhaseElapsed;
        return run.Phase switch
        {
            "dns" => HostResolvers.DeadlineError(Current.IdnHost, context.Resolver, waited, exception),
            "connect" => TcpConnector.DeadlineError(TcpProbe.ConnectTarget(run, Current.IdnHost, Current.Port), waited, exception),
            "tls" => TlsSupport.TimeoutError(Endpoint, waited, exception),
            "events" => events(waited) with { Exception = exception },
            "login" => new ProbeError(ErrorKind.ReadTimeout, $"connected to {Endpoint}, no answer to the login request within {Durations.Describe(waited)}") { Phase = "login", Exception = exception },
            "upgrade" => new ProbeError(ErrorKind.ReadTimeout, $"connected to {Endpoint}, no answer to the WebSocket upgrade within {Durations.Describe(waited)}") { Phase = "upgrade", Exception = exception },
            var phase => new ProbeError(ErrorKind.ReadTimeout, $"connected to {Endpoint}, no progress in phase {phase} within {Durations.Describe(waited)}") { Phase = phase, Exception = exception },
        };
    }

    /// <summary>The typed error for a failed HTTP exchange of the current step (connect failures come through as <see cref="ProbeException"/>).</summary>
    public ProbeError Failure(Exception exception)
    {
        if (TcpConnector.FindProbeException(exception) is { } probe)
        {
            return probe.Error;
        }

        var phase = Step;
        if (TcpConnector.FindSocketException(exception) is { } socket)
        {
            return socket.SocketErrorCode switch
            {
                SocketError.ConnectionReset or SocketError.NotConnected => new ProbeError(ErrorKind.ConnectionReset, $"{Endpoint} reset the connection during the {phase}") { Phase = phase, Code = socket.SocketErrorCode.ToString(), Exception = exception },
                _ => new ProbeError(ErrorKind.ConnectionClosed, $"connection to {Endpoint} failed during the {phase} ({socket.SocketErrorCode})") { Phase = phase, Code = socket.SocketErrorCode.ToString(), Exception = exception },
            };
        }

        var error = FindHttpError(exception);
        return error switch
        {
            HttpRequestError.ResponseEnded => new ProbeError(ErrorKind.ConnectionClosed, $"{Endpoint} closed the connection during the {phase} before answering") { Phase = phase, Code = error.ToString(), Exception = exception },
            HttpRequestError.InvalidResponse or HttpRequestError.HttpProtocolError or HttpRequestError.ConfigurationLimitExceeded =>
                new ProbeError(ErrorKind.ProtocolError, $"{Endpoint} did not answer the {phase} with valid HTTP: {TlsSupport.Innermost(exception).Message}") { Phase = phase, Code = error.ToString(), Exception = exception },
            _ => new ProbeError(ErrorKind.ProtocolError, $"the {phase} with {Endpoint} failed: {TlsSupport.Innermost(exception).Message}") { Phase = phase, Code = error?.ToString(), Exception = exception },
        };
    }

    /// <summary>Status, headers and at most <paramref name="maxBytes"/> of the body of a response, as an observation.</summary>
    public static async Task<HttpObservation> DescribeAsync(HttpResponseMessage response, int maxBytes, SecretRedactor redactor, CancellationToken cancellationToken)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in response.Headers.NonValidated.Concat(response.Content.Headers.NonValidated))
        {
            var joined = string.Join(", ", values);
            headers[name] = headers.TryGetValue(name, out var existing) ? existing + ", " + joined : joined;
        }

        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var buffer = new byte[Math.Max(0, maxBytes) + 1];
        var filled = 0;
        await using (stream.ConfigureAwait(false))
        {
            while (filled < buffer.Length)
            {
                var read = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                filled += read;
            }
        }

        return new HttpObservation
        {
            StatusCode = (int)response.StatusCode,
            ReasonPhrase = response.ReasonPhrase,
            Version = $"HTTP/{response.Version}",
            Headers = headers,
            Body = redactor.Redact(Encoding.UTF8.GetString(buffer, 0, Math.Min(filled, maxBytes))),
            BodyTruncated = filled > maxBytes,
        };
    }

    /// <summary>Adds request headers, falling back to content headers for names like Content-Type.</summary>
    public static void AddHeaders(HttpRequestMessage request, IReadOnlyDictionary<string, string> headers)
    {
        foreach (var (name, value) in headers)
        {
            if (!request.Headers.TryAddWithoutValidation(name, value) && request.Content is { } content)
            {
                content.Headers.Remove(name);
                content.Headers.TryAddWithoutValidation(name, value);
            }
        }
    }

    public static MediaTypeHeaderValue JsonContentType { get; } = new("application/json") { CharSet = "utf-8" };

    public async ValueTask DisposeAsync()
    {
        Stream[] streams;
        lock (_streams)
        {
            streams = [.. _streams];
            _streams.Clear();
        }

        foreach (var stream in streams.Reverse())
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void Track(Stream stream)
    {
        lock (_streams)
        {
            _streams.Add(stream);
        }
    }

    private static HttpRequestError? FindHttpError(Exception exception) => ExceptionChain.Find<HttpRequestException>(exception)?.HttpRequestError;
}
