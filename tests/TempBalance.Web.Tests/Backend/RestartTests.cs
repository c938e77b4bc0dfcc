using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;
using TempBalance.Web.Data;
using TempBalance.Web.Runs;

namespace TempBalance.Web.Tests.Backend;

[Collection(TrainingCollection.Name)]
public sealed class RestartTests : IDisposable
{
    // Enough epochs that the run cannot finish while the first host stops (with 3, a slow stop on a loaded CI
    // machine once let the last two epochs complete first).
    const int Epochs = 6;
    readonly string _dataDirectory = TempBalanceAppFactory.CreateDataDirectory();

    [Fact]
    public async Task Run_stopped_by_a_restart_resumes_from_its_checkpoint_and_stores_every_epoch_once()
    {
        long id;
        await using (var first = new TempBalanceAppFactory(_dataDirectory))
        {
            using var client = first.StartAndCreateClient();
            id = (await client.CreateRunsAsync(TrainedRunFixture.SmallRunRequest(Epochs, subset: 512))).Single();
            var running = await client.WaitForRunAsync(id, r => r.Summary.CompletedEpochs >= 1 || r.Summary.Status.IsFinished(), TimeSpan.FromSeconds(120));
            Assert.Equal(RunStatus.Running, running.Summary.Status);
        }

        // The host stopped mid-run: the database still says Running, with epoch 1 (at least) stored.
        var (status, storedBeforeRestart) = await ReadRunAsync(id);
        Assert.Equal(RunStatus.Running, status);
        Assert.InRange(storedBeforeRestart.Count, 2, Epochs);
        Assert.Equal(Enumerable.Range(0, storedBeforeRestart.Count), storedBeforeRestart.Keys.Order());
        Assert.True(File.Exists(Path.Combine(RunDirectory(id), "checkpoint.bin")));

        await using var second = new TempBalanceAppFactory(_dataDirectory);
        using var client2 = second.StartAndCreateClient();
        var received = new ConcurrentQueue<int>();
        await using var hub = second.CreateHubConnection();
        hub.On<JsonElement>("EpochCompleted", m => received.Enqueue(m.GetProperty("epoch").GetProperty("epoch").GetInt32()));
        await hub.StartAsync();
        await hub.InvokeAsync<long>("JoinRun", id);

        var done = await client2.WaitForRunAsync(id, r => r.Summary.Status.IsFinished(), TimeSpan.FromSeconds(120));
        Assert.True(done.Summary.Status == RunStatus.Completed, $"{done.Summary.Status}: {done.Summary.ErrorMessage}");

        var epochs = await client2.GetJsonAsync<List<EpochPoint>>($"/api/runs/{id}/epochs");
        Assert.Equal(Enumerable.Range(0, Epochs + 1), epochs.Select(e => e.Epoch));
        var (_, storedAfter) = await ReadRunAsync(id);
        // Epochs stored before the restart were neither trained nor stored again: same rows, same timestamps.
        foreach (var (epoch, recordedAt) in storedBeforeRestart.Where(e => e.Key < storedBeforeRestart.Count - 1))
            Assert.Equal(recordedAt, storedAfter[epoch]);
        Assert.All(received, epoch => Assert.True(epoch >= storedBeforeRestart.Count - 1, $"epoch {epoch} was trained again after the restart"));

        // The trainer's own results list each epoch once as well.
        var csv = File.ReadAllLines(Path.Combine(RunDirectory(id), "epochs.csv")).Skip(1)
            .Select(line => int.Parse(line.Split(',')[0], CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(Enumerable.Range(0, Epochs + 1), csv);
    }

    string RunDirectory(long id) => Path.Combine(_dataDirectory, "runs", id.ToString(CultureInfo.InvariantCulture));

    async Task<(RunStatus Status, Dictionary<int, DateTime> RecordedAt)> ReadRunAsync(long id)
    {
        var options = new DbContextOptionsBuilder().UseSqlite($"Data Source={Path.Combine(_dataDirectory, "tempbalance.db")}").Options;
        await using var db = new TempBalanceDbContext(options);
        var status = await db.Runs.Where(r => r.Id == id).Select(r => r.Status).SingleAsync();
        var recorded = await db.EpochMetrics.Where(e => e.RunId == id).ToDictionaryAsync(e => e.Epoch, e => e.RecordedAt);
        return (status, recorded);
    }

    public void Dispose() => TempBalanceAppFactory.DeleteDataDirectory(_dataDirectory);
}
