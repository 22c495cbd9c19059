using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Running;
using Faultline.Probes.Net;
using StackExchange.Redis;

namespace Faultline.Probes.Redis;

/// <summary>
/// Probes one Redis server layer by layer: DNS and TCP itself (typed network failures), then a
/// dedicated StackExchange.Redis connection to the address that answered (TLS validated by
/// Faultline against the host name), PING, INFO, and optionally a SET with expiry.
/// </summary>
internal sealed class RedisProbe : IProbe
{
    public string Kind => TargetKinds.Redis;

    public string AttemptNoun => "connects";

    public Task<Observation> ProbeAsync(TargetSpec target, ProbeContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(context);
        return new RedisRun(target, context).ExecuteAsync(cancellationToken);
    }
}

/// <summary>The state of one probe run; not shared between runs.</summary>
internal sealed class RedisRun
{
    internal const double ClientsWarningRatio = 0.8;
    internal const double MemoryWarningRatio = 0.9;

    /// <summary>How long the probe's own key lives when <c>write: true</c>.</summary>
    internal static readonly TimeSpan WriteExpiry = TimeSpan.FromSeconds(30);

    internal const string WriteKeyPrefix = "faultline:probe:";

    private readonly TargetSpec _target;
    private readonly ProbeContext _context;
    private readonly TimeProvider _time;
    private readonly long _started;
    private readonly List<string> _warnings = [];

    private RedisSettings? _settings;
    private NetworkPreflight? _preflight;
    private TlsValidationRecorder? _recorder;
    private long? _connectStarted;
    private long? _tlsValidated;
    private ProbeError? _rejection;
    private double? _tlsMs;
    private double? _firstByteMs;
    private double? _transferMs;
    private CacheObservation _cache = new();

    public RedisRun(TargetSpec target, ProbeContext context)
    {
        _target = target;
        _context = context;
        _time = context.Time;
        _started = context.StartTimestamp();
    }

    private string Endpoint => _preflight?.Endpoint ?? "redis";

    public async Task<Observation> ExecuteAsync(CancellationToken cancellationToken)
    {
        if (!RedisConnectionString.TryParse(_target.ConnectionString, _target.Name, _context.Redactor, out var settings, out var parseError))
        {
            return Finish(parseError, "(invalid connection string)");
        }

        _settings = settings;
        _preflight = new NetworkPreflight(settings.Host, settings.Port, _context);
        var networkError = await _preflight.RunAsync(cancellationToken).ConfigureAwait(false);
        if (networkError is not null)
        {
            return Finish(networkError);
        }

        ConfigurationOptions options;
        try
        {
            options = BuildOptions(settings);
        }
        catch (ProbeException ex)
        {
            return Finish(ex.Error);
        }

        var (multiplexer, connectError) = await ConnectAsync(options, cancellationToken).ConfigureAwait(false);
        if (multiplexer is null)
        {
            return Finish(connectError);
        }

        await using (multiplexer.ConfigureAwait(false))
        {
            var commandsStarted = _time.GetTimestamp();
            var error = await CommandsAsync(multiplexer, cancellationToken).ConfigureAwait(false);
            _transferMs = NetworkPreflight.Ms(_time.GetElapsedTime(commandsStarted));
            return Finish(error);
        }
    }

    private ConfigurationOptions BuildOptions(RedisSettings settings)
    {
        var remainingMs = (int)Math.Clamp(Remaining().TotalMilliseconds, 1, int.MaxValue);
        var options = settings.Options.Clone();
        options.EndPoints.Clear();

        // The address that answered the TCP preflight; the host name stays the TLS identity.
        options.EndPoints.Add(new IPEndPoint(_preflight!.Address!, settings.Port));
        options.AbortOnConnectFail = true;
        options.ConnectRetry = 1;
        options.ConnectTimeout = remainingMs;
        options.SyncTimeout = remainingMs;
        options.AsyncTimeout = remainingMs;
        options.AllowAdmin = true; // CONFIG GET maxclients; the probe sends no other admin command
        options.ClientName = "faultline";
        options.TieBreaker = string.Empty;
        options.ConfigurationChannel = string.Empty;
        options.IncludeDetailInExceptions = false;
        options.ResolveDns = false;
        options.DefaultDatabase = settings.Database;
        if (settings.Ssl)
        {
            var spec = _target.Tls ?? new TlsSpec();
            _recorder = TlsSupport.CreateRecorder(settings.Host, spec, _time);
            options.SslHost = _recorder.ServerName;
            options.CertificateValidation += ValidateCertificate;
            if (TlsSupport.LoadClientCertificate(spec) is { } clientCertificate)
            {
                options.CertificateSelection += (_, _, _, _, _) => clientCertificate;
            }
        }

        return options;
    }

    private bool ValidateCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        _tlsValidated = _time.GetTimestamp();
        var recorder = _recorder!;
        var accept = recorder.Validate(certificate, chain, errors);
        if (!accept && recorder.Problems.Count > 0)
        {
            _rejection = recorder.Problems[0];
        }

        return accept;
    }

    private async Task<(ConnectionMultiplexer? Multiplexer, ProbeError? Error)> ConnectAsync(ConfigurationOptions options, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        _connectStarted = started;
        var connecting = ConnectionMultiplexer.ConnectAsync(options);
        try
        {
            var multiplexer = await connecting.WaitAsync(cancellationToken).ConfigureAwait(false);
            RecordConnectTimings(started);
            return (multiplexer, null);
        }
        catch (OperationCanceledException ex) when (!_context.IsCallerCancellation)
        {
            DisposeWhenDone(connecting);
            RecordConnectTimings(started);
            return (null, HandshakeTimeout(started, ex));
        }
        catch (OperationCanceledException)
        {
            DisposeWhenDone(connecting);
            throw;
        }
        catch (RedisConnectionException ex)
        {
            RecordConnectTimings(started);
            return (null, FromConnectionFailure(ex, started));
        }
        catch (RedisTimeoutException ex)
        {
            RecordConnectTimings(started);
            return (null, HandshakeTimeout(started, ex));
        }
        catch (RedisException ex)
        {
            RecordConnectTimings(started);
            return (null, FromRedis(ex, "the handshake", "auth"));
        }
    }

    /// <summary>A connect abandoned at the deadline still finishes (its own ConnectTimeout ends it); dispose what it yields.</summary>
    private static void DisposeWhenDone(Task<ConnectionMultiplexer> connecting) =>
        _ = connecting.ContinueWith(
            static task => task.Result.Dispose(),
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);

    private void RecordConnectTimings(long started)
    {
        var total = NetworkPreflight.Ms(_time.GetElapsedTime(started));
        if (_tlsValidated is { } validated)
        {
            _tlsMs = NetworkPreflight.Ms(_time.GetElapsedTime(started, validated));
        }

        _firstByteMs = Math.Max(0, Math.Round(total - (_tlsMs ?? 0), 3));
    }

    private ProbeError HandshakeTimeout(long started, Exception ex)
    {
        var waited = _time.GetElapsedTime(started);
        if (_recorder is not null && _tlsValidated is null)
        {
            return TlsSupport.TimeoutError(Endpoint, waited, ex);
        }

        return new ProbeError(ErrorKind.ReadTimeout, $"connected to {Endpoint}, but Redis did not complete the handshake (AUTH, PING) within {Durations.Describe(waited)}")
        {
            Phase = "auth",
            Code = "TIMEOUT",
            Exception = ex,
        };
    }

    private ProbeError FromConnectionFailure(RedisConnectionException ex, long started)
    {
        if (_rejection is not null)
        {
            return _rejection with { Exception = ex };
        }

        if (ex.FailureType == ConnectionFailureType.AuthenticationFailure || ExceptionChain.Find<RedisServerException>(ex) is { } server && IsAuthError(ServerText(server.Message)))
        {
            var serverText = ExceptionChain.Find<RedisServerException>(ex)?.Message is { } raw ? ServerText(raw) : null;
            var code = serverText is null ? "AUTH" : ErrorPrefix(serverText);
            var user = _settings?.Options.User is { Length: > 0 } u ? $"user '{u}'" : "the default user";
            var detail = serverText is null ? "authentication failed" : serverText.Trim();
            return new ProbeError(ErrorKind.CacheAuthFailed, $"Redis at {Endpoint} rejected the credentials of {user} ({detail})")
            {
                Phase = "auth",
                Code = code,
                Exception = ex,
            };
        }

        if (ExceptionChain.Find<AuthenticationException>(ex) is not null || (_recorder is not null && _tlsValidated is null && ex.FailureType != ConnectionFailureType.UnableToConnect))
        {
            return TlsSupport.ToProbeError(null, ex, Endpoint);
        }

        if (ExceptionChain.Find<SocketException>(ex) is { } socket)
        {
            return NetworkPreflight.FromSocket(socket, _preflight?.Describe(_preflight.Address) ?? Endpoint) with { Phase = "auth", Exception = ex };
        }

        return ex.FailureType switch
        {
            ConnectionFailureType.ProtocolFailure => new ProbeError(ErrorKind.ProtocolError, $"{Endpoint} does not speak the Redis protocol") { Phase = "auth", Code = ex.FailureType.ToString(), Exception = ex },
            ConnectionFailureType.SocketClosed or ConnectionFailureType.SocketFailure => new ProbeError(ErrorKind.ConnectionClosed, $"{Endpoint} closed the connection during the Redis handshake") { Phase = "auth", Code = ex.FailureType.ToString(), Exception = ex },
            ConnectionFailureType.Loading => new ProbeError(ErrorKind.CacheError, $"Redis at {Endpoint} is loading its dataset and not serving yet") { Phase = "auth", Code = "LOADING", Exception = ex },
            // The TCP preflight connected, so an unanswered handshake is the server not talking, not the network.
            ConnectionFailureType.UnableToConnect when _recorder is not null && _tlsValidated is null => TlsSupport.TimeoutError(Endpoint, _time.GetElapsedTime(started), ex),
            ConnectionFailureType.UnableToConnect => HandshakeTimeout(started, ex),
            _ => new ProbeError(ErrorKind.CacheError, $"Redis at {Endpoint} could not be used: {ex.FailureType}") { Phase = "auth", Code = ex.FailureType.ToString(), Exception = ex },
        };
    }

    private async Task<ProbeError?> CommandsAsync(ConnectionMultiplexer multiplexer, CancellationToken cancellationToken)
    {
        var endpoint = multiplexer.GetEndPoints()[0];
        var server = multiplexer.GetServer(endpoint);
        var database = multiplexer.GetDatabase(_settings!.Database);
        var command = "PING";
        try
        {
            var pingStarted = _time.GetTimestamp();
            await database.PingAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
            _cache = _cache with { PingMs = NetworkPreflight.Ms(_time.GetElapsedTime(pingStarted)) };

            command = "INFO";
            await ReadInfoAsync(server, cancellationToken).ConfigureAwait(false);

            if (_target.Write)
            {
                command = "SET";
                var key = WriteKeyPrefix + Guid.NewGuid().ToString("N");
                var value = _time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);
                await database.StringSetAsync(key, value, WriteExpiry, When.Always).WaitAsync(cancellationToken).ConfigureAwait(false);
                _cache = _cache with { WriteOk = true };
            }

            return null;
        }
        catch (OperationCanceledException ex) when (!_context.IsCallerCancellation)
        {
            return new ProbeError(ErrorKind.ReadTimeout, $"Redis at {Endpoint} did not answer {command} before the deadline") { Phase = PhaseOf(command), Code = "TIMEOUT", Exception = ex };
        }
        catch (RedisTimeoutException ex)
        {
            return new ProbeError(ErrorKind.ReadTimeout, $"Redis at {Endpoint} did not answer {command} in time") { Phase = PhaseOf(command), Code = "TIMEOUT", Exception = ex };
        }
        catch (RedisException ex)
        {
            if (command == "SET")
            {
                _cache = _cache with { WriteOk = false };
            }

            return FromRedis(ex, command, PhaseOf(command));
        }
    }

    private async Task ReadInfoAsync(IServer server, CancellationToken cancellationToken)
    {
        IGrouping<string, KeyValuePair<string, string>>[] sections;
        try
        {
            sections = await server.InfoAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RedisServerException ex)
        {
            // INFO may be denied by ACL or renamed on managed services; PING already proved the server works.
            _warnings.Add($"INFO is not available to this user ({ErrorPrefix(ServerText(ex.Message))}); clients and memory headroom unknown");
            return;
        }

        var info = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in sections.SelectMany(s => s))
        {
            info[pair.Key] = pair.Value;
        }

        var maxClients = Long(info, "maxclients");
        if (maxClients is null)
        {
            try
            {
                var config = await server.ConfigGetAsync("maxclients").WaitAsync(cancellationToken).ConfigureAwait(false);
                maxClients = config.Length > 0 && long.TryParse(config[0].Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) ? parsed : null;
            }
            catch (RedisException)
            {
                // CONFIG is often renamed or denied on managed Redis; maxclients then stays unknown.
                maxClients = null;
            }
        }

        _cache = _cache with
        {
            ServerVersion = info.GetValueOrDefault("redis_version"),
            Role = info.GetValueOrDefault("role"),
            ConnectedClients = Long(info, "connected_clients"),
            MaxClients = maxClients,
            UsedMemoryBytes = Long(info, "used_memory"),
            MaxMemoryBytes = Long(info, "maxmemory"),
        };
        _warnings.AddRange(HeadroomWarnings(_cache));
    }

    /// <summary>Clients at ≥ 80 % of maxclients; memory at ≥ 90 % of maxmemory (when maxmemory is set).</summary>
    internal static IEnumerable<string> HeadroomWarnings(CacheObservation cache)
    {
        if (cache is { ConnectedClients: { } clients, MaxClients: > 0 and var maxClients } && (double)clients / maxClients >= ClientsWarningRatio)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"{clients} of {maxClients} client connections in use ({Math.Round(100.0 * clients / maxClients)}%)");
        }

        if (cache is { UsedMemoryBytes: { } used, MaxMemoryBytes: > 0 and var maxMemory } && (double)used / maxMemory >= MemoryWarningRatio)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"memory {Bytes(used)} of maxmemory {Bytes(maxMemory)} in use ({Math.Round(100.0 * used / maxMemory)}%)");
        }
    }

    /// <summary>PING and INFO are the probe's query; SET is its write.</summary>
    private static string PhaseOf(string command) => command == "SET" ? "write" : "query";

    private ProbeError FromRedis(RedisException ex, string command, string phase)
    {
        if (ex is RedisConnectionException connection)
        {
            return ExceptionChain.Find<SocketException>(ex) is { } socket
                ? NetworkPreflight.FromSocket(socket, _preflight?.Describe(_preflight.Address) ?? Endpoint) with { Phase = phase, Exception = ex }
                : new ProbeError(ErrorKind.ConnectionClosed, $"the connection to Redis at {Endpoint} broke during {command} ({connection.FailureType})") { Phase = phase, Code = connection.FailureType.ToString(), Exception = ex };
        }

        return RedisErrors.FromServer(ex, Endpoint, command, phase);
    }

    /// <summary>The server's error line without the client library's RESP framing prefix.</summary>
    internal static string ServerText(string message) => RedisErrors.ServerText(message);

    private static bool IsAuthError(string message) => RedisErrors.IsAuthError(message);

    /// <summary>The leading upper-case word of a Redis error (OOM, READONLY, WRONGPASS, ERR, ...).</summary>
    internal static string ErrorPrefix(string message) => RedisErrors.ErrorPrefix(message);

    private static long? Long(Dictionary<string, string> info, string key) =>
        info.TryGetValue(key, out var text) && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;

    private static string Bytes(long value) => value switch
    {
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{Math.Round(value / (double)(1L << 30), 1)} GiB"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{Math.Round(value / (double)(1L << 20), 1)} MiB"),
        >= 1L << 10 => string.Create(CultureInfo.InvariantCulture, $"{Math.Round(value / (double)(1L << 10), 1)} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{value} B"),
    };

    private TimeSpan Remaining()
    {
        var remaining = _context.Timeout - _time.GetElapsedTime(_started);
        return remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero;
    }

    private Observation Finish(ProbeError? error, string? target = null)
    {
        var redactor = _context.Redactor;
        if (_recorder is { Called: true } recorder && error is null)
        {
            _warnings.AddRange(recorder.Warnings(TlsSupport.ExpiryWarningWindow));
        }

        return new Observation
        {
            Target = target ?? _settings!.Display,
            Connected = _preflight?.Connected ?? false,
            Elapsed = _time.GetElapsedTime(_started),
            Phases = new PhaseTimings
            {
                DnsMs = _preflight?.DnsMs,
                ConnectMs = _preflight?.ConnectMs,
                TlsMs = _tlsMs,
                FirstByteMs = _firstByteMs,
                TransferMs = _transferMs,
            },
            Error = error is null ? null : error with { Message = redactor.Redact(error.Message) },
            Addresses = _preflight?.Addresses ?? [],
            Tls = _recorder is { Called: true } r ? r.Snapshot(null, null) : null,
            Cache = _settings is null || _connectStarted is null ? null : _cache,
            Warnings = _warnings.Select(redactor.Redact).ToList(),
        };
    }
}
