using TempBalance.Web.Data;
using TempBalance.Web.Runs;

namespace TempBalance.Web.Tests.Backend;

/// <summary>
/// TempBalance:Workers = 2 on a CPU host: two queued runs train side by side, each with its share of the cores as
/// torch threads (before, every job took all of them, so two jobs fought over the cores).
/// </summary>
[Collection(TrainingCollection.Name)]
public sealed class ParallelWorkersTests : IAsyncLifetime
{
    StartedApp _app = null!;
    HttpClient _client = null!;

    public Task InitializeAsync()
    {
        _app = new StartedApp(new Dictionary<string, string?> { ["TempBalance:Workers"] = "2" });
        _client = _app.Client;
        return Task.CompletedTask;
    }

    public Task DisposeAsync() => _app.DisposeAsync().AsTask();

    [Fact]
    public async Task Two_workers_train_two_runs_at_once_with_half_the_cores_each()
    {
        var ids = await _client.CreateRunsAsync(new
        {
            config = new { model = "mlp", dataset = "synthetic", method = "baseline", epochs = 6, subset = 2048, batchSize = 16, device = "cpu" },
            seeds = 2,
        });
        var runs = await Task.WhenAll(ids.Select(id =>
            _client.WaitForRunAsync(id, r => r.Summary.Status.IsFinished(), TimeSpan.FromSeconds(180))));

        Assert.All(runs, r => Assert.Equal(RunStatus.Completed, r.Summary.Status));
        int share = Math.Max(1, System.Environment.ProcessorCount / 2);
        Assert.All(runs, r => Assert.Equal(share, r.Environment!.Threads));
        // Side by side: each started before the other finished.
        var (a, b) = (runs[0].Summary, runs[1].Summary);
        Assert.True(a.StartedAt < b.FinishedAt && b.StartedAt < a.FinishedAt,
            $"the runs trained one after the other: {a.StartedAt:O}-{a.FinishedAt:O} and {b.StartedAt:O}-{b.FinishedAt:O}");
        // The Sweeps page says so before a sweep is queued (its HTML encodes the apostrophe before "runs").
        Assert.Contains("runs train 2 at a time here (2 workers; TempBalance:Workers).", await _client.GetStringAsync("/sweeps"));
    }
}
