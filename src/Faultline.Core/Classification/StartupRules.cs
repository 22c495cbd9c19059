using System.Globalization;
using Faultline.Core.Config;
using Faultline.Core.Model;
using Faultline.Core.Running;

namespace Faultline.Core.Classification;

/// <summary>
/// Classifies the instances of a <c>startup</c> check. An instance that wrote a termination message fails where the
/// message says (the rule of a component seen from inside); one that could not start is a configuration failure; one that
/// exited, or was still not ready at the deadline, is the application's — its stderr is the evidence.
/// </summary>
internal static class StartupRules
{
    /// <summary><paramref name="load"/> with its attempts, counts and failure groups derived from its instances.</summary>
    public static LoadObservation Judge(TargetSpec target, LoadObservation load) =>
        LoadObservation.From(load.AttemptKind, load.AttemptNoun, load.Instances.Select(i => Attempt(target, i)).ToList()) with { Instances = load.Instances };

    /// <summary>The attempt an instance counts as: its time to ready, or where and why it failed.</summary>
    public static LoadAttempt Attempt(TargetSpec target, StartupInstance instance)
    {
        if (instance.ReadyMs is { } ready)
        {
            return new LoadAttempt { Succeeded = true, Latency = TimeSpan.FromMilliseconds(ready) };
        }

        var kind = instance.ErrorKind ?? ErrorKind.Timeout.Wire();
        if (instance.Termination is { } termination)
        {
            var name = $"{target.Name} instance {instance.Instance.ToString(CultureInfo.InvariantCulture)}";
            var component = ComponentObservation.FromTermination(termination, name);
            var verdict = Classifier.ClassifyComponent(target, component);
            return new LoadAttempt
            {
                Layer = verdict.Layer,
                Side = verdict.Side,
                ErrorKind = kind,
                Message = $"phase {component.Name}: {termination.Message ?? "no message"}",
                Remedy = verdict.Remedy,
            };
        }

        var problem = instance.Problem ?? "did not become ready";
        var lastLine = instance.StderrTail?.Split('\n').LastOrDefault(l => !string.IsNullOrWhiteSpace(l));
        var layer = Layer.Application;
        string remedy;
        if (kind == ErrorKind.ConfigInvalid.Wire())
        {
            layer = Layer.Configuration;
            remedy = "correct run and workingDir of the startup target so the command can start";
        }
        else if (kind == StartupInstance.ExitedBeforeReady)
        {
            remedy = string.Create(CultureInfo.InvariantCulture,
                $"read the instance's stderr (evidence above): it stopped with code {instance.ExitCode} before it was ready; have it write a termination message ({LoadChecks.TerminationVariable}) to name the layer");
        }
        else
        {
            remedy = "the instance kept running but was not ready in time: look at what its startup waits on (its stderr above), or give it a longer deadline";
        }

        return new LoadAttempt
        {
            Layer = layer,
            Side = Classifier.SideOf(layer),
            ErrorKind = kind,
            Message = lastLine is null ? problem : $"{problem}; stderr: {lastLine}",
            Remedy = remedy,
        };
    }
}
