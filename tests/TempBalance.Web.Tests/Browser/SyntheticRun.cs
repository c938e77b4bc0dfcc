using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TempBalance.Core.Scheduling;
using TempBalance.Core.Training;
using TempBalance.Web.Data;
using TempBalance.Web.Jobs;

namespace TempBalance.Web.Tests.Browser;

/// <summary>
/// A made-up run with plausible numbers, stored and published through the training job's own epoch store, as if
/// it had trained: for browser tests and benchmarks that need many epochs and layers without training them.
/// </summary>
/// <param name="config">The run's config (resnet18 on cifar100 with TempBalance when not given); its seed shifts the
/// made-up accuracies a little, so runs of one setup spread like seeds do.</param>
public sealed class SyntheticRun(IServiceProvider services, int epochs, int layers, TrainingConfig? config = null)
{
    readonly TrainingJob _job = services.GetRequiredService<TrainingJob>();

    public long Id { get; private set; }

    /// <summary>Stores epochs 0..<paramref name="storedEpochs"/> with their layers and spectra.</summary>
    public async Task SeedAsync(int storedEpochs, RunStatus status)
    {
        var factory = services.GetRequiredService<IDbContextFactory<TempBalanceDbContext>>();
        await using (var db = await factory.CreateDbContextAsync())
        {
            var run = Run.For(_config, status, DateTime.UtcNow);
            run.StartedAt = run.CreatedAt;
            run.Tags = ["synthetic"];
            db.Runs.Add(run);
            await db.SaveChangesAsync();
            Id = run.Id;
        }
        for (var e = 0; e <= storedEpochs; e++) _job.StoreEpoch(Id, epochs, Report(e), publish: false);
    }

    /// <summary>
    /// Records where the run trained and what it cost the machine, as the training job does when it starts and with
    /// each heartbeat: a GPU run, sampled every 10 s for <paramref name="minutes"/> minutes.
    /// </summary>
    public async Task RecordEnvironmentAsync(int minutes = 8)
    {
        var environment = new RunEnvironment("cuda:0", "NVIDIA H200", 16, "0.107.0", "2.10.0", "1.0.0",
            "Debian GNU/Linux 12 (bookworm)", "lab-gpu-1", 50_000, 10_000);
        var factory = services.GetRequiredService<IDbContextFactory<TempBalanceDbContext>>();
        await using var db = await factory.CreateDbContextAsync();
        var json = System.Text.Json.JsonSerializer.Serialize(environment, RunJson.Options);
        await db.Runs.Where(r => r.Id == Id).ExecuteUpdateAsync(s => s.SetProperty(r => r.EnvironmentJson, json));
        var start = DateTime.UtcNow.AddMinutes(-minutes);
        // Busy while training, a dip in each epoch's test pass and spectral analysis; memory grows, then settles.
        db.SystemMetrics.AddRange(Enumerable.Range(0, minutes * 6).Select(k => new SystemMetric
        {
            RunId = Id,
            At = start.AddSeconds(10 * k),
            CpuPercent = k == 0 ? 0 : k % 9 == 8 ? 60 : 98 + 3 * Math.Sin(k),
            MemoryMegabytes = 2100 + 600 * (1 - Math.Exp(-k / 12.0)),
            GpuUtilizationPercent = k % 9 == 8 ? 12 : 91 + 4 * Math.Cos(k),
            GpuMemoryMegabytes = 5400 + 20 * Math.Sin(k / 3.0),
        }));
        await db.SaveChangesAsync();
    }

    /// <summary>Stores an epoch's metrics, layers and spectra, then publishes them: what the training job does.</summary>
    public Task PublishAsync(int epoch) => Task.Run(() => _job.StoreEpoch(Id, epochs, Report(epoch), publish: true));

    readonly TrainingConfig _config = config ?? new TrainingConfig { Model = "resnet18", Dataset = "cifar100", Method = "tempbalance", Epochs = epochs, Lr = 0.1 };

    // Zero for the default run, so its numbers stay what other tests expect; seeds and learning rates move the others.
    readonly double _shift = config is null ? 0 : 0.02 * (config.Seed % 5 - 2) + 0.5 * (config.Lr - 0.1);

    EpochReport Report(int e)
    {
        var progress = (double)e / epochs;
        var (during, next) = (e == 0 ? null : AssignedRates(e - 1), AssignedRates(e));
        // Epoch 0 has no training pass in this made-up run: its train metrics are left out (stored as null).
        return new EpochReport(e, e == 0 ? double.NaN : 2.3 * Math.Exp(-3 * progress) + 0.05, e == 0 ? double.NaN : 0.98 - 0.88 * Math.Exp(-4 * progress),
            2.3 * Math.Exp(-2.5 * progress) + 0.4 - _shift, 0.77 - 0.67 * Math.Exp(-4 * progress) + 0.01 * Math.Sin(e) + _shift, e == 0 ? null : Lr(e), 30, 2,
            [.. Enumerable.Range(0, layers).Select(i =>
            {
                var alpha = Alpha(e, i);
                return new LayerReport(i, $"layer{i / 4 + 1}.{i % 4}.conv", "Conv2d", 64 * (1 + i % 8), alpha, 0.05, 0.8, 10 + i,
                    null, during?[i], next[i], Tuned(i), null, Histogram(alpha),
                    0.5 + 0.01 * e + 0.02 * i, 0.01 * i);
            })],
            e == 0 ? null : BatchLosses(e));
    }

    // CIFAR's 391 batches of 128, with noise around the epoch's falling loss, reduced as training reduces them.
    IReadOnlyList<BatchLossPoint> BatchLosses(int e)
    {
        const int batches = 391;
        var curve = new BatchLossCurve(e, batches);
        for (var b = 1; b <= batches; b++)
        {
            var at = (e - 1 + (double)b / batches) / epochs;
            curve.Add(b, (2.3 * Math.Exp(-3 * at) + 0.05) * (1 + 0.15 * Math.Sin(b * 12.9898 + e * 78.233)));
        }
        return curve.Points;
    }

    double Lr(int e) => 0.05 * (1 + Math.Cos(Math.PI * e / epochs));

    double Alpha(int e, int i) => 2.2 + 4 * Math.Exp(-e / 40.0) * (1 + 0.5 * Math.Sin(i)) + 0.03 * i;

    // As TempBalance does it: the first and last layers are not tuned and train at the global rate.
    bool Tuned(int i) => i > 0 && i < layers - 1;

    /// <summary>The rates epoch <paramref name="e"/>'s analysis assigns for the next epoch, by TempBalance's rule.</summary>
    double[] AssignedRates(int e)
    {
        var tuned = Enumerable.Range(0, layers).Where(Tuned).ToArray();
        var rates = LrAssignment.Assign([.. tuned.Select(i => Alpha(e, i))], Lr(e + 1), new TempBalanceOptions());
        var all = Enumerable.Repeat(Lr(e + 1), layers).ToArray();
        for (var k = 0; k < tuned.Length; k++) all[tuned[k]] = rates[k];
        return all;
    }

    // A log-binned density falling as a power law, so the ESD plot and its fit look like a real layer's.
    static EsdHistogram Histogram(double alpha)
    {
        var edges = Enumerable.Range(0, 31).Select(k => -2 + k * 0.1).ToArray();
        var counts = Enumerable.Range(0, 30).Select(k => (int)Math.Max(0, 400 * Math.Pow(10, -(alpha - 1) * Math.Max(0, edges[k] + 0.1)))).ToArray();
        return new EsdHistogram(edges, counts);
    }
}
