using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TempBalance.Core.Training;
using TempBalance.Web.Data;
using TempBalance.Web.Runs;

namespace TempBalance.Web.Benchmarks;

/// <summary>
/// `TempBalance.Web --bench-runs-page [--runs N]`: seeds N runs (default 10,000) into a fresh SQLite file in a
/// temporary directory and prints how long the Runs page's queries take inside RunService (server time,
/// no HTTP or rendering), cold and warm, and the CPU time per warm call. The directory is deleted afterwards.
/// </summary>
public static class RunsPageBenchmark
{
    public const string Flag = "--bench-runs-page";
    const int WarmIterations = 50;

    public static string CreateDataDirectory() =>
        Directory.CreateTempSubdirectory("tempbalance-bench-").FullName;

    public static async Task RunAsync(IServiceProvider services, DatabaseSettings database)
    {
        var args = Environment.GetCommandLineArgs();
        int runCount = args.SkipWhile(a => a != "--runs").Skip(1).Select(int.Parse).FirstOrDefault(10_000);
        var dataDirectory = services.GetRequiredService<IOptions<TempBalanceWebOptions>>().Value.DataDirectoryPath;
        try
        {
            await database.MigrateAsync();
            var seedClock = Stopwatch.StartNew();
            await SeedAsync(services.GetRequiredService<IDbContextFactory<TempBalanceDbContext>>(), runCount);
            Console.WriteLine($"Seeded {runCount:N0} runs into {database.ConnectionString} in {seedClock.Elapsed.TotalSeconds:F1} s");

            var runs = services.GetRequiredService<RunService>();
            (string Name, RunQuery Query)[] cases =
            [
                ("first page (newest first, 25 rows)", new RunQuery()),
                ("sorted by best accuracy", new RunQuery { Sort = RunSort.BestAccuracy }),
                ("status = Completed", new RunQuery { Statuses = [RunStatus.Completed] }),
                ("model + dataset filter", new RunQuery { Model = "resnet18", Dataset = "cifar100" }),
                ("search 'paper'", new RunQuery { Search = "paper" }),
                ("tag = ablation", new RunQuery { Tag = "ablation" }),
                ("page 200 of 25", new RunQuery { Page = 200 }),
                ("sorted by lr", new RunQuery { Sort = RunSort.Lr }),
                ("sorted by s1 (nulls last)", new RunQuery { Sort = RunSort.S1, Descending = false }),
                ("lr = 0.05", new RunQuery { Filters = [Filter("lr", "0.05")] }),
                ("lr 0.01..0.05 + batch 128 + sgd", new RunQuery { Filters = [Filter("lr", "0.01..0.05"), Filter("batchSize", "128"), Filter("optimizer", "sgd")] }),
                ("archived only", new RunQuery { Archived = ArchivedFilter.Only }),
            ];
            var distinct = Stopwatch.StartNew();
            var lrs = await runs.HyperparameterValuesAsync("lr", new RunQuery());
            Console.WriteLine($"distinct lr values (filter menu): {lrs!.Count} in {distinct.Elapsed.TotalMilliseconds:F1} ms (cold)");
            // CPU time per call as well: on a shared machine wall time is mostly waiting for a core.
            Console.WriteLine($"{"query",-38} {"rows",6} {"total",7} {"cold ms",8} {"median ms",10} {"p95 ms",8} {"cpu ms",7}");
            foreach (var (name, query) in cases)
            {
                var clock = Stopwatch.StartNew();
                var page = await runs.ListAsync(query);
                double cold = clock.Elapsed.TotalMilliseconds;
                // Tiered JIT recompiles hot code in the background during the first calls; keep that out of the CPU time.
                for (int i = 0; i < 10; i++) await runs.ListAsync(query);
                var warm = new double[WarmIterations];
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                for (int i = 0; i < WarmIterations; i++)
                {
                    clock.Restart();
                    await runs.ListAsync(query);
                    warm[i] = clock.Elapsed.TotalMilliseconds;
                }
                double cpuPerCall = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds / WarmIterations;
                Array.Sort(warm);
                Console.WriteLine($"{name,-38} {page.Items.Count,6} {page.TotalCount,7} {cold,8:F1} {warm[WarmIterations / 2],10:F2} {warm[(int)(WarmIterations * 0.95)],8:F2} {cpuPerCall,7:F2}");
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    static HyperparameterFilter Filter(string key, string text) =>
        Hyperparameters.Find(key)!.Parse(text, out _) ?? throw new ArgumentException(text);

    static async Task SeedAsync(IDbContextFactory<TempBalanceDbContext> dbFactory, int count)
    {
        string[] models = ["smallcnn", "resnet18", "resnet34", "vgg16", "wrn16_8"];
        string[] datasets = ["fashion-mnist", "cifar10", "cifar100", "svhn"];
        string[] methods = ["baseline", "tb", "tb+snr", "lamb"];
        double[] lrs = [0.01, 0.02, 0.05, 0.1];
        int[] batchSizes = [64, 128, 256];
        string[][] tagSets = [[], ["paper"], ["ablation"], ["paper", "ablation"], ["quickstart"]];
        var statuses = Enum.GetValues<RunStatus>();
        var random = new Random(7);
        var start = DateTime.UtcNow.AddDays(-365);
        const int batch = 2_000;
        for (int offset = 0; offset < count; offset += batch)
        {
            await using var db = await dbFactory.CreateDbContextAsync();
            for (int i = offset; i < Math.Min(count, offset + batch); i++)
            {
                var config = RecipePresets.Find(methods[i % methods.Length])!.Apply(new TrainingConfig
                {
                    Model = models[random.Next(models.Length)],
                    Dataset = datasets[random.Next(datasets.Length)],
                    Epochs = 200,
                    Seed = 42 + i / 2 % 5,
                }) with
                { Lr = lrs[random.Next(lrs.Length)], BatchSize = batchSizes[random.Next(batchSizes.Length)] };
                var status = random.NextDouble() < 0.9 ? RunStatus.Completed : statuses[random.Next(statuses.Length)];
                double? accuracy = status == RunStatus.Completed ? 0.6 + 0.35 * random.NextDouble() : null;
                var run = Run.For(config, status, start.AddMinutes(i * 50.0));
                run.StartedAt = start.AddMinutes(i * 50.0 + 1);
                run.FinishedAt = status.IsFinished() ? start.AddMinutes(i * 50.0 + 45) : null;
                run.Tags = [.. tagSets[random.Next(tagSets.Length)]];
                run.Notes = random.NextDouble() < 0.3 ? "Reproducing the paper's setup with a different seed." : null;
                run.GroupId = i % 10 < 4 ? new Guid(i / 4 + 1, 0, 0, new byte[8]) : null;
                run.GroupName = i % 10 < 4 ? $"{config.Model} on {config.Dataset}: baseline vs tempbalance" : null;
                run.BestTestAccuracy = accuracy;
                run.FinalTestAccuracy = accuracy - 0.003;
                run.CompletedEpochs = status == RunStatus.Completed ? 200 : random.Next(0, 200);
                run.ArchivedAt = random.NextDouble() < 0.1 ? run.FinishedAt : null;
                db.Runs.Add(run);
            }
            await db.SaveChangesAsync();
        }
    }
}
