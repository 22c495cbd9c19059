using System.Globalization;
using System.Net.Sockets;
using System.Security.Authentication;
using Faultline.AspNetCore.Probing;
using Faultline.Core.Classification;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Faultline.AspNetCore.Startup;

/// <summary>
/// Turns the exception that ended a phase attempt into a typed <see cref="ProbeError"/>, and a typed
/// error into a layer and side with Core's classifier. Messages are typed text (never an exception's
/// own text, which may quote a connection string).
/// </summary>
internal static class AttemptErrors
{
    /// <param name="describers">The drivers' own typing (registered by the driver packages): Npgsql and StackExchange.Redis exceptions.</param>
    public static ProbeError Describe(Exception exception, ResolvedPhase phase, int attempt, bool budgetCut, ProbeError? breakerLast, IEnumerable<IExceptionDescriber>? describers = null)
    {
        var name = phase.Name;
        switch (exception)
        {
            case ProbeException probe:
                return probe.Error;
            case BrokenCircuitException:
                return breakerLast is { } last
                    ? last with { Message = $"circuit breaker '{phase.Definition.Breaker}' is open after repeated failures; last: {last.Message}" }
                    : new ProbeError(ErrorKind.Internal, $"circuit breaker '{phase.Definition.Breaker}' is open") { Phase = "breaker" };
            case TimeoutRejectedException:
                return TimeoutError(phase, $"attempt {attempt.ToString(CultureInfo.InvariantCulture)} of phase {name} did not finish within its timeout of {Durations.Describe(phase.AttemptTimeout)}", exception);
            case OperationCanceledException when budgetCut:
                return TimeoutError(phase, $"phase {name} used its whole budget of {Durations.Describe(phase.Budget)} during attempt {attempt.ToString(CultureInfo.InvariantCulture)}", exception);
        }

        foreach (var describer in describers ?? [])
        {
            if (describer.Describe(exception, $"'{phase.Definition.Breaker}'") is { } typed)
            {
                return typed;
            }
        }

        if (ExceptionChain.Find<SocketException>(exception) is { } socket)
        {
            return Faultline.Probes.Net.NetworkPreflight.FromSocket(socket, $"the dependency of phase {name}") with { Exception = exception };
        }

        if (ExceptionChain.Find<AuthenticationException>(exception) is not null)
        {
            return new ProbeError(ErrorKind.TlsHandshakeFailed, $"TLS handshake failed in phase {name}") { Phase = "tls", Exception = exception };
        }

        var type = exception.GetType().Name;
        var kind = exception switch
        {
            TimeoutException => ErrorKind.Timeout,
            OperationCanceledException => ErrorKind.Timeout,
            EndOfStreamException => ErrorKind.ConnectionClosed,
            IOException => ErrorKind.ConnectionClosed,
            OptionsValidationException or FormatException or ArgumentException or KeyNotFoundException or UnauthorizedAccessException => ErrorKind.ConfigInvalid,
            _ => ErrorKind.Internal,
        };
        return new ProbeError(kind, $"phase {name} failed on attempt {attempt.ToString(CultureInfo.InvariantCulture)} ({type})") { Exception = exception };
    }

    private static ProbeError TimeoutError(ResolvedPhase phase, string message, Exception exception)
    {
        var connecting = phase.Definition.Timing == PhaseTiming.Connection
            || phase.Definition.Layer is Layer.Database or Layer.Cache or Layer.Network;
        return new ProbeError(connecting ? ErrorKind.ConnectTimeout : ErrorKind.Timeout, message) { Phase = connecting ? "connect" : null, Code = "TIMEOUT", Exception = exception };
    }

    /// <summary>
    /// Layer, side and remedy: Core's classifier over the error (as if the target were of the kind the phase's
    /// layer stands for, or the actual target a requirement probed); a layer it cannot tell and errors
    /// that are not about a dependency take the phase's declared layer.
    /// </summary>
    public static PhaseFailure Attribute(ResolvedPhase phase, ProbeError error, RequirementFailure? requirement, SecretScrubber scrubber)
    {
        var declared = phase.Definition.Layer;
        var message = scrubber.Scrub(error.Message);
        if (requirement is { } r && ReferenceEquals(r.Error, error) && r.Result.Layer is { } layer && r.Result.Side is { } side)
        {
            return new PhaseFailure(layer, side, ProbeRunner.IsCondition(error) ? null : error.Kind, message, scrubber.ScrubNullable(r.Result.Remedy));
        }

        if (error.Kind is ErrorKind.Internal or ErrorKind.Cancelled || ProbeRunner.IsCondition(error))
        {
            // The service's own code threw something Faultline cannot place: the phase's layer, the service's side.
            var internalSide = declared is Layer.Application or Layer.Configuration or Layer.Unknown ? Side.Application : Classifier.SideOf(declared);
            return new PhaseFailure(declared, error.Kind == ErrorKind.Internal ? Side.Application : internalSide, ProbeRunner.IsCondition(error) ? null : error.Kind, message,
                $"read the service's log for phase {phase.Name} (its exception is logged there, never put in a response)");
        }

        var target = new TargetSpec { Name = phase.Name, Kind = KindOf(declared) };
        var classification = Classifier.Classify(target, new Observation { Target = phase.Definition.Breaker, Error = error }, []);
        var attributed = classification.Layer == Layer.Unknown ? declared : classification.Layer;
        var attributedSide = classification.Layer == Layer.Unknown ? Classifier.SideOf(declared) : classification.Side;
        return new PhaseFailure(attributed, attributedSide, error.Kind, message, scrubber.Scrub(classification.Remedy));
    }

    private static string KindOf(Layer layer) => Classifier.ProbeKindFor(layer);
}
