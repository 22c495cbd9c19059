using System.Net.Sockets;
using Faultline.Core.Model;
using Faultline.Core.Running;
using Faultline.Postgres;
using Faultline.Probes.Net;

namespace Faultline.Probes.Postgres;

/// <summary>
/// The transport check for a postgres target on a unix socket (<c>Host=/cloudsql/PROJECT:REGION:INSTANCE</c>), in
/// place of DNS and TCP: the socket directory exists, holds <c>.s.PGSQL.PORT</c>, that is a socket, and it accepts a
/// connection (opened and closed again before Npgsql runs). Each answer is typed:
/// <list type="bullet">
/// <item>directory or socket file absent, or something else than a socket at the socket's path → <c>socket-missing</c>
/// (nothing reached the database; on Cloud Run: the instance is not attached to the service);</item>
/// <item>a socket nobody accepts on (left behind by a server or proxy that stopped) → <c>connection-refused</c>;</item>
/// <item><c>Host</c> naming a file rather than a directory, or a path this process may not use → <c>config-invalid</c>.</item>
/// </list>
/// </summary>
internal sealed class UnixSocketPreflight
{
    /// <summary>Where the Cloud SQL proxy of Cloud Run (and the Auth Proxy's usual <c>--unix-socket</c>) puts instance directories.</summary>
    internal const string CloudSqlRoot = "/cloudsql/";

    private const int MaxListed = 3;

    private const string NotASocket = "ENOTSOCK";

    private readonly ProbeContext _context;

    public UnixSocketPreflight(string directory, int port, ProbeContext context)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(context);
        Directory = directory;
        Port = port;
        SocketPath = PostgresConnectionString.SocketPath(directory, port);
        _context = context;
    }

    /// <summary>The socket directory, as the connection string names it.</summary>
    public string Directory { get; }

    public int Port { get; }

    /// <summary><c>DIR/.s.PGSQL.PORT</c>.</summary>
    public string SocketPath { get; }

    /// <summary><c>unix:DIR/.s.PGSQL.PORT</c>.</summary>
    public string Endpoint => "unix:" + SocketPath;

    public double? ConnectMs { get; private set; }

    /// <summary>True once the socket accepted a connection.</summary>
    public bool Connected { get; private set; }

    /// <summary>
    /// Checks the path and connects. Returns null when the socket accepted a connection (closed again), else the typed
    /// error. The deadline (<paramref name="cancellationToken"/> firing without <see cref="ProbeContext.IsCallerCancellation"/>)
    /// becomes connect-timeout; only a caller cancellation throws.
    /// </summary>
    public async Task<ProbeError?> RunAsync(CancellationToken cancellationToken)
    {
        var time = _context.Time;
        var started = time.GetTimestamp();
        try
        {
            var problem = CheckPath();
            if (problem is not null)
            {
                return problem;
            }

            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath), cancellationToken).ConfigureAwait(false);
            Connected = true;
            socket.Shutdown(SocketShutdown.Both);
            return null;
        }
        catch (SocketException ex)
        {
            return FromSocket(ex);
        }
        catch (OperationCanceledException ex) when (!_context.IsCallerCancellation)
        {
            return new ProbeError(ErrorKind.ConnectTimeout, $"{Endpoint} did not accept the connection within {Durations.Describe(time.GetElapsedTime(started))} (its listen queue is full, or whatever owns the socket is stuck)")
            {
                Phase = "connect",
                Code = "TIMEOUT",
                Exception = ex,
            };
        }
        finally
        {
            ConnectMs = NetworkPreflight.Ms(time.GetElapsedTime(started));
        }
    }

    /// <summary>The typed error for a failure to connect to the socket (here, or later when Npgsql connects).</summary>
    public ProbeError FromSocket(SocketException exception) => FromSocket(exception, SocketPath);

    /// <summary>
    /// The typed error for a failure to connect to the unix socket <paramref name="socketPath"/> (<c>DIR/.s.PGSQL.PORT</c>):
    /// refused → connection-refused, absent → socket-missing, not permitted → config-invalid.
    /// </summary>
    public static ProbeError FromSocket(SocketException exception, string socketPath)
    {
        ArgumentNullException.ThrowIfNull(exception);
        ArgumentNullException.ThrowIfNull(socketPath);
        return exception.SocketErrorCode switch
        {
            SocketError.ConnectionRefused => new ProbeError(ErrorKind.ConnectionRefused, $"nothing listening on unix:{socketPath} (connection refused): the socket file is there, but no server or proxy accepts on it (one that stopped left it behind)")
            {
                Phase = "connect",
                Code = nameof(SocketError.ConnectionRefused),
                Exception = exception,
            },

            // ENOENT: no socket file (here: it went away between the check and the connect).
            SocketError.AddressNotAvailable => Missing(socketPath, $"{socketPath} does not exist") with { Exception = exception },
            SocketError.AccessDenied => Denied(socketPath) with { Exception = exception },
            _ => NetworkPreflight.FromSocket(exception, "unix:" + socketPath),
        };
    }

    private ProbeError? CheckPath()
    {
        switch (UnixFileTypes.Of(Directory))
        {
            case UnixFileType.Missing:
                return Missing(SocketPath, $"{Directory} does not exist{Siblings()}");
            case UnixFileType.AccessDenied:
                return Denied(Directory);
            case UnixFileType.Socket:
                return NotADirectory($"is the socket file itself; give the directory that holds it ({Parent(Directory)}), Npgsql adds /.s.PGSQL.PORT");
            case UnixFileType.RegularFile or UnixFileType.Other or UnixFileType.Unknown:
                return NotADirectory("is a file, not the directory that holds the socket");
            case UnixFileType.Directory:
                break;
        }

        return UnixFileTypes.Of(SocketPath) switch
        {
            UnixFileType.Missing => Missing(SocketPath, $"{Directory} exists but holds no {Path.GetFileName(SocketPath)}{OtherPorts()}"),
            UnixFileType.AccessDenied => Denied(SocketPath),
            UnixFileType.RegularFile => Missing(SocketPath, $"{SocketPath} is a regular file, not a socket: nothing can listen there", NotASocket),
            UnixFileType.Directory => Missing(SocketPath, $"{SocketPath} is a directory, not a socket: nothing can listen there", NotASocket),
            UnixFileType.Other => Missing(SocketPath, $"{SocketPath} is not a socket (a device or a pipe): nothing can listen there", NotASocket),
            _ => null,
        };
    }

    /// <summary>socket-missing, worded for Cloud SQL when the socket is under /cloudsql/.</summary>
    private static ProbeError Missing(string socketPath, string detail, string code = "ENOENT")
    {
        var message = socketPath.StartsWith(CloudSqlRoot, StringComparison.Ordinal)
            ? $"no Cloud SQL proxy socket at {socketPath}: is the instance attached to the service? ({detail})"
            : $"no PostgreSQL socket at {socketPath}: is the server (or its proxy) running and creating its socket in {Parent(socketPath)}? ({detail})";
        return new ProbeError(ErrorKind.SocketMissing, message) { Phase = "connect", Code = code };
    }

    private static ProbeError Denied(string path) =>
        new(ErrorKind.ConfigInvalid, $"this process may not use {path} (permission denied): run the service as a user the socket directory admits, or open the directory to it")
        {
            Phase = "connect",
            Code = "EACCES",
        };

    private ProbeError NotADirectory(string what) =>
        new(ErrorKind.ConfigInvalid, $"Host {Directory} {what}") { Phase = "config" };

    /// <summary>For a missing directory: the directories next to it ("/cloudsql holds a:b:c"), which often show a misspelt instance name.</summary>
    private string Siblings()
    {
        var parent = Parent(Directory);
        var names = List(parent, "*");
        return names.Count == 0 ? string.Empty : $"; {parent} holds {string.Join(", ", names)}";
    }

    /// <summary>For a directory without the socket: the PostgreSQL sockets it does hold, which show a wrong port.</summary>
    private string OtherPorts()
    {
        var names = List(Directory, ".s.PGSQL.*").Where(n => !n.EndsWith(".lock", StringComparison.Ordinal)).ToList();
        return names.Count == 0 ? string.Empty : $"; it holds {string.Join(", ", names)}: is the port right?";
    }

    private static List<string> List(string directory, string pattern)
    {
        try
        {
            return System.IO.Directory.EnumerateFileSystemEntries(directory, pattern)
                .Select(Path.GetFileName)
                .OfType<string>()
                .Order(StringComparer.Ordinal)
                .Take(MaxListed)
                .ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static string Parent(string path) => Path.GetDirectoryName(path.TrimEnd('/')) ?? "/";
}
