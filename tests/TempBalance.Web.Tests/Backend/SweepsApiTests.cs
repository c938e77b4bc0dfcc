using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using TempBalance.Web.Data;
using TempBalance.Web.Runs;
using TempBalance.Web.Sweeps;

namespace TempBalance.Web.Tests.Backend;

/// <summary>/api/sweeps: a grid queued as one group of runs, listed, read with run metrics, cancelled whole; bad grids refused with nothing queued.</summary>
[Collection(TrainingCollection.Name)]
public sealed class SweepsApiTests : IAsyncLifetime
{
    // Tiny runs: an MLP on a few generated images trains in a moment.
    const string Small = """ "model": "mlp", "dataset": "synthetic", "epochs": 1, "subset": 64, "batchSize": 32, "device": "cpu" """;
    const int Cap = 6;

    StartedApp _app = null!;
    HttpClient _client = null!;

    public Task InitializeAsync()
    {
        _app = new StartedApp(new Dictionary<string, string?> { ["TempBalance:MaxSweepRuns"] = Cap.ToString() });
        _client = _app.Client;
        return Task.CompletedTask;
    }

    public Task DisposeAsync() => _app.DisposeAsync().AsTask();

    [Fact]
    public async Task A_sweep_queues_every_combination_as_one_group_and_reads_back_with_each_runs_values_and_metrics()
    {
        using var response = await PostAsync($$"""{ "config": { {{Small}}, "lr": 0.05 }, "axes": [{ "field": "lr", "values": [0.01, 0.02] }, { "field": "batch-size", "values": [16, 32] }], "name": "lr x B" }""");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body);
        using var created = JsonDocument.Parse(body);
        long id = created.RootElement.GetProperty("id").GetInt64();
        var runIds = created.RootElement.GetProperty("runIds").EnumerateArray().Select(e => e.GetInt64()).ToList();
        Assert.Equal($"/api/sweeps/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal(4, runIds.Count);

        // Each run is a normal run with its point's values, in the grid's order (first axis slowest).
        var runs = await Task.WhenAll(runIds.Select(r => _client.GetJsonAsync<RunDetails>($"/api/runs/{r}")));
        Assert.Equal([(0.01, 16), (0.01, 32), (0.02, 16), (0.02, 32)], runs.Select(r => (r.Config.Lr, r.Config.BatchSize)));
        Assert.Equal("lr x B · lr=0.01, batch-size=16", runs[0].Summary.Name);
        Assert.All(runs, r => Assert.Equal("lr x B", r.Summary.GroupName));
        Assert.Single(runs.Select(r => r.Summary.GroupId).Distinct());
        // Sweep runs are created through the run lifecycle like any other: each has its "created" audit entry.
        var trail = await _client.GetJsonAsync<List<AuditEntryView>>($"/api/runs/{runIds[1]}/audit");
        Assert.Equal(("created", "queued, one of 4 runs of group lr x B"), (trail[0].Action, trail[0].Details));

        var sweep = await WaitForSweepAsync(id, s => s.Summary.Status == SweepStatus.Completed, TimeSpan.FromSeconds(180));
        Assert.Equal(("lr x B", 4, 4), (sweep.Summary.Name, sweep.Summary.RunCount, sweep.Summary.Finished));
        Assert.Equal(["lr", "batch-size"], sweep.Summary.Axes.Select(a => a.Field));
        Assert.Equal(["lr", "batchSize"], sweep.Summary.Axes.Select(a => a.Path));
        Assert.Equal(runIds, sweep.Runs.Select(r => r.RunId));
        Assert.Equal([0.02, 32.0], sweep.Runs[3].Values.Select(v => v!.Value));
        // One trained epoch: its test accuracy is the final and the best, and the best epoch is 1.
        Assert.All(sweep.Runs, r =>
        {
            Assert.Equal(RunStatus.Completed, r.Status);
            Assert.InRange(r.Metrics.FinalTestAccuracy!.Value, 0, 1);
            Assert.Equal(r.Metrics.FinalTestAccuracy, r.Metrics.BestTestAccuracy);
            Assert.Equal(1, r.Metrics.BestEpoch);
        });
        Assert.Equal(1.0, sweep.Summary.Progress);

        var list = await _client.GetJsonAsync<List<SweepSummary>>("/api/sweeps");
        var listed = Assert.Single(list);
        Assert.Equal((id, SweepStatus.Completed, 4), (listed.Id, listed.Status, listed.Finished));
        Assert.Equal(sweep.Runs.Max(r => r.Metrics.BestTestAccuracy), listed.BestTestAccuracy);
    }

    [Fact]
    public async Task Cancelling_a_sweep_cancels_its_queued_and_running_runs()
    {
        // Long enough that the first run is still training when the cancel arrives, and the others wait behind it.
        using var response = await PostAsync("""{ "config": { "model": "mlp", "dataset": "synthetic", "epochs": 200, "subset": 512, "batchSize": 32, "device": "cpu" }, "axes": [{ "field": "seed", "values": [1, 2, 3] }] }""");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body);
        long id = JsonDocument.Parse(body).RootElement.GetProperty("id").GetInt64();

        using var cancel = await _client.PostAsync($"/api/sweeps/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        using var result = JsonDocument.Parse(await cancel.Content.ReadAsStringAsync());
        Assert.Equal(3, result.RootElement.GetProperty("cancelled").GetInt32());
        Assert.Equal(0, result.RootElement.GetProperty("alreadyFinished").GetInt32());

        var sweep = await WaitForSweepAsync(id, s => s.Runs.All(r => r.Status == RunStatus.Cancelled), TimeSpan.FromSeconds(60));
        Assert.Equal(SweepStatus.Cancelled, sweep.Summary.Status);
        Assert.Equal(3, sweep.Summary.Cancelled);

        // Cancelling again finds nothing to stop.
        using var again = await _client.PostAsync($"/api/sweeps/{id}/cancel", null);
        using var second = JsonDocument.Parse(await again.Content.ReadAsStringAsync());
        Assert.Equal((0, 3), (second.RootElement.GetProperty("cancelled").GetInt32(), second.RootElement.GetProperty("alreadyFinished").GetInt32()));
    }

    [Theory]
    [InlineData("""[{ "field": "learningRate", "values": [0.1] }]""", "axes[0].field", "Unknown field 'learningRate'. Numeric fields: lr, batch-size")]
    [InlineData("""[{ "field": "model", "values": [1, 2] }]""", "axes[0].field", "'model' is not a numeric field and cannot be swept")]
    [InlineData("""[{ "field": "lr", "values": [] }]""", "axes[0].values", "The axis lr has no values")]
    [InlineData("""[]""", "axes", "A sweep needs at least one axis")]
    [InlineData("""[{ "field": "batch-size", "values": [16.5] }]""", "axes[0].values", "batch-size takes whole numbers; 16.5 is not one.")]
    [InlineData("""[{ "field": "lr", "values": [0.01, 0.02, 0.03] }, { "field": "seed", "values": [1, 2, 3] }]""", "axes", "This sweep has 9 runs (3 x 3); the limit is 6.")]
    [InlineData("""[{ "field": "lr", "values": [0.01, -1] }]""", "axes[0].values", "lr = -1: The learning rate must be a positive number")]
    [InlineData("""[{ "field": "lr", "values": ["fast"] }]""", "axes[0].values[0]", "")]
    [InlineData("""[{ "field": "lr", "values": [0.1] }], "config": { "lr": 0.1 }""", "body", "'config' more than once")]
    public async Task A_bad_grid_is_a_400_problem_naming_it_and_queues_nothing(string axes, string key, string message)
    {
        var before = await CountRunsAsync();

        using var response = await PostAsync($$"""{ "config": { {{Small}} }, "axes": {{axes}} }""");

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(text);
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty(key, out var messages), $"no error for '{key}' in {text}");
        Assert.Contains(message, messages[0].GetString()!, StringComparison.Ordinal);
        Assert.Equal(before, await CountRunsAsync());
        Assert.Empty(await _client.GetJsonAsync<List<SweepSummary>>("/api/sweeps"));
    }

    [Fact]
    public async Task An_unknown_sweep_is_a_404_problem_and_the_api_is_in_the_openapi_document()
    {
        foreach (var (method, url) in new[] { (HttpMethod.Get, "/api/sweeps/999"), (HttpMethod.Post, "/api/sweeps/999/cancel") })
        {
            using var response = await _client.SendAsync(new HttpRequestMessage(method, url));
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains("There is no sweep 999.", await response.Content.ReadAsStringAsync());
        }

        using var openApi = JsonDocument.Parse(await _client.GetStringAsync("/openapi/v1.json"));
        var paths = openApi.RootElement.GetProperty("paths");
        Assert.True(paths.GetProperty("/api/sweeps").TryGetProperty("post", out _));
        Assert.True(paths.GetProperty("/api/sweeps").TryGetProperty("get", out _));
        Assert.True(paths.GetProperty("/api/sweeps/{id}").TryGetProperty("get", out _));
        Assert.True(paths.GetProperty("/api/sweeps/{id}/cancel").TryGetProperty("post", out _));
    }

    Task<HttpResponseMessage> PostAsync(string body) =>
        _client.PostAsync("/api/sweeps", new StringContent(body, Encoding.UTF8, "application/json"));

    async Task<SweepDetails> WaitForSweepAsync(long id, Func<SweepDetails, bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var sweep = await _client.GetJsonAsync<SweepDetails>($"/api/sweeps/{id}");
            if (done(sweep)) return sweep;
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"Sweep {id} did not get there within {timeout}: {sweep.Summary.Status}, {string.Join(", ", sweep.Runs.Select(r => r.Status))}.");
            await Task.Delay(250);
        }
    }

    async Task<int> CountRunsAsync() => (await _client.GetJsonAsync<RunPage>("/api/runs?archived=include&pageSize=1")).TotalCount;
}
