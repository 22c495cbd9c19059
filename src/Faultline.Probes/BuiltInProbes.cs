using Faultline.Core.Running;
using Faultline.Probes.Probes;

namespace Faultline.Probes;

/// <summary>The probes this assembly provides: http, tls, dns, tcp, secret, websocket, remote, startup.</summary>
public static class BuiltInProbes
{
    /// <summary>
    /// The default catalog: new instances of every built-in probe (they are stateless and thread-safe). Add the postgres
    /// and redis probes of their packages, or a probe of your own, with <see cref="ProbeCatalog.With(IProbe)"/>.
    /// </summary>
    public static ProbeCatalog Create() => ProbeCatalog.Empty.With(
    [
        new HttpProbe(),
        new TlsProbe(),
        new DnsProbe(),
        new TcpProbe(),
        new SecretProbe(),
        new WebSocketProbe(),
        new RemoteProbe(),
        new StartupProbe(),
    ]);
}
