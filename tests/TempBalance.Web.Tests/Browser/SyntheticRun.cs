using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
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

    /// <summary>Stores an epoch's metrics, layers and spectra, then publishes them: what the training job does.</summary>
    public Task PublishAsync(int epoch) => Task.Run(() => _job.StoreEpoch(Id, epochs, Report(epoch), publish: true));

    readonly TrainingConfig _config = config ?? new TrainingConfig { Model = "resnet18", Dataset = "cifar100", Method = "tempbalance", Epochs = epochs, Lr = 0.1 };

    // Zero for the default run, so its numbers stay what other tests expect; seeds and learning rates move the others.
    readonly double _shift = config is null ? 0 : 0.02 * (config.Seed % 5 - 2) + 0.5 * (config.Lr - 0.1);

    EpochReport Report(int e)
    {
        var progress = (double)e / epochs;
        // Epoch 0 has no training pass in this made-up run: its train metrics are left out (stored as null).
        return new EpochReport(e, e == 0 ? double.NaN : 2.3 * Math.Exp(-3 * progress) + 0.05, e == 0 ? double.NaN : 0.98 - 0.88 * Math.Exp(-4 * progress),
            2.3 * Math.Exp(-2.5 * progress) + 0.4 - _shift, 0.77 - 0.67 * Math.Exp(-4 * progress) + 0.01 * Math.Sin(e) + _shift, Lr(e), 30, 2,
            [.. Enumerable.Range(0, layers).Select(i =>
            {
                var alpha = 2.2 + 4 * Math.Exp(-e / 40.0) * (1 + 0.5 * Math.Sin(i)) + 0.03 * i;
                return new LayerReport(i, $"layer{i / 4 + 1}.{i % 4}.conv", "Conv2d", 64 * (1 + i % 8), alpha, 0.05, 0.8, 10 + i,
                    null, e == 0 ? null : Lr(e) * (0.5 + (alpha - 2) / 6), Lr(e) * (0.5 + (alpha - 2) / 6), true, null, Histogram(alpha),
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

    // A log-binned density falling as a power law, so the ESD plot and its fit look like a real layer's.
    static EsdHistogram Histogram(double alpha)
    {
        var edges = Enumerable.Range(0, 31).Select(k => -2 + k * 0.1).ToArray();
        var counts = Enumerable.Range(0, 30).Select(k => (int)Math.Max(0, 400 * Math.Pow(10, -(alpha - 1) * Math.Max(0, edges[k] + 0.1)))).ToArray();
        return new EsdHistogram(edges, counts);
    }
}
