using Faultline.Core.Classification;
using Faultline.Core.Config;
using Faultline.Core.Model;

namespace Faultline.Core.Tests.LoadCheck;

/// <summary>A failing load check keeps its failures' layers: the most frequent group decides, every group is evidence.</summary>
public sealed class LoadClassificationTests
{
    private static readonly TargetSpec Target = new() { Name = "db-load", Kind = TargetKinds.Concurrency, Of = "db", Parallel = 50 };

    private static LoadAttempt Slot(int i) => new()
    {
        Layer = Layer.Database,
        Side = Side.Infrastructure,
        ErrorKind = ErrorKind.DatabaseTooManyConnections.Wire(),
        Message = $"PostgreSQL at 127.0.0.1:5433 has no connection slot left for user 'faultline' (53300: sorry, too many clients already) #{i}",
        Remedy = "shrink the connection pools",
    };

    private static LoadAttempt Timeout() => new()
    {
        Layer = Layer.Database,
        Side = Side.Infrastructure,
        ErrorKind = ErrorKind.ConnectTimeout.Wire(),
        Message = "no answer from 127.0.0.1:5433 within 2s",
        Remedy = "check the network path to the database",
    };

    private static Observation Observe(IEnumerable<LoadAttempt> attempts) =>
        new() { Target = "50 × db (127.0.0.1:5433)", Connected = true, Load = LoadObservation.From(TargetKinds.Postgres, "connects", attempts.ToList()) };

    [Fact]
    public void Classify_TooManyConnectionsDominant_DatabaseInfrastructureWithEveryGroupAndACapacityRemedy()
    {
        var attempts = Enumerable.Range(0, 19).Select(_ => new LoadAttempt { Succeeded = true, Latency = TimeSpan.FromMilliseconds(510) })
            .Concat(Enumerable.Range(1, 29).Select(Slot))
            .Concat([Timeout(), Timeout()]);
        var observation = Observe(attempts);
        ConditionResult[] conditions = [new("[SUCCESS_RATE] == 1", false, "0.38")];

        var verdict = Classifier.Classify(Target, observation, conditions);

        Assert.Equal(Layer.Database, verdict.Layer);
        Assert.Equal(Side.Infrastructure, verdict.Side);
        Assert.Equal("50 connects at once: 19 succeeded (success rate 0.38); p50 510 ms, p95 510 ms, max 510 ms", verdict.Evidence[0]);
        Assert.StartsWith("29 of 50 connects failed: database-too-many-connections (database, infrastructure) — PostgreSQL at 127.0.0.1:5433 has no connection slot left", verdict.Evidence[1], StringComparison.Ordinal);
        Assert.Contains("too many clients already", verdict.Evidence[1], StringComparison.Ordinal);
        Assert.StartsWith("2 of 50 connects failed: connect-timeout (database, infrastructure)", verdict.Evidence[2], StringComparison.Ordinal);
        Assert.Contains("condition [SUCCESS_RATE] == 1 failed (actual: 0.38)", verdict.Evidence);
        Assert.Contains("raise max_connections", verdict.Remedy, StringComparison.Ordinal);
        Assert.Contains("pooler", verdict.Remedy, StringComparison.Ordinal);
        Assert.Contains("50 connects at once", verdict.Remedy, StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_TimeoutsDominant_KeepTheirRemedyAndNameTheLoad()
    {
        var observation = Observe([Timeout(), Timeout(), Slot(1)]);

        var verdict = Classifier.Classify(Target, observation, [new("[SUCCESS_RATE] == 1", false, "0")]);

        Assert.Equal(Layer.Database, verdict.Layer);
        Assert.StartsWith("check the network path to the database; it happened under 3 connects at once", verdict.Remedy, StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_ApplicationFailuresDominant_ApplicationLayer()
    {
        var http = new LoadAttempt { Layer = Layer.Application, Side = Side.Application, Message = "[STATUS] < 400 (actual: 503)", Remedy = "read the service's logs" };
        var observation = new Observation { Target = "x", Load = LoadObservation.From(TargetKinds.Http, "requests", [http, http, Timeout()]) };

        var verdict = Classifier.Classify(Target, observation, [new("[SUCCESS_RATE] == 1", false, "0")]);

        Assert.Equal(Layer.Application, verdict.Layer);
        Assert.Equal(Side.Application, verdict.Side);
        Assert.StartsWith("2 of 3 requests failed: condition-failed (application, application) — [STATUS] < 400 (actual: 503)", verdict.Evidence[1], StringComparison.Ordinal);
        Assert.Equal("read the service's logs", verdict.Remedy);
    }

    [Fact]
    public void Classify_EverySuccessButP95TooHigh_LayerOfTheProbedKind()
    {
        var attempts = Enumerable.Range(1, 20).Select(i => new LoadAttempt { Succeeded = true, Latency = TimeSpan.FromMilliseconds(i * 100) });
        var observation = Observe(attempts);

        var verdict = Classifier.Classify(Target, observation, [new("[P95] < 500ms", false, "1.9s")]);

        Assert.Equal(Layer.Database, verdict.Layer);
        Assert.Equal(Side.Infrastructure, verdict.Side);
        Assert.Contains("condition [P95] < 500ms failed (actual: 1.9s)", verdict.Evidence);
        Assert.Contains("succeeded, but not as fast", verdict.Remedy, StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_StartupInstances_NameTheInstancesThatFailed()
    {
        var failed = new LoadAttempt
        {
            Layer = Layer.Database,
            Side = Side.Infrastructure,
            ErrorKind = "database-too-many-connections",
            Message = "phase database: no connection slot left",
            Remedy = "r",
        };
        var load = LoadObservation.From(TargetKinds.Startup, "instances", [new LoadAttempt { Succeeded = true, Latency = TimeSpan.FromSeconds(4) }, failed]) with
        {
            Instances =
            [
                new StartupInstance { Instance = 1, Port = 40001, Ready = true, ReadyMs = 4000 },
                new StartupInstance
                {
                    Instance = 2,
                    Port = 40002,
                    ExitCode = 3,
                    Termination = new TerminationMessage { Phase = "database", Layer = Layer.Database, ErrorKind = "database-too-many-connections", Message = "no slot" },
                },
            ],
        };
        var target = new TargetSpec { Name = "api-startup", Kind = TargetKinds.Startup };

        var verdict = Classifier.Classify(target, new Observation { Target = "2 × api", Load = load }, [new("[SUCCESS_RATE] == 1", false, "0.5")]);

        Assert.Equal(Layer.Database, verdict.Layer);
        Assert.Contains("instance 2 (port 40002) exited with code 3; termination message: phase database, database-too-many-connections", verdict.Evidence);
        Assert.Contains("2 instances at once", verdict.Remedy, StringComparison.Ordinal);
    }
}
