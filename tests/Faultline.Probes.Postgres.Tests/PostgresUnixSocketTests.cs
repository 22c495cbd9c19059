using System.Net.Sockets;
using System.Text.Json;
using Faultline.Core.Classification;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Running;
using Faultline.Probes.Net;
using Faultline.TestSupport;

namespace Faultline.Probes.Postgres.Tests;

/// <summary>
/// The postgres probe on a unix socket, as a Cloud Run service reaches Cloud SQL (<c>Host=/cloudsql/PROJECT:REGION:INSTANCE</c>):
/// against the real PostgreSQL's socket directory of scripts/services.sh, and against socket directories and files
/// made for each fault (absent, empty, a stale socket nobody listens on, a regular file).
/// </summary>
[Trait(TestTiers.Name, TestTiers.Services)]
[Collection(LocalServices.Collection)]
public sealed class PostgresUnixSocketTests(LocalServices services) : IDisposable
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(15);

    private readonly string _scratch = Directory.CreateTempSubdirectory("faultline-pgsock-").FullName;

    private string Password => services.PgPassword;

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    public static TheoryData<string> SocketForms => new() { "key=value", "url ?host=", "url %2F authority" };

    [Theory]
    [MemberData(nameof(SocketForms))]
    public async Task ProbeAsync_RealServerOnItsSocket_PassesInEveryForm(string form)
    {
        var directory = services.PgSocketDirectory;

        var observation = await RunAsync(ConnectionString(form, directory, services.PgPort));

        Assert.Null(observation.Error);
        Assert.Equal($"unix:{directory}/.s.PGSQL.{services.PgPort} (db faultline)", observation.Target);
        Assert.True(observation.Connected);
        Assert.Empty(observation.Addresses);
        Assert.Null(observation.Phases.DnsMs);
        Assert.NotNull(observation.Phases.ConnectMs);
        Assert.NotNull(observation.Phases.FirstByteMs);
        Assert.NotNull(observation.Phases.TransferMs);
        var database = Assert.IsType<DatabaseObservation>(observation.Database);
        Assert.True(database.Authenticated);
        Assert.StartsWith("15.", database.ServerVersion, StringComparison.Ordinal);
        Assert.Equal(40, database.MaxConnections);

        // PostgreSQL never encrypts a socket connection, whatever the server's ssl setting.
        Assert.False(database.TlsUsed);
        Assert.Null(observation.Tls);
        AssertNoPassword(observation);
    }

    [Fact]
    public async Task ProbeAsync_SocketDirectoryNamedLikeACloudSqlInstance_ColonsAreNotAPort()
    {
        // /cloudsql/PROJECT:REGION:INSTANCE, recreated as a link to the real socket directory.
        var instance = Path.Combine(_scratch, "faultline-test:europe-west1:main");
        Directory.CreateSymbolicLink(instance, services.PgSocketDirectory);

        var observation = await RunAsync($"Host={instance};Port={services.PgPort};Username=faultline;Password={Password};Database=faultline");

        Assert.Null(observation.Error);
        Assert.Equal($"unix:{instance}/.s.PGSQL.{services.PgPort} (db faultline)", observation.Target);
        Assert.True(observation.Database!.Authenticated);
        AssertNoPassword(observation);
    }

    [Fact]
    public async Task ProbeAsync_CloudSqlDirectoryAbsent_IsSocketMissingOnTheNetworkLayer()
    {
        // The incident's connection string on a service the instance is not attached to: no /cloudsql/... at all.
        const string Instance = "/cloudsql/faultline-test:europe-west1:not-attached";
        Assert.False(Directory.Exists(Instance));

        var observation = await RunAsync($"Host={Instance};Username=faultline;Password={Password};Database=faultline");

        var error = AssertError(observation, ErrorKind.SocketMissing, "connect");
        Assert.StartsWith($"no Cloud SQL proxy socket at {Instance}/.s.PGSQL.5432: is the instance attached to the service?", error.Message, StringComparison.Ordinal);
        Assert.Equal($"unix:{Instance}/.s.PGSQL.5432 (db faultline)", observation.Target);
        Assert.False(observation.Connected);
        Assert.False(observation.Database!.Authenticated);
        Assert.NotNull(observation.Phases.ConnectMs);

        var classification = Classify(observation);
        Assert.Equal(Layer.Network, classification.Layer);
        Assert.Equal(Side.Infrastructure, classification.Side);
        Assert.Equal($"no socket at unix:{Instance}/.s.PGSQL.5432: the connection never left this host", classification.Evidence[0]);
        Assert.Contains(classification.Evidence, e => e.Contains($"{Instance}/.s.PGSQL.5432", StringComparison.Ordinal) && e.Contains("attached", StringComparison.Ordinal));
        AssertNoPassword(observation, classification);
    }

    [Fact]
    public async Task ProbeAsync_DirectoryAbsent_NamesTheDirectoriesBesideIt()
    {
        Directory.CreateDirectory(Path.Combine(_scratch, "proj:region:other"));
        var missing = Path.Combine(_scratch, "proj:region:main");

        var observation = await RunAsync($"Host={missing};Port=6543;Username=faultline;Password={Password}");

        var error = AssertError(observation, ErrorKind.SocketMissing, "connect");
        Assert.Equal($"unix:{missing}/.s.PGSQL.6543 (db faultline)", observation.Target);
        Assert.Contains($"no PostgreSQL socket at {missing}/.s.PGSQL.6543", error.Message, StringComparison.Ordinal);
        Assert.Contains($"{missing} does not exist; {_scratch} holds proj:region:other", error.Message, StringComparison.Ordinal);
        Assert.Equal(Layer.Network, Classify(observation).Layer);
    }

    [Fact]
    public async Task ProbeAsync_DirectoryWithoutTheSocketFile_IsSocketMissing()
    {
        var observation = await RunAsync($"postgres://faultline:{Uri.EscapeDataString(Password)}@/faultline?host={Uri.EscapeDataString(_scratch)}");

        var error = AssertError(observation, ErrorKind.SocketMissing, "connect");
        Assert.Contains($"{_scratch}/.s.PGSQL.5432", error.Message, StringComparison.Ordinal);
        Assert.Contains($"{_scratch} exists but holds no .s.PGSQL.5432", error.Message, StringComparison.Ordinal);
        var classification = Classify(observation);
        Assert.Equal(Layer.Network, classification.Layer);
        Assert.Equal(Side.Infrastructure, classification.Side);
        AssertNoPassword(observation, classification);
    }

    [Fact]
    public async Task ProbeAsync_SocketForAnotherPort_NamesTheSocketThatIsThere()
    {
        var observation = await RunAsync($"Host={services.PgSocketDirectory};Port=6543;Username=faultline;Password={Password}");

        var error = AssertError(observation, ErrorKind.SocketMissing, "connect");
        Assert.Contains($"it holds .s.PGSQL.{services.PgPort}: is the port right?", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProbeAsync_StaleSocketNobodyListensOn_IsRefusedOnTheDatabaseLayer()
    {
        var socket = CreateStaleSocket(Path.Combine(_scratch, ".s.PGSQL.5432"));

        var observation = await RunAsync($"Host={_scratch};Username=faultline;Password={Password};Database=faultline");

        var error = AssertError(observation, ErrorKind.ConnectionRefused, "connect");
        Assert.Contains($"nothing listening on unix:{socket}", error.Message, StringComparison.Ordinal);
        Assert.False(observation.Connected);
        var classification = Classify(observation);
        Assert.Equal(Layer.Database, classification.Layer);
        Assert.Equal(Side.Infrastructure, classification.Side);
        Assert.StartsWith($"nothing listening on unix:{socket} (connection refused)", classification.Evidence[0], StringComparison.Ordinal);
        AssertNoPassword(observation, classification);
    }

    [Fact]
    public async Task ProbeAsync_RegularFileWhereTheSocketShouldBe_IsSocketMissingSayingSo()
    {
        var file = Path.Combine(_scratch, ".s.PGSQL.5432");
        await File.WriteAllTextAsync(file, string.Empty);

        var observation = await RunAsync($"Host={_scratch};Username=faultline;Password={Password}");

        var error = AssertError(observation, ErrorKind.SocketMissing, "connect");
        Assert.Contains($"{file} is a regular file, not a socket", error.Message, StringComparison.Ordinal);
        Assert.Equal("ENOTSOCK", error.Code);
        Assert.Equal(Layer.Network, Classify(observation).Layer);
    }

    [Fact]
    public async Task ProbeAsync_HostNamesTheSocketFileItself_IsConfigInvalidNamingTheDirectory()
    {
        var socket = $"{services.PgSocketDirectory}/.s.PGSQL.{services.PgPort}";

        var observation = await RunAsync($"Host={socket};Port={services.PgPort};Username=faultline;Password={Password}");

        var error = AssertError(observation, ErrorKind.ConfigInvalid, "config");
        Assert.Contains($"Host {socket} is the socket file itself; give the directory that holds it ({services.PgSocketDirectory})", error.Message, StringComparison.Ordinal);
        var classification = Classify(observation);
        Assert.Equal(Layer.Configuration, classification.Layer);
        Assert.Equal(Side.Application, classification.Side);
    }

    [Fact]
    public async Task ProbeAsync_HostNamesARegularFile_IsConfigInvalid()
    {
        var file = Path.Combine(_scratch, "not-a-directory");
        await File.WriteAllTextAsync(file, "x");

        var observation = await RunAsync($"Host={file};Username=faultline;Password={Password}");

        var error = AssertError(observation, ErrorKind.ConfigInvalid, "config");
        Assert.Contains($"Host {file} is a file, not the directory that holds the socket", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProbeAsync_SslRequiredOverASocket_IsConfigInvalidBeforeConnecting()
    {
        var observation = await RunAsync($"postgres://faultline:{Uri.EscapeDataString(Password)}@/faultline?host={Uri.EscapeDataString(services.PgSocketDirectory)}&port={services.PgPort}&sslmode=require");

        var error = AssertError(observation, ErrorKind.ConfigInvalid, "config");
        Assert.Contains("PostgreSQL does not encrypt socket connections", error.Message, StringComparison.Ordinal);
        Assert.False(observation.Connected);
        AssertNoPassword(observation);
    }

    private string ConnectionString(string form, string directory, int port) => form switch
    {
        "key=value" => $"Host={directory};Port={port};Username=faultline;Password={Password};Database=faultline",
        "url ?host=" => $"postgres://faultline:{Uri.EscapeDataString(Password)}@/faultline?host={directory}&port={port}",
        _ => $"postgresql://faultline:{Uri.EscapeDataString(Password)}@{Uri.EscapeDataString(directory)}:{port}/faultline",
    };

    /// <summary>
    /// A socket file nobody listens on, as a server or proxy that died leaves it. .NET deletes the file of a socket it
    /// bound when the socket is disposed, so the file is bound under another name and renamed into place first.
    /// </summary>
    private static string CreateStaleSocket(string path)
    {
        var bound = path + ".binding";
        using (var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            socket.Bind(new UnixDomainSocketEndPoint(bound));
            File.Move(bound, path);
        }

        Assert.True(File.Exists(path), "the stale socket file stays after its socket is closed");
        return path;
    }

    private static Classification Classify(Observation observation) =>
        Classifier.Classify(new TargetSpec { Name = "db", Kind = TargetKinds.Postgres, ConnectionString = "(not read by the classifier)" }, observation, []);

    private static async Task<Observation> RunAsync(string connectionString)
    {
        var context = new ProbeContext
        {
            Time = TimeProvider.System,
            Timeout = Generous,
            Resolver = HostResolvers.System,
            Redactor = new SecretRedactor(),
        };
        var target = new TargetSpec { Name = "db", Kind = TargetKinds.Postgres, ConnectionString = connectionString };
        using var deadline = new CancellationTokenSource(context.Timeout);
        return await PostgresProbes.Create().ProbeAsync(target, context, deadline.Token);
    }

    private static ProbeError AssertError(Observation observation, ErrorKind kind, string phase)
    {
        Assert.True(observation.Error is not null, $"expected {kind.Wire()} but the probe reported no error");
        Assert.True(kind == observation.Error.Kind, $"expected {kind.Wire()} but got {observation.Error.Kind.Wire()}: {observation.Error.Message}");
        Assert.Equal(phase, observation.Error.Phase);
        return observation.Error;
    }

    private void AssertNoPassword(Observation observation, Classification? classification = null)
    {
        Assert.DoesNotContain(Password, JsonSerializer.Serialize(observation), StringComparison.Ordinal);
        Assert.DoesNotContain(Uri.EscapeDataString(Password), JsonSerializer.Serialize(observation), StringComparison.Ordinal);
        if (classification is not null)
        {
            Assert.DoesNotContain(classification.Evidence, e => e.Contains(Password, StringComparison.Ordinal));
            Assert.DoesNotContain(Password, classification.Remedy, StringComparison.Ordinal);
        }
    }
}
