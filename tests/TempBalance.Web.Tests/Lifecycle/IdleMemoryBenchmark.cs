using System.Diagnostics;
using TempBalance.Core.Training;
using TempBalance.Web.Data;
using TempBalance.Web.Jobs;
using TempBalance.Web.Tests.Browser;
using Xunit.Abstractions;

namespace TempBalance.Web.Tests.Lifecycle;

/// <summary>
/// Where the memory of an idle app that has trained many runs goes: trains small Fashion-MNIST runs one after
/// another through the real training job (which hands freed native memory back after each run,
/// <see cref="NativeMemory"/>) and prints, after each, the managed heap and the resident set. A measurement, not a
/// test: it asserts only that the runs completed, and its figures are recorded in docs/benchmarks.md (Idle memory).
///   TEMPBALANCE_BENCHMARKS=1 dotnet test tests/TempBalance.Web.Tests -c Release --filter "FullyQualifiedName~IdleMemoryBenchmark" --logger "console;verbosity=detailed"
/// </summary>
[Trait("Category", "Benchmark")]
[Collection(Backend.TrainingCollection.Name)]
public sealed class IdleMemoryBenchmark(ITestOutputHelper output)
{
    [BenchmarkFact]
    public async Task Memory_after_each_of_twelve_runs()
    {
        await using var h = await LifecycleHarness.CreateAsync(o => o.DatasetRoot = "/usr/share/datasets");
        var job = new TrainingJob(h.Db, h.Lifecycle, new TorchTrainerFactory(new SharedDatasets(TimeProvider.System)), h.Updates, h.Cancellations,
            Microsoft.Extensions.Options.Options.Create(h.Options), TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<TrainingJob>.Instance);
        output.WriteLine("run  managed MB  resident MB");
        for (int i = 1; i <= 12; i++)
        {
            var config = RecipePresets.WithTempBalance(new TrainingConfig
            {
                Model = "smallcnn",
                Dataset = "fashion-mnist",
                Epochs = 1,
                BatchSize = 64,
                Subset = 512,
                Device = "cpu",
                Seed = i,
            }, false);
            var result = await h.Runs.CreateAsync(new TempBalance.Web.Runs.NewRunRequest { Config = config });
            var id = result.RunIds.Single();
            // As Hangfire runs it: on a worker thread of its own.
            await Task.Run(() => job.RunAsync(id, CancellationToken.None));
            Assert.Equal(RunStatus.Completed, (await h.ReadAsync(id)).Status);

            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            var managed = GC.GetTotalMemory(forceFullCollection: true) / 1e6;
            output.WriteLine($"{i,3}  {managed,10:0.0}  {Resident(),11:0}");
        }
        // The job has trimmed after its last run already: a second trim finds little left to return.
        NativeMemory.ReturnFreedMemory();
        output.WriteLine($"after another malloc_trim(0): resident {Resident():0} MB");
    }

    static double Resident()
    {
        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64 / 1e6;
    }
}
