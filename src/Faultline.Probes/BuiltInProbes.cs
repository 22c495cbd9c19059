using Faultline.Core.Running;
using Faultline.Probes.Probes;

namespace Faultline.Probes;

/// <summary>The probes this assembly provides: http, tls, dns, tcp, secret, websocket, remote, startup.</summary>
public static class BuiltInProbes
{
    /// <summary>New instances of every built-in probe (they are stateless and thread-safe).</summary>
    public static IReadOnlyList<IProbe> Create() =>
    [
        new HttpProbe(),
        new TlsProbe(),
        new DnsProbe(),
        new TcpProbe(),
        new SecretProbe(),
        new WebSocketProbe(),
        new RemoteProbe(),
        new StartupProbe(),
    ];
}
