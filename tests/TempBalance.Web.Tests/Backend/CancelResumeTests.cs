using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TempBalance.Core.Training;
using TempBalance.Web.Data;
using TempBalance.Web.Jobs;
using TempBalance.Web.Runs;

namespace TempBalance.Web.Tests.Backend;

[Collection(TrainingCollection.Name)]
public sealed class CancelResumeTests : IAsyncLifetime
{
    StartedApp _app = null!;
    HttpClient _client = null!;

    public Task InitializeAsync()
    {
        _app = new StartedApp();
        _client = _app.Client;
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Queued_run_cancels_at_once_running_run_after_a_cancel_request_and_a_cancelled_run_resumes()
    {
        // Two seeds on one worker: the first trains, the second waits in the queue.
        var request = new
        {
            config = new { model = "smallcnn", dataset = "fashion-mnist", method = "baseline", epochs = 30, batchSize = 64, subset = 1024, augment = false, device = "cpu" },
            seeds = 2,
        };
        var ids = await _client.CreateRunsAsync(request);
        Assert.Equal(2, ids.Count);
        var group = await _client.GetJsonAsync<RunPage>($"/api/runs?search={ids[0]}");
        Assert.NotNull(group.Items.Single().GroupId);

        var queued = await PostAsync<RunTransition>($"/api/runs/{ids[1]}/cancel");
        Assert.Equal(RunStatus.Cancelled, queued.Status);

        await _client.WaitForRunAsync(ids[0], r => r.Summary.CompletedEpochs >= 1, TimeSpan.FromSeconds(90));
        var requested = await PostAsync<RunTransition>($"/api/runs/{ids[0]}/cancel");
        Assert.Equal(RunStatus.CancelRequested, requested.Status);
        var cancelled = await _client.WaitForRunAsync(ids[0], r => r.Summary.Status.IsFinished(), TimeSpan.FromSeconds(30));
        Assert.Equal(RunStatus.Cancelled, cancelled.Summary.Status);
        int epochsBefore = cancelled.Summary.CompletedEpochs!.Value;
        Assert.True(epochsBefore < 30);

        using (var again = await _client.PostAsync($"/api/runs/{ids[0]}/cancel", null))
            Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);

        var resumed = await PostAsync<RunTransition>($"/api/runs/{ids[0]}/resume");
        Assert.Equal(RunStatus.Queued, resumed.Status);
        var progressed = await _client.WaitForRunAsync(ids[0], r => r.Summary.CompletedEpochs > epochsBefore, TimeSpan.FromSeconds(60));
        Assert.Equal(RunStatus.Running, progressed.Summary.Status);
        await PostAsync<RunTransition>($"/api/runs/{ids[0]}/cancel");
        await _client.WaitForRunAsync(ids[0], r => r.Summary.Status == RunStatus.Cancelled, TimeSpan.FromSeconds(30));

        var epochs = await _client.GetJsonAsync<List<EpochPoint>>($"/api/runs/{ids[0]}/epochs");
        Assert.Equal(Enumerable.Range(0, epochs.Count), epochs.Select(e => e.Epoch));
        Assert.True(epochs.Count > epochsBefore + 1);
    }

    [Fact]
    public async Task Run_without_heartbeat_is_marked_interrupted_and_can_be_resumed()
    {
        var factory = _app.Services.GetRequiredService<IDbContextFactory<TempBalanceDbContext>>();
        long id;
        await using (var db = await factory.CreateDbContextAsync())
        {
            var config = new TrainingConfig { Model = "smallcnn", Dataset = "fashion-mnist", Epochs = 1, Subset = 128, BatchSize = 64, Device = "cpu" };
            var run = Run.For(config, RunStatus.Running, DateTime.UtcNow.AddHours(-1));
            run.HeartbeatAt = run.CreatedAt;
            db.Runs.Add(run);
            await db.SaveChangesAsync();
            id = run.Id;
        }

        await _app.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<StaleRunSweeper>().Single().SweepAsync();
        var interrupted = await _client.GetJsonAsync<RunDetails>($"/api/runs/{id}");
        Assert.Equal(RunStatus.Interrupted, interrupted.Summary.Status);
        Assert.Contains("No heartbeat", interrupted.Summary.ErrorMessage);

        await PostAsync<RunTransition>($"/api/runs/{id}/resume");
        var done = await _client.WaitForRunAsync(id, r => r.Summary.Status.IsFinished(), TimeSpan.FromSeconds(60));
        Assert.True(done.Summary.Status == RunStatus.Completed, $"{done.Summary.Status}: {done.Summary.ErrorMessage}");
        Assert.Equal(1, done.Summary.CompletedEpochs);
    }

    [Fact]
    public async Task Quickstart_queues_a_fashion_mnist_baseline_vs_tempbalance_group()
    {
        using var response = await _client.PostAsync("/api/quickstart", null);
        var ids = await ApiClient.ReadCreatedIdsAsync(response);
        Assert.Equal(2, ids.Count);
        foreach (var id in ids.AsEnumerable().Reverse()) await PostAsync<RunTransition>($"/api/runs/{id}/cancel");

        var runs = await _client.GetJsonAsync<RunPage>("/api/runs?tag=quickstart&sort=id&desc=false");
        Assert.Equal(ids, runs.Items.Select(r => r.Id));
        Assert.Equal(["baseline", "tb"], runs.Items.Select(r => r.Method));
        Assert.All(runs.Items, r =>
        {
            Assert.Equal("smallcnn", r.Model);
            Assert.Equal("fashion-mnist", r.Dataset);
            Assert.Equal(runs.Items[0].GroupId, r.GroupId);
        });
        Assert.NotNull(runs.Items[0].GroupId);
        await _client.WaitForRunAsync(ids[0], r => r.Summary.Status == RunStatus.Cancelled, TimeSpan.FromSeconds(60));
    }

    async Task<T> PostAsync<T>(string url)
    {
        using var response = await _client.PostAsync(url, null);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"POST {url}: {(int)response.StatusCode} {body}");
        return (await response.Content.ReadFromJsonAsync<T>(ApiClient.Json))!;
    }

    public Task DisposeAsync() => _app.DisposeAsync().AsTask();
}
