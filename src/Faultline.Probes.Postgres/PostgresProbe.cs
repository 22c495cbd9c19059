using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Running;
using Faultline.Postgres;
using Faultline.Probes.Net;
using Npgsql;

namespace Faultline.Probes.Postgres;

/// <summary>
/// Probes one PostgreSQL server layer by layer: DNS and TCP itself (typed network failures) — or, for a
/// unix socket directory (Cloud SQL's <c>/cloudsql/PROJECT:REGION:INSTANCE</c>), the socket file and a
/// connection to it — then an unpooled Npgsql connection to the address that answered (TLS validated by
/// Faultline against the host name), the probe query, and the server's connection headroom.
/// </summary>
internal sealed class PostgresProbe : IProbe
{
    public string Kind => TargetKinds.Postgres;

    public string AttemptNoun => "connects";

    public Task<Observation> ProbeAsync(TargetSpec target, ProbeContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(context);
        return new PostgresRun(target, context).ExecuteAsync(cancellationToken);
    }
}

/// <summary>The state of one probe run; not shared between runs.</summary>
internal sealed class PostgresRun
{
    /// <summary>Share of usable connections in use at which the observation carries a warning.</summary>
    internal const double HeadroomWarningRatio = 0.8;

    internal const string DefaultQuery = "SELECT 1";

    /// <summary>
    /// One round trip for everything the observation reports besides the probe query. Connections in use
    /// are client backends (what <c>max_connections</c> limits); reserved slots are the superuser ones plus,
    /// from PostgreSQL 16, <c>reserved_connections</c>.
    /// </summary>
    internal const string FactsQuery = """
        SELECT current_setting('server_version'),
               current_setting('max_connections')::int,
               current_setting('superuser_reserved_connections')::int
                 + COALESCE(NULLIF(current_setting('reserved_connections', true), '')::int, 0),
               (SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend'),
               s.ssl, s.version, s.cipher
        FROM (SELECT 1) AS one LEFT JOIN pg_stat_ssl AS s ON s.pid = pg_backend_pid()
        """;

    private readonly TargetSpec _target;
    private readonly ProbeContext _context;
    private readonly TimeProvider _time;
    private readonly long _started;
    private readonly List<string> _warnings = [];

    private PostgresSettings? _settings;
    private NetworkPreflight? _preflight;
    private UnixSocketPreflight? _socket;
    private TlsValidationRecorder? _recorder;
    private bool _verify;
    private bool _verifyName;
    private long? _tlsStarted;
    private long? _tlsValidated;
    private ProbeError? _rejection;
    private double? _tlsMs;
    private double? _firstByteMs;
    private double? _transferMs;
    private DatabaseObservation _database = new();
    private string? _tlsProtocol;
    private string? _tlsCipher;

    public PostgresRun(TargetSpec target, ProbeContext context)
    {
        _target = target;
        _context = context;
        _time = context.Time;
        _started = context.StartTimestamp();
    }

    private string Endpoint => _socket?.Endpoint ?? _preflight?.Endpoint ?? "postgres";

    public async Task<Observation> ExecuteAsync(CancellationToken cancellationToken)
    {
        if (!PostgresConnectionString.TryParse(_target.ConnectionString, _target.Name, _context.Redactor, out var settings, out var parseError))
        {
            return Finish(parseError, "(invalid connection string)");
        }

        _settings = settings;
        ProbeError? networkError;
        if (settings.SocketDirectory is { } directory)
        {
            _socket = new UnixSocketPreflight(directory, settings.Port, _context);
            networkError = await _socket.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            _preflight = new NetworkPreflight(settings.Host, settings.Port, _context);
            networkError = await _preflight.RunAsync(cancellationToken).ConfigureAwait(false);
        }

        if (networkError is not null)
        {
            return Finish(networkError);
        }

        NpgsqlDataSource dataSource;
        try
        {
            dataSource = BuildDataSource(settings);
        }
        catch (ProbeException ex)
        {
            return Finish(ex.Error);
        }
        catch (ArgumentException ex)
        {
            return Finish(new ProbeError(ErrorKind.ConfigInvalid, $"connection settings for '{_target.Name}' are not usable: {ex.Message}") { Phase = "config", Exception = ex });
        }

        await using (dataSource.ConfigureAwait(false))
        {
            var connection = dataSource.CreateConnection();
            await using (connection.ConfigureAwait(false))
            {
                var error = await OpenAsync(connection, cancellationToken).ConfigureAwait(false)
                    ?? await QueryAsync(connection, cancellationToken).ConfigureAwait(false);
                // After a SQL error the session is still usable: version and headroom are still worth reporting.
                if (error is null || error.Kind == ErrorKind.DatabaseSqlError)
                {
                    await ReadFactsAsync(connection, cancellationToken).ConfigureAwait(false);
                }

                return Finish(error);
            }
        }
    }

    private NpgsqlDataSource BuildDataSource(PostgresSettings settings)
    {
        // Npgsql honours the cancellation token while connecting the socket but not while it waits for the
        // startup and authentication answers; there only its own Timeout (whole seconds) ends the wait. Rounded
        // up, not padded: a hung server then holds the probe at most a fraction of a second past its
        // deadline — within the runner's grace, so the probe ends itself instead of being abandoned running.
        var remaining = Remaining();
        var seconds = (int)Math.Clamp(Math.Ceiling(remaining.TotalSeconds), 1, 1024);
        var builder = new NpgsqlConnectionStringBuilder(settings.Builder.ConnectionString)
        {
            // The address that answered the TCP preflight (the host name stays the TLS identity), or the socket directory.
            Host = _socket is not null ? settings.Host : _preflight!.Address!.ToString(),
            Port = settings.Port,
            Pooling = false,
            Multiplexing = false,
            Enlist = false,
            Timeout = seconds,
            CommandTimeout = seconds,
            // On the deadline, break the connection at once instead of waiting for the server to confirm a cancel.
            CancellationTimeout = -1,
            IncludeErrorDetail = false,
            LogParameters = false,
            ApplicationName = settings.Builder.ApplicationName ?? "faultline",
            SslMode = settings.SslMode is SslMode.VerifyCA or SslMode.VerifyFull ? SslMode.Require : settings.SslMode,
        };

        var dataSourceBuilder = new NpgsqlDataSourceBuilder(builder.ConnectionString);

        // Over a socket the mode is disable, allow or prefer (the parser refuses the others): PostgreSQL answers N to
        // the SSLRequest, so there is no certificate to check.
        if (settings.SslMode != SslMode.Disable && _socket is null)
        {
            var spec = _target.Tls ?? new TlsSpec();
            var caFile = spec.CaFile ?? settings.RootCertificateFile;
            _verify = settings.SslMode is SslMode.VerifyCA or SslMode.VerifyFull || (caFile is not null && settings.SslMode == SslMode.Require);
            _verifyName = settings.SslMode == SslMode.VerifyFull || !string.IsNullOrWhiteSpace(spec.ServerName);
            _recorder = TlsSupport.CreateRecorder(settings.Host, spec with { CaFile = caFile }, _time);
            var clientCertificate = TlsSupport.LoadClientCertificate(spec);
            var recorder = _recorder;
            dataSourceBuilder.UseSslClientAuthenticationOptionsCallback(options =>
            {
                _tlsStarted = _time.GetTimestamp();
                options.TargetHost = recorder.ServerName;
                options.RemoteCertificateValidationCallback = ValidateCertificate;
                options.CertificateRevocationCheckMode = X509RevocationMode.NoCheck;
                if (clientCertificate is not null)
                {
                    options.ClientCertificates = new X509CertificateCollection { clientCertificate };
                }
            });
        }

        return dataSourceBuilder.Build();
    }

    private bool ValidateCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        _tlsValidated = _time.GetTimestamp();
        var recorder = _recorder!;
        recorder.Validate(certificate, chain, errors);

        // libpq semantics: prefer/require encrypt without verifying; verify-ca checks the chain; verify-full also the name.
        if (!_verify || recorder.Insecure)
        {
            return true;
        }

        var blocking = recorder.Problems.FirstOrDefault(p => _verifyName || p.Kind != ErrorKind.TlsNameMismatch);
        if (blocking is null)
        {
            return true;
        }

        _rejection = blocking;
        return false;
    }

    private async Task<ProbeError?> OpenAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var opened = _time.GetTimestamp();
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            RecordOpenTimings(opened);
            _database = _database with { Authenticated = true };
            return null;
        }
        catch (OperationCanceledException ex) when (!_context.IsCallerCancellation)
        {
            RecordOpenTimings(opened);
            return StartupTimeout(opened, ex);
        }
        catch (PostgresException ex)
        {
            RecordOpenTimings(opened);
            return FromServer(ex, "auth");
        }
        catch (NpgsqlException ex)
        {
            RecordOpenTimings(opened);
            return FromClient(ex, opened);
        }
        catch (ArgumentException ex)
        {
            RecordOpenTimings(opened);
            return new ProbeError(ErrorKind.ConfigInvalid, $"connection settings for '{_target.Name}' are not usable: {ex.Message}") { Phase = "config", Exception = ex };
        }
    }

    private void RecordOpenTimings(long opened)
    {
        var total = NetworkPreflight.Ms(_time.GetElapsedTime(opened));
        if (_tlsStarted is { } tlsStarted)
        {
            var tlsEnd = _tlsValidated ?? _time.GetTimestamp();
            _tlsMs = NetworkPreflight.Ms(_time.GetElapsedTime(tlsStarted, tlsEnd));
        }

        _firstByteMs = Math.Max(0, Math.Round(total - (_tlsMs ?? 0), 3));
    }

    private ProbeError StartupTimeout(long opened, Exception ex)
    {
        var waited = _time.GetElapsedTime(opened);
        if (_tlsStarted is not null && _tlsValidated is null)
        {
            return TlsSupport.TimeoutError(Endpoint, waited, ex);
        }

        return new ProbeError(ErrorKind.ReadTimeout, $"connected to {Endpoint}, but PostgreSQL did not finish startup and authentication within {Durations.Describe(waited)}")
        {
            Phase = "auth",
            Code = "TIMEOUT",
            Exception = ex,
        };
    }

    private ProbeError FromServer(PostgresException ex, string phase)
    {
        _database = _database with { SqlState = ex.SqlState };
        var error = PostgresErrors.FromServer(ex, Endpoint, phase, _settings?.Username, _settings?.Database);
        return phase == "query" && error.Kind == ErrorKind.DatabaseSqlError
            ? error with { Message = $"the probe query failed on {Endpoint} with {ex.SqlState}: {ex.MessageText}" }
            : error;
    }

    private ProbeError FromClient(NpgsqlException ex, long opened)
    {
        if (_rejection is not null)
        {
            return _rejection with { Exception = ex };
        }

        if (ExceptionChain.Find<TimeoutException>(ex) is not null)
        {
            return StartupTimeout(opened, ex);
        }

        if (ExceptionChain.Find<AuthenticationException>(ex) is not null || (_tlsStarted is not null && _tlsValidated is null))
        {
            return TlsSupport.ToProbeError(null, ex, Endpoint);
        }

        if (ExceptionChain.Find<SocketException>(ex) is { } socket)
        {
            var error = _socket is not null
                ? _socket.FromSocket(socket)
                : NetworkPreflight.FromSocket(socket, _preflight?.Describe(_preflight.Address) ?? Endpoint);
            return error with { Phase = "auth", Exception = ex };
        }

        if (ex.Message.Contains("No SSL enabled connection", StringComparison.Ordinal))
        {
            return new ProbeError(ErrorKind.TlsHandshakeFailed, $"{Endpoint} does not accept TLS, but sslmode={_settings?.SslModeName} requires it (the server answered N to SSLRequest)")
            {
                Phase = "tls",
                Code = "SSL_NOT_SUPPORTED",
                Exception = ex,
            };
        }

        if (ExceptionChain.Find<EndOfStreamException>(ex) is not null || ExceptionChain.Find<IOException>(ex) is not null)
        {
            return new ProbeError(ErrorKind.ConnectionClosed, $"{Endpoint} closed the connection during PostgreSQL startup") { Phase = "auth", Exception = ex };
        }

        return new ProbeError(ErrorKind.ProtocolError, $"{Endpoint} did not complete a PostgreSQL startup: {ex.Message}") { Phase = "auth", Exception = ex };
    }

    private async Task<ProbeError?> QueryAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var query = string.IsNullOrWhiteSpace(_target.Query) ? DefaultQuery : _target.Query;
        var started = _time.GetTimestamp();
        try
        {
            var command = connection.CreateCommand();
            await using (command.ConfigureAwait(false))
            {
                command.CommandText = query;
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            return null;
        }
        catch (OperationCanceledException ex) when (!_context.IsCallerCancellation)
        {
            var waited = _time.GetElapsedTime(started);
            return new ProbeError(ErrorKind.ReadTimeout, $"the probe query on {Endpoint} did not complete within {Durations.Describe(waited)}") { Phase = "query", Code = "TIMEOUT", Exception = ex };
        }
        catch (PostgresException ex)
        {
            return FromServer(ex, "query");
        }
        catch (NpgsqlException ex)
        {
            return new ProbeError(ErrorKind.ConnectionClosed, $"the connection to {Endpoint} broke during the probe query: {ex.Message}") { Phase = "query", Exception = ex };
        }
        finally
        {
            _transferMs = NetworkPreflight.Ms(_time.GetElapsedTime(started));
            _database = _database with { QueryMs = _transferMs };
        }
    }

    private async Task ReadFactsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        try
        {
            var command = connection.CreateCommand();
            await using (command.ConfigureAwait(false))
            {
                command.CommandText = FactsQuery;
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        return;
                    }

                    var max = reader.GetInt32(1);
                    var reserved = reader.GetInt32(2);
                    var inUse = reader.GetInt32(3);
                    _database = _database with
                    {
                        ServerVersion = reader.GetString(0),
                        MaxConnections = max,
                        ReservedConnections = reserved,
                        ConnectionsInUse = inUse,
                        TlsUsed = !reader.IsDBNull(4) && reader.GetBoolean(4),
                    };
                    _tlsProtocol = reader.IsDBNull(5) ? null : reader.GetString(5);
                    _tlsCipher = reader.IsDBNull(6) ? null : reader.GetString(6);
                    if (HeadroomWarning(inUse, max, reserved) is { } warning)
                    {
                        _warnings.Add(warning);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (!_context.IsCallerCancellation)
        {
            _warnings.Add($"server version and connection headroom were not read: the deadline passed after the probe query succeeded");
        }
        catch (NpgsqlException ex)
        {
            var detail = ex is PostgresException pg ? $"{pg.SqlState}: {pg.MessageText}" : ex.Message;
            _warnings.Add($"server version and connection headroom could not be read ({detail})");
        }
    }

    /// <summary>"34 of 37 usable connections in use (92%)" when in-use / (max − reserved) ≥ 80 %.</summary>
    internal static string? HeadroomWarning(int inUse, int max, int reserved)
    {
        var usable = max - reserved;
        if (usable <= 0)
        {
            return null;
        }

        var ratio = (double)inUse / usable;
        return ratio >= HeadroomWarningRatio
            ? string.Create(CultureInfo.InvariantCulture, $"{inUse} of {usable} usable connections in use ({Math.Round(ratio * 100)}%; max_connections {max}, {reserved} reserved)")
            : null;
    }

    private TimeSpan Remaining()
    {
        var remaining = _context.Timeout - _time.GetElapsedTime(_started);
        return remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero;
    }

    private Observation Finish(ProbeError? error, string? target = null)
    {
        var redactor = _context.Redactor;
        if (_recorder is { Called: true } recorder && _verify && error is null)
        {
            _warnings.AddRange(recorder.Warnings(TlsSupport.ExpiryWarningWindow));
        }

        var tlsUsed = _database.TlsUsed ?? (_tlsStarted is not null ? true : null);
        return new Observation
        {
            Target = target ?? _settings!.Display,
            Connected = _socket?.Connected ?? _preflight?.Connected ?? false,
            Elapsed = _time.GetElapsedTime(_started),
            Phases = new PhaseTimings
            {
                DnsMs = _preflight?.DnsMs,
                ConnectMs = _socket?.ConnectMs ?? _preflight?.ConnectMs,
                TlsMs = _tlsMs,
                FirstByteMs = _firstByteMs,
                TransferMs = _transferMs,
            },
            Error = error is null ? null : error with { Message = redactor.Redact(error.Message) },
            Addresses = _preflight?.Addresses ?? [],
            Tls = _recorder is { Called: true } r ? r.Snapshot(_tlsProtocol, _tlsCipher) : null,
            Database = _settings is null ? null : _database with { TlsUsed = tlsUsed },
            Warnings = _warnings.Select(redactor.Redact).ToList(),
        };
    }
}
