using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Faultline.AspNetCore;
using Faultline.Core.Config;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Polly;
using Polly.CircuitBreaker;
using Polly.Registry;
using Polly.Retry;

namespace Faultline.Bench;

/// <summary>
/// Request-path overhead per call with a closed breaker, each category in the same run:
/// <list type="bullet">
/// <item><c>Callback</c>: the callback alone.</item>
/// <item><c>BarePolly</c> (the baseline: Ratio and Alloc Ratio read against it): a <see cref="ResiliencePipelineBuilder"/>
/// with the same strategies and options, built by hand — breaker + timeout, and retry + breaker + timeout for the
/// idempotent categories.</item>
/// <item><c>PollyRegistry</c>: the same strategies registered with Polly.Extensions' own <c>AddResiliencePipeline</c>,
/// i.e. what any pipeline from Polly's registry pays on top (its telemetry and execution tracking).</item>
/// <item><c>Faultline</c>: <c>GetPipeline("db")</c>, or <c>GetPipeline(FaultlinePipelines.Idempotent("db"))</c> for the
/// idempotent categories, from a real service provider with <c>AddFaultline</c> + <c>AddDependency</c>.</item>
/// </list>
/// The callbacks complete synchronously (a <c>ValueTask</c>, and a <c>ValueTask&lt;int&gt;</c> through a static lambda
/// with state), so the figures are the pipelines' own cost.
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class PipelineBenchmarks
{
    private const string Dependency = "db";
    private const string Plain = "plain, ValueTask";
    private const string PlainInt = "plain, ValueTask<int>";
    private const string Idempotent = "idempotent, ValueTask";
    private const string IdempotentInt = "idempotent, ValueTask<int>";

    // The dependency's settings, given explicitly so that the bare pipelines can use the same values.
    private const int FailureThreshold = 3;
    private static readonly TimeSpan SamplingDuration = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan BreakDuration = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private const int Retries = 2;

    private static readonly Func<CancellationToken, ValueTask> Callback = static _ => ValueTask.CompletedTask;
    private static readonly Func<int, CancellationToken, ValueTask<int>> CallbackInt = static (state, _) => ValueTask.FromResult(state);

    private IHost _host = null!;
    private ResiliencePipeline _faultline = null!;
    private ResiliencePipeline _faultlineIdempotent = null!;
    private ResiliencePipeline _polly = null!;
    private ResiliencePipeline _pollyIdempotent = null!;
    private ResiliencePipeline _registry = null!;
    private ResiliencePipeline _registryIdempotent = null!;
    private readonly int _state = 42;

    [GlobalSetup]
    public void Setup()
    {
        // A real host's service provider, not started: the background evaluator does not run, so nothing but the
        // benchmark goes through the breaker.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            EnvironmentName = Environments.Production,
            ApplicationName = "PipelineBench",
        });
        builder.Services
            .AddFaultline(o =>
            {
                o.Profile = FaultlineProfile.Production;
                o.Breakers[Dependency] = new BreakerOptions { FailureThreshold = FailureThreshold, SamplingDuration = SamplingDuration, BreakDuration = BreakDuration };
                o.Requests[Dependency] = new RequestOptions { Timeout = Timeout, Retries = Retries };
            })
            .AddDependency(new TargetSpec { Name = Dependency, Kind = "http", Url = "http://127.0.0.1:1/" });
        builder.Services.AddResiliencePipeline("polly", static pipeline => PlainStrategies(pipeline));
        builder.Services.AddResiliencePipeline("polly/idempotent", static pipeline => IdempotentStrategies(pipeline));
        _host = builder.Build();
        var provider = _host.Services.GetRequiredService<ResiliencePipelineProvider<string>>();
        _faultline = provider.GetPipeline(Dependency);
        _faultlineIdempotent = provider.GetPipeline(FaultlinePipelines.Idempotent(Dependency));
        _registry = provider.GetPipeline("polly");
        _registryIdempotent = provider.GetPipeline("polly/idempotent");

        _polly = PlainStrategies(new ResiliencePipelineBuilder()).Build();
        _pollyIdempotent = IdempotentStrategies(new ResiliencePipelineBuilder()).Build();
    }

    [GlobalCleanup]
    public void Cleanup() => _host.Dispose();

    private static ResiliencePipelineBuilder PlainStrategies(ResiliencePipelineBuilder pipeline) => pipeline
        .AddCircuitBreaker(new CircuitBreakerStrategyOptions
        {
            FailureRatio = 1.0,
            MinimumThroughput = FailureThreshold,
            SamplingDuration = SamplingDuration,
            BreakDuration = BreakDuration,
        })
        .AddTimeout(Timeout);

    private static ResiliencePipelineBuilder IdempotentStrategies(ResiliencePipelineBuilder pipeline) => PlainStrategies(pipeline
        .AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = Retries,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(100),
            MaxDelay = TimeSpan.FromSeconds(1),
        }));

    [Benchmark(Description = "Callback")]
    [BenchmarkCategory(Plain)]
    public ValueTask PlainCallback() => Callback(CancellationToken.None);

    [Benchmark(Baseline = true, Description = "BarePolly")]
    [BenchmarkCategory(Plain)]
    public ValueTask PlainPolly() => _polly.ExecuteAsync(Callback, CancellationToken.None);

    [Benchmark(Description = "PollyRegistry")]
    [BenchmarkCategory(Plain)]
    public ValueTask PlainRegistry() => _registry.ExecuteAsync(Callback, CancellationToken.None);

    [Benchmark(Description = "Faultline")]
    [BenchmarkCategory(Plain)]
    public ValueTask PlainFaultline() => _faultline.ExecuteAsync(Callback, CancellationToken.None);

    [Benchmark(Description = "Callback")]
    [BenchmarkCategory(PlainInt)]
    public ValueTask<int> PlainIntCallback() => CallbackInt(_state, CancellationToken.None);

    [Benchmark(Baseline = true, Description = "BarePolly")]
    [BenchmarkCategory(PlainInt)]
    public ValueTask<int> PlainIntPolly() => _polly.ExecuteAsync(CallbackInt, _state, CancellationToken.None);

    [Benchmark(Description = "PollyRegistry")]
    [BenchmarkCategory(PlainInt)]
    public ValueTask<int> PlainIntRegistry() => _registry.ExecuteAsync(CallbackInt, _state, CancellationToken.None);

    [Benchmark(Description = "Faultline")]
    [BenchmarkCategory(PlainInt)]
    public ValueTask<int> PlainIntFaultline() => _faultline.ExecuteAsync(CallbackInt, _state, CancellationToken.None);

    [Benchmark(Description = "Callback")]
    [BenchmarkCategory(Idempotent)]
    public ValueTask IdempotentCallback() => Callback(CancellationToken.None);

    [Benchmark(Baseline = true, Description = "BarePolly")]
    [BenchmarkCategory(Idempotent)]
    public ValueTask IdempotentPolly() => _pollyIdempotent.ExecuteAsync(Callback, CancellationToken.None);

    [Benchmark(Description = "PollyRegistry")]
    [BenchmarkCategory(Idempotent)]
    public ValueTask IdempotentRegistry() => _registryIdempotent.ExecuteAsync(Callback, CancellationToken.None);

    [Benchmark(Description = "Faultline")]
    [BenchmarkCategory(Idempotent)]
    public ValueTask IdempotentFaultline() => _faultlineIdempotent.ExecuteAsync(Callback, CancellationToken.None);

    [Benchmark(Description = "Callback")]
    [BenchmarkCategory(IdempotentInt)]
    public ValueTask<int> IdempotentIntCallback() => CallbackInt(_state, CancellationToken.None);

    [Benchmark(Baseline = true, Description = "BarePolly")]
    [BenchmarkCategory(IdempotentInt)]
    public ValueTask<int> IdempotentIntPolly() => _pollyIdempotent.ExecuteAsync(CallbackInt, _state, CancellationToken.None);

    [Benchmark(Description = "PollyRegistry")]
    [BenchmarkCategory(IdempotentInt)]
    public ValueTask<int> IdempotentIntRegistry() => _registryIdempotent.ExecuteAsync(CallbackInt, _state, CancellationToken.None);

    [Benchmark(Description = "Faultline")]
    [BenchmarkCategory(IdempotentInt)]
    public ValueTask<int> IdempotentIntFaultline() => _faultlineIdempotent.ExecuteAsync(CallbackInt, _state, CancellationToken.None);
}
