using System.Text.Json.Nodes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;

namespace GPT4RoI.Benchmarks.Infrastructure;

/// <summary>
/// Runs one BenchmarkDotNet class in this process and returns one JSON record per (method, parameters):
/// seconds per operation (median, mean, standard deviation, min over the iterations) and allocated bytes per operation.
/// </summary>
/// <remarks>
/// In process (<see cref="InProcessEmitToolchain"/>): no per-benchmark project build, so a quick run takes seconds, and the
/// benchmark classes see <see cref="BenchContext.Current"/>. The job mirrors the Python side's timing
/// (benchmarks/python/benchcommon.py): full = 3 warm-up and 15 measured iterations of about 200 ms; quick = 1 warm-up
/// and 3 single calls. BenchmarkDotNet's own log goes to <c>run/&lt;id&gt;/bdn.log</c>.
/// </remarks>
public static class BdnRunner
{
    public static JsonArray Run(Type benchmarks, BenchContext context, string id)
    {
        ArgumentNullException.ThrowIfNull(benchmarks);
        ArgumentNullException.ThrowIfNull(context);
        var dir = context.BenchDirectory(id);
        Directory.CreateDirectory(dir);
        var job = Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithLaunchCount(1);
        job = context.Quick
            // Smoke test: no pilot or overhead stages, one call per iteration.
            ? job.WithStrategy(RunStrategy.Monitoring).WithWarmupCount(1).WithIterationCount(3).WithId("quick")
            : job.WithWarmupCount(3).WithIterationCount(15).WithIterationTime(TimeInterval.FromMilliseconds(200)).WithId("full");

        using var log = new StreamWriter(Path.Combine(dir, "bdn.log"), append: true);
        var config = ManualConfig.CreateEmpty()
            .AddJob(job)
            .AddLogger(new StreamLogger(log))
            .AddColumnProvider(DefaultColumnProviders.Instance)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .WithArtifactsPath(Path.Combine(dir, "bdn"))
            .WithOptions(ConfigOptions.DisableLogFile | ConfigOptions.JoinSummary);

        var summary = BenchmarkRunner.Run(benchmarks, config);
        var records = new JsonArray();
        foreach (var report in summary.Reports)
        {
            var bc = report.BenchmarkCase;
            var record = new JsonObject { ["impl"] = bc.Descriptor.WorkloadMethod.Name };
            foreach (var p in bc.Parameters.Items)
            {
                record[ToSnake(p.Name)] = p.Value switch
                {
                    int i => JsonValue.Create(i),
                    string s => JsonValue.Create(s),
                    var v => JsonValue.Create(v?.ToString()),
                };
            }

            var stats = report.ResultStatistics;
            if (stats is null)
            {
                record["error"] = "no result (see bdn.log)";
            }
            else
            {
                record["median_s"] = stats.Median / 1e9;
                record["mean_s"] = stats.Mean / 1e9;
                record["stdev_s"] = stats.StandardDeviation / 1e9;
                record["min_s"] = stats.Min / 1e9;
                record["iterations"] = stats.N;
                record["allocated_bytes_per_op"] = report.GcStats.GetBytesAllocatedPerOperation(bc);
            }

            records.Add(record);
        }

        return records;
    }

    private static string ToSnake(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(c) : c.ToString()));
}
