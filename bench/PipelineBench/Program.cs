using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;

// Short enough for a small shared machine (one launch, 3 warm-up and 10 measured iterations per benchmark);
// the table keeps the columns bench/RESULTS-aspnetcore.md shows.
var config = DefaultConfig.Instance
    .AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(10).WithId("Pipeline"))
    .HideColumns(Column.Job, Column.LaunchCount, Column.WarmupCount, Column.IterationCount, Column.StdDev, Column.RatioSD, Column.Median, Column.Gen0)
    .WithOrderer(new BenchmarkDotNet.Order.DefaultOrderer(BenchmarkDotNet.Order.SummaryOrderPolicy.Declared));

BenchmarkSwitcher.FromAssembly(typeof(Faultline.Bench.PipelineBenchmarks).Assembly).Run(args, config);
