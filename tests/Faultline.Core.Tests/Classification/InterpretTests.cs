using Faultline.Core.Classification;
using Faultline.Core.Config;
using Faultline.Core.Model;

namespace Faultline.Core.Tests.Classification;

/// <summary>
/// What Core makes of the raw facts a probe reports: a startup check's instances become classified attempts, a
/// service's own status without components becomes an error or a warning. The probes themselves never classify.
/// </summary>
public sealed class InterpretTests
{
    private static readonly TargetSpec Startup = new() { Name = "api", Kind = TargetKinds.Startup, Run = "./api", ReadyUrl = "http://127.0.0.1:{port}/ready" };

    private static readonly TargetSpec Remote = new() { Name = "api", Kind = TargetKinds.Remote, Url = "https://api.lab.test/health/infrastructure" };

    private static Observation Instances(params StartupInstance[] instances) => new()
    {
        Target = "3 × ./api",
        Load = new LoadObservation { AttemptKind = TargetKinds.Startup, AttemptNoun = "instances", Instances = instances },
    };

    private static Observation SelfReport(string status, string? startup = null) => new()
    {
        Target = Remote.Url!,
        Connected = true,
        Http = new HttpObservation { StatusCode = 503, Body = "{}" },
        Remote = new RemoteObservation { Source = ComponentSources.Endpoint, Service = "api", Status = status, Startup = startup },
    };

    [Fact]
    public void Interpret_StartupInstances_EachEndingBecomesAnAttemptWithItsLayer()
    {
        var observation = Instances(
            new StartupInstance { Instance = 1, Port = 4001, Ready = true, ReadyMs = 812.5 },
            new StartupInstance { Instance = 2, Port = 4002, Problem = "could not start the command in /srv/api (No such file or directory)", ErrorKind = "config-invalid" },
            new StartupInstance
            {
                Instance = 3,
                Port = 4003,
                ExitCode = 3,
                Problem = "stopped in startup phase database (exit code 3)",
                ErrorKind = "connect-timeout",
                Termination = new TerminationMessage { Phase = "database", Layer = Layer.Database, Side = Side.Infrastructure, ErrorKind = "connect-timeout", Message = "db.internal:5432 timed out" },
            });

        var load = Classifier.Interpret(Startup, observation).Load!;

        Assert.Equal((3, 1, 812.5), (load.Attempts, load.Successes, load.P50Ms));
        Assert.Equal(3, load.Instances.Count);
        Assert.Collection(
            load.FailureGroups,
            g => Assert.Equal((Layer.Database, Side.Infrastructure, "connect-timeout", "phase database: db.internal:5432 timed out"), (g.Layer, g.Side, g.ErrorKind, g.Example)),
            g => Assert.Equal((Layer.Configuration, Side.Application, "config-invalid", "could not start the command in /srv/api (No such file or directory)"), (g.Layer, g.Side, g.ErrorKind, g.Example)));
        Assert.Equal("correct run and workingDir of the startup target so the command can start", load.FailureGroups.Single(g => g.Layer == Layer.Configuration).Remedy);
    }

    [Fact]
    public void Interpret_InstanceExitedWithoutATerminationMessage_ApplicationWithItsLastStderrLine()
    {
        var observation = Instances(new StartupInstance
        {
            Instance = 1,
            Port = 4001,
            ExitCode = 7,
            StderrTail = "starting\nfatal: cannot bind 4001\n",
            Problem = "exited with code 7 before http://127.0.0.1:4001/ready answered 2xx",
            ErrorKind = StartupInstance.ExitedBeforeReady,
        });

        var group = Assert.Single(Classifier.Interpret(Startup, observation).Load!.FailureGroups);

        Assert.Equal((Layer.Application, Side.Application, "exited-before-ready"), (group.Layer, group.Side, group.ErrorKind));
        Assert.Equal("exited with code 7 before http://127.0.0.1:4001/ready answered 2xx; stderr: fatal: cannot bind 4001", group.Example);
        Assert.Contains("stopped with code 7", group.Remedy, StringComparison.Ordinal);
    }

    [Fact]
    public void Interpret_ServiceReportsItselfUnhealthyWithoutComponents_UnexpectedStatusNamingItsStartup()
    {
        var observation = Classifier.Interpret(Remote, SelfReport("unhealthy", startup: "running"));

        Assert.Equal(ErrorKind.UnexpectedStatus, observation.Error?.Kind);
        Assert.Equal("the service reports itself unhealthy (HTTP 503) without naming a component: its startup is running", observation.Error!.Message);
        Assert.Equal(("fetch", "503"), (observation.Error.Phase, observation.Error.Code));
        Assert.Empty(observation.Warnings);
    }

    [Fact]
    public void Interpret_ServiceReportsItselfUnhealthyAfterStartup_AsksForTheApiKey()
    {
        var observation = Classifier.Interpret(Remote, SelfReport("unhealthy", startup: "completed"));

        Assert.EndsWith("without naming a component: set apiKey to read its components", observation.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Interpret_ServiceReportsItselfDegradedWithoutComponents_AWarning()
    {
        var observation = Classifier.Interpret(Remote, SelfReport("degraded"));

        Assert.Null(observation.Error);
        Assert.Equal(["the service reports degraded but lists no components; with an apiKey it shows them"], observation.Warnings);
    }

    [Fact]
    public void Interpret_AnyOtherObservation_ReturnedAsItIs()
    {
        var observation = SelfReport("unhealthy") with { Components = [new ComponentObservation { Name = "database", Status = "unhealthy", Source = ComponentSources.Endpoint }] };

        Assert.Same(observation, Classifier.Interpret(Remote, observation));
    }
}
