using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TempBalance.Core.Training;
using TempBalance.Web.Data;
using TempBalance.Web.Runs;

namespace TempBalance.Web.Tests.Backend;

/// <summary>
/// The runs list's hyperparameter filters and sorts, archive and delete, over HTTP, on runs stored directly (none
/// trains). In the training collection: a host stopping while another test's host queues a job can fail that job.
/// </summary>
[Collection(TrainingCollection.Name)]
public sealed class RunListApiTests : IAsyncLifetime
{
    StartedApp _app = null!;
    HttpClient _client = null!;
    // A tag of this test's runs only, so each query sees exactly them.
    readonly string _tag = "list-" + Guid.NewGuid().ToString("N")[..8];

    public Task InitializeAsync()
    {
        _app = new StartedApp();
        _client = _app.Client;
        return Task.CompletedTask;
    }

    public Task DisposeAsync() => _app.DisposeAsync().AsTask();

    static TrainingConfig Preset(string name) => RecipePresets.ConfigOf(RecipePresets.Find(name)!);

    async Task<long> StoreAsync(TrainingConfig config, RunStatus status = RunStatus.Completed)
    {
        await using var db = await _app.Services.GetRequiredService<IDbContextFactory<TempBalanceDbContext>>().CreateDbContextAsync();
        var run = Run.For(config, status, DateTime.UtcNow);
        run.Tags = [_tag];
        db.Runs.Add(run);
        await db.SaveChangesAsync();
        return run.Id;
    }

    async Task<List<long>> IdsAsync(string query) =>
        [.. (await _client.GetJsonAsync<RunPage>($"/api/runs?tag={_tag}&{query}")).Items.Select(r => r.Id)];

    [Fact]
    public async Task Hyperparameters_filter_and_sort_the_list_on_the_server()
    {
        var slow = await StoreAsync(Preset("tb") with { Lr = 0.02, BatchSize = 64 });
        var fast = await StoreAsync(Preset("tb") with { Lr = 0.05 });
        var lamb = await StoreAsync(Preset("lamb"));
        var snr = await StoreAsync(Preset("tb+snr") with { Lr = 0.05, Subset = 1000 });

        Assert.Equal([fast, snr], await IdsAsync("lr=0.05&sort=id&desc=false"));
        Assert.Equal([slow, lamb], await IdsAsync("lr=0.01..0.03&sort=id&desc=false"));
        Assert.Equal([slow, fast, snr], await IdsAsync("lr=0.02&lr=0.05&sort=id&desc=false"));
        Assert.Equal([lamb], await IdsAsync("optimizer=LAMB"));
        Assert.Equal([lamb], await IdsAsync("momentum=none"));
        Assert.Equal([slow], await IdsAsync("batchSize=64"));
        Assert.Equal([snr], await IdsAsync("snr=0.001&subset=1000"));
        Assert.Empty(await IdsAsync("snr=0.001&subset=none"));

        Assert.Equal([lamb, slow, fast, snr], await IdsAsync("sort=lr&desc=false"));
        // Runs without an s1 (no TempBalance) come last in either direction.
        Assert.Equal([slow, fast, snr, lamb], await IdsAsync("sort=s1&desc=false"));
        Assert.Equal([snr, fast, slow, lamb], await IdsAsync("sort=s1&desc=true"));

        // Each row carries its config and the recipe in words.
        var row = (await _client.GetJsonAsync<RunPage>($"/api/runs?tag={_tag}&optimizer=lamb")).Items.Single();
        Assert.Equal(0.01, row.Config!.Lr);
        Assert.Equal("LAMB, cosine", row.Recipe);
    }

    [Theory]
    [InlineData("lr=fast", "lr", "'fast' is not a number")]
    [InlineData("optimizer=rmsprop", "optimizer", "Unknown optimizer 'rmsprop'")]
    [InlineData("batchSize=64..x", "batchSize", "'64..x' is not a range")]
    [InlineData("sort=loudness", "sort", "Unknown sort 'loudness'")]
    public async Task Bad_filters_and_sorts_are_400_problems_naming_the_parameter(string query, string field, string message)
    {
        using var response = await _client.GetAsync($"/api/runs?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var errors = body.RootElement.GetProperty("errors").GetProperty(field);
        Assert.StartsWith(message, errors[0].GetString());
    }

    [Fact]
    public async Task An_archived_run_leaves_the_default_list_and_the_archived_filter_finds_it()
    {
        var kept = await StoreAsync(Preset("tb"));
        var archived = await StoreAsync(Preset("baseline"));

        using (var response = await _client.PatchAsJsonAsync($"/api/runs/{archived}", new { archived = true }))
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);

        Assert.Equal([kept], await IdsAsync(""));
        Assert.Equal([archived], await IdsAsync("archived=only"));
        Assert.Equal([kept, archived], await IdsAsync("archived=include&sort=id&desc=false"));
        Assert.NotNull((await _client.GetJsonAsync<RunDetails>($"/api/runs/{archived}")).Summary.ArchivedAt);

        using (var response = await _client.PatchAsJsonAsync($"/api/runs/{archived}", new { archived = false }))
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal([kept, archived], await IdsAsync("sort=id&desc=false"));
    }

    [Fact]
    public async Task Deleting_removes_a_finished_run_and_its_folder_and_asks_to_cancel_an_active_one_first()
    {
        var finished = await StoreAsync(Preset("tb"), RunStatus.Failed);
        var queued = await StoreAsync(Preset("tb"), RunStatus.Queued);
        var folder = Path.Combine(_app.DataDirectory, "runs", finished.ToString(CultureInfo.InvariantCulture));
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "epochs.csv"), "epoch\n0\n");

        using (var response = await _client.DeleteAsync($"/api/runs/{finished}"))
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        using (var gone = await _client.GetAsync($"/api/runs/{finished}"))
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.False(Directory.Exists(folder));

        using var conflict = await _client.DeleteAsync($"/api/runs/{queued}");
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.Equal("application/problem+json", conflict.Content.Headers.ContentType?.MediaType);
        Assert.Contains("cancel it before deleting it", await conflict.Content.ReadAsStringAsync());
        Assert.Equal([queued], await IdsAsync(""));
    }

    [Fact]
    public async Task The_openapi_document_lists_every_hyperparameter_filter_of_the_runs_list()
    {
        using var document = JsonDocument.Parse(await _client.GetStringAsync("/openapi/v1.json"));
        var parameters = document.RootElement.GetProperty("paths").GetProperty("/api/runs").GetProperty("get").GetProperty("parameters")
            .EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!, p => p);

        foreach (var hyperparameter in Hyperparameters.All)
        {
            Assert.True(parameters.TryGetValue(hyperparameter.Key, out var parameter), $"OpenAPI lacks ?{hyperparameter.Key}");
            Assert.Equal("query", parameter.GetProperty("in").GetString());
            Assert.Contains(hyperparameter.FilterSyntax, parameter.GetProperty("description").GetString());
        }
        Assert.True(parameters.ContainsKey("archived"));
    }

    [Fact]
    public async Task Runs_stored_before_the_hyperparameter_columns_get_them_from_their_config_at_start_up()
    {
        var dbFactory = _app.Services.GetRequiredService<IDbContextFactory<TempBalanceDbContext>>();
        long id;
        await using (var db = await dbFactory.CreateDbContextAsync())
        {
            // A config as an early version stored it: the old method name, no optimizer or TempBalance switch.
            var run = Run.For(new TrainingConfig(), RunStatus.Completed, DateTime.UtcNow);
            run.ConfigJson = """{"model":"smallcnn","dataset":"fashion-mnist","method":"tempbalance","epochs":3,"batchSize":256,"lr":0.02,"tempBalance":{"minRatio":0.7}}""";
            run.HyperparametersCopied = false;
            run.Lr = run.Momentum = run.TbMinRatio = run.TbMaxRatio = null;
            run.BatchSize = null;
            run.Optimizer = null;
            db.Runs.Add(run);
            await db.SaveChangesAsync();
            id = run.Id;
        }

        Assert.True(await HyperparameterBackfill.RunAsync(dbFactory) >= 1);

        await using var check = await dbFactory.CreateDbContextAsync();
        var filled = await check.Runs.SingleAsync(r => r.Id == id);
        Assert.True(filled.HyperparametersCopied);
        Assert.Equal(0.02, filled.Lr);
        Assert.Equal(256, filled.BatchSize);
        Assert.Equal("sgd", filled.Optimizer);
        Assert.Equal(0.9, filled.Momentum);
        Assert.Equal(0.7, filled.TbMinRatio);
        Assert.Equal(1.5, filled.TbMaxRatio);
        Assert.Equal(0, await HyperparameterBackfill.RunAsync(dbFactory));
    }
}
