using System.Net.Security;
using System.Security.Authentication;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Running;
using Faultline.Probes.Net;

namespace Faultline.Probes.Probes;

/// <summary>TLS handshake with SNI: protocol, cipher, chain, SANs, validity, hostname match, trust.</summary>
internal sealed class TlsProbe() : TimedProbe(TargetKinds.Tls, "handshakes")
{
    public const int DefaultPort = 443;

    protected override async Task<Observation> ObserveAsync(TargetSpec target, ProbeContext context, ProbeRun run, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(target.Host) || target.Port is <= 0 or > 65535)
        {
            return run.Observe(target.Host ?? "(no host)", ProbeErrors.Config($"tls target {target.Name} needs a host (and an optional port, default 443)"));
        }

        var host = target.Host;
        var port = target.Port ?? DefaultPort;
        var endpoint = TcpConnector.Endpoint(host, port);
        TlsValidationRecorder recorder;
        SslClientAuthenticationOptions options;
        try
        {
            recorder = TlsSupport.CreateRecorder(host, target.Tls, context.Time);
            options = TlsSupport.CreateClientOptions(target.Tls, recorder);
        }
        catch (ProbeException ex)
        {
            return run.Observe(endpoint, ex.Error);
        }

        SslStream? ssl = null;
        try
        {
            run.Enter("dns");
            var addresses = await context.Resolver.ResolveAsync(host, cancellationToken).ConfigureAwait(false);
            run.CompleteDns();
            run.Addresses = addresses.Select(a => a.ToString()).ToList();

            run.Enter("connect");
            var socket = await TcpConnector.ConnectAsync(addresses, port, cancellationToken).ConfigureAwait(false);
            run.CompleteConnect();
            run.Connected = true;

            run.Enter("tls");
            ssl = new SslStream(new System.Net.Sockets.NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
            await ssl.AuthenticateAsClientAsync(options, cancellationToken).ConfigureAwait(false);
            run.CompleteTls();
            run.Enter("done");
            return run.Observe(endpoint, null) with
            {
                Tls = recorder.Snapshot(ssl),
                Warnings = recorder.Warnings(TlsSupport.ExpiryWarningWindow),
            };
        }
        catch (ProbeException ex)
        {
            return run.Observe(endpoint, ex.Error) with { Tls = TlsFacts(recorder) };
        }
        catch (OperationCanceledException ex) when (!context.IsCallerCancellation && cancellationToken.IsCancellationRequested)
        {
            var error = run.Phase switch
            {
                "dns" => HostResolvers.DeadlineError(host, context.Resolver, run.PhaseElapsed, ex),
                "connect" => TcpConnector.DeadlineError(TcpProbe.ConnectTarget(run, host, port), run.PhaseElapsed, ex),
                _ => TlsSupport.TimeoutError(endpoint, run.PhaseElapsed, ex),
            };
            return run.Observe(endpoint, error) with { Tls = TlsFacts(recorder) };
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException && run.Phase == "tls")
        {
            run.CompleteTls();
            return run.Observe(endpoint, TlsSupport.ToProbeError(recorder, ex, endpoint)) with { Tls = TlsFacts(recorder) };
        }
        finally
        {
            if (ssl is not null)
            {
                await ssl.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>What was learnt about the certificate before the handshake stopped; null when none arrived.</summary>
    private static TlsObservation? TlsFacts(TlsValidationRecorder recorder) =>
        recorder.Called ? recorder.Snapshot() : null;
}
