using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Running;

namespace Faultline.Probes.Probes;

/// <summary>
/// A real WebSocket exchange: an optional login (POST JSON, token from a JSON path), the upgrade with
/// <see cref="ClientWebSocket"/> (ws or wss, the target's headers, the token as a bearer), one message
/// sent, then events read until the expected ordered list is satisfied or the deadline passes. Records
/// each event and its latency since the send, the events missing, and the last message (the answer).
/// A refused upgrade or login keeps its status, headers and body, so proxy pages are recognised.
/// </summary>
internal sealed class WebSocketProbe() : TimedProbe(TargetKinds.WebSocket, "sessions")
{
    /// <summary>At most this many events are recorded.</summary>
    public const int MaxEvents = 500;

    /// <summary>A message longer than this is cut (and still counted).</summary>
    public const int MaxMessageBytes = 1024 * 1024;

    /// <summary>How much of a refused upgrade's or a login's body is kept.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    private static readonly TimeSpan CloseWait = TimeSpan.FromSeconds(1);

    private static readonly string[] SecretWords = ["pass", "secret", "token", "key", "credential"];

    protected override async Task<Observation> ObserveAsync(TargetSpec target, ProbeContext context, ProbeRun run, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(target.Url, UriKind.Absolute, out var uri) || uri.Scheme is not ("ws" or "wss"))
        {
            return run.Observe(target.Url is null ? "(no url)" : HttpProbe.DisplayUrl(target.Url), ProbeErrors.Config($"websocket target {target.Name} needs an absolute ws:// or wss:// url"));
        }

        var display = HttpProbe.DisplayUrl(uri);
        var exchange = new Exchange(target);
        var connector = new StepConnector(target, context, run) { Current = uri };
        await using (connector.ConfigureAwait(false))
        {
            ProbeError? error;
            try
            {
                error = await RunAsync(target, uri, context, run, connector, exchange, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException ex) when (!context.IsCallerCancellation && cancellationToken.IsCancellationRequested)
            {
                error = connector.DeadlineError(ex, waited => exchange.MissingError(waited));
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or SocketException or ProbeException or WebSocketException)
            {
                error = run.Phase == "events" ? exchange.ClosedError(connector.Endpoint, ex) : connector.Failure(ex);
            }

            if (run.Phase == "events")
            {
                run.CompleteTransfer();
            }

            return run.Observe(display, error) with
            {
                Http = exchange.Http,
                Tls = connector.TlsFacts(),
                WebSocket = exchange.Snapshot(context.Redactor),
                Warnings = connector.TlsWarnings(),
            };
        }
    }

    private static async Task<ProbeError?> RunAsync(TargetSpec target, Uri uri, ProbeContext context, ProbeRun run, StepConnector connector, Exchange exchange, CancellationToken cancellationToken)
    {
        string? token = null;
        if (target.Login is { } login)
        {
            var (loginError, loginToken) = await LoginAsync(login, context, run, connector, exchange, cancellationToken).ConfigureAwait(false);
            if (loginError is not null)
            {
                return loginError;
            }

            token = loginToken;
        }

        connector.Begin("upgrade", uri);
        var upgradeStarted = run.Timestamp();
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        socket.Options.SetRequestHeader("Host", StepConnector.HostHeader(uri));
        foreach (var (name, value) in target.Headers)
        {
            socket.Options.SetRequestHeader(name, value);
        }

        if (token is not null)
        {
            socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
        }

        using var capture = new UpgradeCapture(connector.CreateHandler(), context.Redactor);
        using var invoker = new HttpMessageInvoker(capture, disposeHandler: false);
        try
        {
            // TLS is done in the connect callback, so the socket is handed ws:// with the real port.
            await socket.ConnectAsync(StepConnector.WireUri(uri, "ws"), invoker, cancellationToken).ConfigureAwait(false);
        }
        catch (WebSocketException ex) when (capture.Refused is { } refused)
        {
            exchange.Http = refused;
            var reason = string.IsNullOrEmpty(refused.ReasonPhrase) ? string.Empty : " " + refused.ReasonPhrase;
            return new ProbeError(ErrorKind.UnexpectedStatus, string.Create(CultureInfo.InvariantCulture, $"{connector.Endpoint} refused the WebSocket upgrade: HTTP {refused.StatusCode}{reason}"))
            {
                Phase = "upgrade",
                Code = refused.StatusCode.ToString(CultureInfo.InvariantCulture),
                Exception = ex,
            };
        }
        catch (WebSocketException ex) when (capture.Upgraded && Net.TcpConnector.FindProbeException(ex) is null && Net.TcpConnector.FindSocketException(ex) is null)
        {
            return new ProbeError(ErrorKind.ProtocolError, $"{connector.Endpoint} answered 101 but not with a valid WebSocket handshake: {ex.Message}") { Phase = "upgrade", Code = ex.WebSocketErrorCode.ToString(), Exception = ex };
        }

        run.AddFirstByte(run.MillisecondsSince(upgradeStarted) - connector.ConnectionMs);
        exchange.Http = new HttpObservation
        {
            StatusCode = (int)socket.HttpStatusCode,
            ReasonPhrase = "Switching Protocols",
            Version = "HTTP/1.1",
            Headers = socket.HttpResponseHeaders?.ToDictionary(h => h.Key, h => string.Join(", ", h.Value), StringComparer.OrdinalIgnoreCase)
                ?? new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase),
        };
        exchange.SubProtocol = socket.SubProtocol;

        connector.Step = "send";
        run.Enter("send");
        if (target.Send is { } message)
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(message), WebSocketMessageType.Text, endOfMessage: true, cancellationToken).ConfigureAwait(false);
            exchange.Sent = true;
        }

        exchange.SentAt = run.Timestamp();
        if (target.Expect.Count > 0)
        {
            run.Enter("events");
            var error = await ReadEventsAsync(socket, target, context, run, connector, exchange, cancellationToken).ConfigureAwait(false);
            if (error is not null)
            {
                await CloseAsync(socket, context).ConfigureAwait(false);
                return error;
            }

            run.CompleteTransfer();
        }

        run.Enter("close");
        await CloseAsync(socket, context).ConfigureAwait(false);
        return null;
    }

    private static async Task<(ProbeError? Error, string? Token)> LoginAsync(LoginSpec login, ProbeContext context, ProbeRun run, StepConnector connector, Exchange exchange, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(login.Url, UriKind.Absolute, out var loginUri) || loginUri.Scheme is not ("http" or "https"))
        {
            return (ProbeErrors.Config("login.url must be an absolute http:// or https:// URL") with { Phase = "login" }, null);
        }

        var body = login.Body ?? "{}";
        AddBodySecrets(body, context.Redactor);
        connector.Begin("login", loginUri);
        var display = HttpProbe.DisplayUrl(loginUri);
        using var handler = connector.CreateHandler();
        using var client = new HttpClient(handler, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
        using var request = new HttpRequestMessage(HttpMethod.Post, StepConnector.WireUri(loginUri, "http"))
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new StringContent(body, Encoding.UTF8),
        };
        request.Content.Headers.ContentType = StepConnector.JsonContentType;
        request.Headers.Host = StepConnector.HostHeader(loginUri);
        StepConnector.AddHeaders(request, login.Headers);

        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        var http = await StepConnector.DescribeAsync(response, MaxBodyBytes, context.Redactor, cancellationToken).ConfigureAwait(false);
        string? token = null;
        var shape = string.Empty;
        if (http.StatusCode is >= 200 and <= 299)
        {
            token = ReadToken(http.Body, login.TokenPath, out shape);
        }

        // Tokens, passwords and keys the login answered with stay out of the report, wherever they sit.
        AddBodySecrets(http.Body, context.Redactor);
        context.Redactor.Add(token);
        http = http with { Body = context.Redactor.Redact(http.Body) };
        if (http.StatusCode is < 200 or > 299)
        {
            exchange.Http = http;
            var reason = string.IsNullOrEmpty(http.ReasonPhrase) ? string.Empty : " " + http.ReasonPhrase;
            return (new ProbeError(ErrorKind.UnexpectedStatus, string.Create(CultureInfo.InvariantCulture, $"login at {display} failed: HTTP {http.StatusCode}{reason}"))
            {
                Phase = "login",
                Code = http.StatusCode.ToString(CultureInfo.InvariantCulture),
            }, null);
        }

        if (token is null)
        {
            exchange.Http = http;
            return (ProbeErrors.Config($"login at {display} answered HTTP {http.StatusCode.ToString(CultureInfo.InvariantCulture)} without a string at {login.TokenPath} ({shape}); correct login.token or the login endpoint") with { Phase = "login" }, null);
        }

        exchange.LoggedIn = true;
        return (null, token);
    }

    private static string? ReadToken(string body, string path, out string shape)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            shape = root.ValueKind == JsonValueKind.Object
                ? "fields: " + string.Join(", ", root.EnumerateObject().Take(8).Select(p => p.Name))
                : $"the body is a JSON {root.ValueKind.ToString().ToLowerInvariant()}";
            return JsonPath.Select(root, path) is { ValueKind: JsonValueKind.String } found && found.GetString() is { Length: > 0 } token ? token : null;
        }
        catch (JsonException)
        {
            shape = "the body is not JSON";
            return null;
        }
    }

    /// <summary>Values of body fields named like a password, secret, token or key are kept out of every output.</summary>
    private static void AddBodySecrets(string body, SecretRedactor redactor)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            Walk(document.RootElement, null);
        }
        catch (JsonException)
        {
            // A body written as a plain string has no named fields to protect; it is never printed either.
        }

        void Walk(JsonElement element, string? name)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    foreach (var property in element.EnumerateObject())
                    {
                        Walk(property.Value, property.Name);
                    }

                    break;
                case JsonValueKind.Array:
                    foreach (var item in element.EnumerateArray())
                    {
                        Walk(item, name);
                    }

                    break;
                case JsonValueKind.String when name is not null && SecretWords.Any(w => name.Contains(w, StringComparison.OrdinalIgnoreCase)):
                    redactor.Add(element.GetString());
                    break;
            }
        }
    }

    private static async Task<ProbeError?> ReadEventsAsync(ClientWebSocket socket, TargetSpec target, ProbeContext context, ProbeRun run, StepConnector connector, Exchange exchange, CancellationToken cancellationToken)
    {
        using var deadline = target.Deadline is { } d ? new CancellationTokenSource(d, context.Time) : new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            using var message = new MemoryStream();
            while (!exchange.Sequence.Satisfied)
            {
                ValueWebSocketReceiveResult received;
                try
                {
                    received = await socket.ReceiveAsync(buffer.AsMemory(), linked.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException ex) when (deadline.IsCancellationRequested && !context.IsCallerCancellation)
                {
                    return exchange.MissingError(run.PhaseElapsed) with { Exception = ex };
                }

                if (received.MessageType == WebSocketMessageType.Close)
                {
                    exchange.CloseStatus = socket.CloseStatus is { } status ? $"{(int)status} {status}" : "none";
                    exchange.CloseDescription = socket.CloseStatusDescription;
                    return exchange.ClosedError(connector.Endpoint, null);
                }

                if (message.Length + received.Count <= MaxMessageBytes)
                {
                    message.Write(buffer, 0, received.Count);
                }

                if (!received.EndOfMessage)
                {
                    continue;
                }

                var text = Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length);
                message.SetLength(0);
                var violation = exchange.Record(text, run.MillisecondsSince(exchange.SentAt));
                if (violation is not null)
                {
                    return new ProbeError(ErrorKind.EventOutOfOrder, $"{violation} (expected order: {string.Join(", ", target.Expect)})") { Phase = "events" };
                }
            }

            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Ends the exchange politely: a close frame, and a short wait for the server's.</summary>
    private static async Task CloseAsync(ClientWebSocket socket, ProbeContext context)
    {
        if (socket.State != WebSocketState.Open)
        {
            return;
        }

        using var wait = new CancellationTokenSource(CloseWait, context.Time);
        try
        {
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "faultline done", wait.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            // The observation is complete; a server that drops the socket on close changes nothing in it.
            socket.Abort();
        }
    }

    /// <summary>The state of one exchange: what arrived, when, and the responses worth keeping.</summary>
    private sealed class Exchange(TargetSpec target)
    {
        private readonly List<WebSocketEvent> _events = [];
        private string? _lastMessage;
        private int _received;

        public EventSequence Sequence { get; } = new(target.Expect);

        public HttpObservation? Http { get; set; }

        public string? SubProtocol { get; set; }

        public bool LoggedIn { get; set; }

        public bool Sent { get; set; }

        public long SentAt { get; set; }

        public string? CloseStatus { get; set; }

        public string? CloseDescription { get; set; }

        /// <summary>Records a message; returns the order violation it causes, if any.</summary>
        public string? Record(string text, double latencyMs)
        {
            _received++;
            _lastMessage = text;
            var name = EventName(text, target.EventField);
            if (_events.Count < MaxEvents)
            {
                _events.Add(new WebSocketEvent(name, Math.Round(latencyMs, 3), Sequence.IsExpected(name)));
            }

            return Sequence.Observe(name);
        }

        public ProbeError MissingError(TimeSpan waited)
        {
            var missing = Sequence.Missing;
            var arrived = _events.Where(e => e.Expected).Select(e => e.Name).ToList();
            var what = missing.Count == 1 ? $"{missing[0]} did not arrive" : $"{missing.Count} expected events did not arrive ({string.Join(", ", missing)})";
            var since = Sent ? "of sending the message" : "of opening the socket";
            var seen = arrived.Count > 0 ? $"; arrived: {string.Join(", ", arrived)}" : $"; {_received.ToString(CultureInfo.InvariantCulture)} messages, none expected";
            return new ProbeError(ErrorKind.ReadTimeout, $"{what} within {Durations.Describe(waited)} {since}{seen}") { Phase = "events", Code = "MISSING:" + string.Join(",", missing) };
        }

        public ProbeError ClosedError(string endpoint, Exception? exception)
        {
            var missing = Sequence.Missing;
            var before = missing.Count > 0 ? $" before {missing[0]} arrived" : string.Empty;
            var how = CloseStatus is { } status
                ? $"{endpoint} closed the WebSocket ({status}{(string.IsNullOrEmpty(CloseDescription) ? string.Empty : ": " + CloseDescription)}){before}"
                : $"{endpoint} dropped the connection without a close frame{before}";
            return new ProbeError(ErrorKind.ConnectionClosed, how) { Phase = "events", Code = CloseStatus?.Split(' ')[0], Exception = exception };
        }

        public WebSocketObservation Snapshot(SecretRedactor redactor) => new()
        {
            SubProtocol = SubProtocol,
            LoggedIn = LoggedIn,
            Sent = Sent,
            Events = [.. _events],
            Expected = target.Expect,
            Missing = Sequence.Missing,
            Answer = _lastMessage is null ? null : redactor.Redact(_lastMessage),
            CloseStatus = CloseStatus,
            CloseDescription = CloseDescription is null ? null : redactor.Redact(CloseDescription),
        };

        private static string? EventName(string text, string field)
        {
            var trimmed = text.AsSpan().TrimStart();
            if (trimmed.Length == 0 || trimmed[0] != '{')
            {
                return null;
            }

            try
            {
                using var document = JsonDocument.Parse(text);
                return document.RootElement.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
            }
            catch (JsonException)
            {
                return null;
            }
        }
    }

    /// <summary>
    /// Sits between <see cref="ClientWebSocket"/> and the handler: when the server answers the upgrade with
    /// anything but 101, keeps the status, headers and body (ClientWebSocket only reports the status).
    /// </summary>
    private sealed class UpgradeCapture(HttpMessageHandler inner, SecretRedactor redactor) : DelegatingHandler(inner)
    {
        public HttpObservation? Refused { get; private set; }

        public bool Upgraded { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.SwitchingProtocols)
            {
                Upgraded = true;
                return response;
            }

            Refused = await StepConnector.DescribeAsync(response, MaxBodyBytes, redactor, cancellationToken).ConfigureAwait(false);
            return response;
        }
    }
}
