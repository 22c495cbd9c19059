using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Running;
using Faultline.Probes.Net;

namespace Faultline.Probes.Probes;

/// <summary>Resolves and opens a TCP connection: refused vs timed out vs unreachable vs reset.</summary>
internal sealed class TcpProbe() : TimedProbe(TargetKinds.Tcp, "connects")
{
    protected override async Task<Observation> ObserveAsync(TargetSpec target, ProbeContext context, ProbeRun run, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(target.Host) || target.Port is not (> 0 and <= 65535))
        {
            var text = target.Host ?? "(no host)";
            return run.Observe(text, ProbeErrors.Config($"tcp target {target.Name} needs host and port (1-65535)"));
        }

        var host = target.Host;
        var port = target.Port.Value;
        var endpoint = TcpConnector.Endpoint(host, port);
        try
        {
            run.Enter("dns");
            var addresses = await context.Resolver.ResolveAsync(host, cancellationToken).ConfigureAwait(false);
            run.CompleteDns();
            run.Addresses = addresses.Select(a => a.ToString()).ToList();

            run.Enter("connect");
            using var socket = await TcpConnector.ConnectAsync(addresses, port, cancellationToken).ConfigureAwait(false);
            run.CompleteConnect();
            run.Connected = true;
            run.Enter("done");
            return run.Observe(endpoint, null);
        }
        catch (ProbeException ex)
        {
            return run.Observe(endpoint, ex.Error);
        }
        catch (OperationCanceledException ex) when (!context.IsCallerCancellation && cancellationToken.IsCancellationRequested)
        {
            var error = run.Phase == "dns"
                ? HostResolvers.DeadlineError(host, context.Resolver, run.PhaseElapsed, ex)
                : TcpConnector.DeadlineError(ConnectTarget(run, host, port), run.PhaseElapsed, ex);
            return run.Observe(endpoint, error);
        }
    }

    /// <summary>The address the SYN went to, when the name resolved to exactly one; else <c>host:port</c>.</summary>
    internal static string ConnectTarget(ProbeRun run, string host, int port) =>
        run.Addresses.Count > 0
            ? TcpConnector.Endpoint(run.Addresses[0], port)
            : TcpConnector.Endpoint(host, port);
}
