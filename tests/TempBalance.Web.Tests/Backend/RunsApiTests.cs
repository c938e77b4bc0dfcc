using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using TempBalance.Web.Data;
using TempBalance.Web.Runs;

namespace TempBalance.Web.Tests.Backend;

[Collection(TrainingCollection.Name)]
public sealed class RunsApiTests(TrainedRunFixture fixture) : IClassFixture<TrainedRunFixture>
{
    readonly HttpClient _client = fixture.Client;

    [Fact]
    public void Run_created_through_the_api_completes_all_epochs()
    {
        Assert.True(fixture.Run.Summary.Status == RunStatus.Completed, $"Status {fixture.Run.Summary.Status}: {fixture.Run.Summary.ErrorMessage}");
        Assert.Equal(TrainedRunFixture.Epochs, fixture.Run.Summary.CompletedEpochs);
        Assert.Equal(["signalr", "test"], fixture.Run.Summary.Tags.Order());
        Assert.Equal("integration test", fixture.Run.Notes);
        Assert.Equal(512, fixture.Run.Config.Subset);
        Assert.NotNull(fixture.Run.Summary.StartedAt);
        Assert.NotNull(fixture.Run.Summary.FinishedAt);
        Assert.Equal(DateTimeKind.Utc, fixture.Run.Summary.CreatedAt.Kind);
        Assert.InRange(fixture.Run.Summary.FinishedAt.Value, fixture.Run.Summary.StartedAt!.Value, DateTime.UtcNow);
        Assert.True(fixture.Run.HasCheckpoint);
    }

    [Fact]
    public async Task Epoch_metrics_are_stored_for_epochs_0_to_E_and_summarised_on_the_run()
    {
        var epochs = await _client.GetJsonAsync<List<EpochPoint>>($"/api/runs/{fixture.RunId}/epochs");
        Assert.Equal([0, 1, 2], epochs.Select(e => e.Epoch));
        Assert.All(epochs, e =>
        {
            Assert.InRange(e.TestAccuracy!.Value, 0.0, 1.0);
            Assert.True(e.TrainLoss > 0);
            // The global rate used during the epoch; epoch 0 trains nothing.
            if (e.Epoch == 0) Assert.Null(e.LearningRate);
            else Assert.True(e.LearningRate > 0);
        });
        Assert.Equal(epochs[^1].TestAccuracy, fixture.Run.Summary.FinalTestAccuracy);
        Assert.Equal(epochs.Skip(1).Max(e => e.TestAccuracy), fixture.Run.Summary.BestTestAccuracy);

        // 512 images in batches of 64: 8 batches, each a bucket of its own, so the curve is every batch's loss.
        Assert.Empty(epochs[0].BatchLosses);
        Assert.All(epochs.Skip(1), e =>
        {
            Assert.Equal(Enumerable.Range(1, 8).Select(b => e.Epoch - 1 + b / 8.0), e.BatchLosses.Select(p => p.Epoch));
            Assert.Equal(e.TrainLoss!.Value, e.BatchLosses.Average(p => p.Loss), 4); // equal batches: the epoch's mean
        });

        var later = await _client.GetJsonAsync<List<EpochPoint>>($"/api/runs/{fixture.RunId}/epochs?sinceEpoch=1");
        Assert.Equal([2], later.Select(e => e.Epoch));
    }

    [Fact]
    public async Task Layer_rows_and_spectra_are_stored_per_epoch()
    {
        var layers = await _client.GetJsonAsync<List<LayerPoint>>($"/api/runs/{fixture.RunId}/layers");
        var perEpoch = layers.GroupBy(l => l.Epoch).ToDictionary(g => g.Key, g => g.ToList());
        Assert.Equal([0, 1, 2], perEpoch.Keys.Order());
        int layerCount = perEpoch[0].Count;
        Assert.True(layerCount >= 2, $"smallcnn should report several layers, got {layerCount}");
        Assert.All(perEpoch.Values, rows => Assert.Equal(Enumerable.Range(0, layerCount), rows.Select(l => l.LayerIndex)));
        Assert.Contains(layers, l => l.Alpha is > 0 && l.FitError is null);
        // The rate a layer trained with during the epoch (none in epoch 0), and the one assigned for the next: positive
        // until the cosine schedule reaches 0 after the last epoch. Each epoch trains with what the one before assigned.
        Assert.All(perEpoch[0], l => Assert.Null(l.LearningRate));
        Assert.All(layers.Where(l => l.Epoch > 0), l => Assert.True(l.LearningRate > 0));
        Assert.All(layers.Where(l => l.Epoch < TrainedRunFixture.Epochs), l => Assert.True(l.NextLearningRate > 0));
        foreach (var epoch in perEpoch.Keys.Where(e => e > 0))
            Assert.Equal(perEpoch[epoch - 1].Select(l => (double?)l.NextLearningRate), perEpoch[epoch].Select(l => l.LearningRate));
        Assert.All(layers, l => Assert.InRange(l.J!.Value, 0.01, 10));

        var one = await _client.GetJsonAsync<List<LayerPoint>>($"/api/runs/{fixture.RunId}/layers?epoch=1");
        Assert.Equal(layerCount, one.Count);
        Assert.All(one, l => Assert.Equal(1, l.Epoch));

        var fitted = layers.First(l => l.Epoch == 2 && l.Alpha is not null);
        var spectrum = await _client.GetJsonAsync<SpectrumView>($"/api/runs/{fixture.RunId}/spectrum?epoch=2&layer={fitted.LayerIndex}");
        Assert.Equal(fitted.Alpha, spectrum.Layer.Alpha);
        Assert.Equal(spectrum.Counts.Length + 1, spectrum.Log10BinEdges.Length);
        Assert.True(spectrum.Counts.Sum() > 0);
        Assert.True(spectrum.Counts.Sum() <= fitted.EigsNum);
        Assert.Equal(spectrum.Log10BinEdges.Order(), spectrum.Log10BinEdges);

        using var missing = await _client.GetAsync($"/api/runs/{fixture.RunId}/spectrum?epoch=99&layer=0");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public void SignalR_client_receives_epoch_and_layer_messages_in_order_with_increasing_sequence_numbers()
    {
        static long SequenceOf((string Method, JsonElement Payload) m) => m.Payload.GetProperty("sequence").GetInt64();
        // An update published just before the join can still be on its way to the group: the joined sequence covers
        // it (a client skips what is at or below it), so only what follows the join is checked.
        var all = fixture.Messages.ToList();
        Assert.All(all.Where(m => SequenceOf(m) <= fixture.JoinSequence), m => Assert.Equal("StatusChanged", m.Method));
        var messages = all.Where(m => SequenceOf(m) > fixture.JoinSequence).ToList();
        var sequences = messages.Select(SequenceOf).ToList();
        Assert.True(sequences.Count > 0, "no hub messages");
        Assert.True(sequences.Zip(sequences.Skip(1)).All(p => p.Second > p.First), $"sequences not increasing: {string.Join(",", sequences)}");
        Assert.All(messages, m => Assert.Equal(fixture.RunId, m.Payload.GetProperty("runId").GetInt64()));

        var epochMessages = messages.Where(m => m.Method == "EpochCompleted").Select(m => m.Payload.GetProperty("epoch")).ToList();
        Assert.Equal([0, 1, 2], epochMessages.Select(e => e.GetProperty("epoch").GetInt32()));
        var layerMessages = messages.Where(m => m.Method == "LayerMetrics").ToList();
        Assert.Equal([0, 1, 2], layerMessages.Select(m => m.Payload.GetProperty("epoch").GetInt32()));
        Assert.All(layerMessages, m => Assert.True(m.Payload.GetProperty("layers").GetArrayLength() >= 2));

        // Each epoch's layer message directly follows its epoch message.
        var epochAndLayer = messages.Where(m => m.Method is "EpochCompleted" or "LayerMetrics").Select(m => m.Method).ToList();
        Assert.Equal(["EpochCompleted", "LayerMetrics", "EpochCompleted", "LayerMetrics", "EpochCompleted", "LayerMetrics"], epochAndLayer);

        Assert.Contains(messages, m => m.Method == "BatchProgress" && m.Payload.GetProperty("batchesPerEpoch").GetInt32() == 8);
        // An epoch's last batch is always sent, with the epoch's whole batch-loss curve.
        var lastBatch = messages.Last(m => m.Method == "BatchProgress").Payload;
        Assert.Equal([2, 8], [lastBatch.GetProperty("epoch").GetInt32(), lastBatch.GetProperty("batch").GetInt32()]);
        Assert.Equal(Enumerable.Range(1, 8).Select(b => 1 + b / 8.0),
            lastBatch.GetProperty("epochLosses").EnumerateArray().Select(p => p.GetProperty("epoch").GetDouble()));
        Assert.Equal("completed", messages.Last(m => m.Method == "StatusChanged").Payload.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Export_returns_the_stored_metrics_as_csv_and_json()
    {
        var epochs = await _client.GetJsonAsync<List<EpochPoint>>($"/api/runs/{fixture.RunId}/epochs");

        using var csvResponse = await _client.GetAsync($"/api/runs/{fixture.RunId}/export?format=csv");
        Assert.Equal("text/csv", csvResponse.Content.Headers.ContentType?.MediaType);
        var lines = (await csvResponse.Content.ReadAsStringAsync()).TrimEnd('\n').Split('\n');
        Assert.StartsWith("epoch,train_loss,train_accuracy,test_loss,test_accuracy", lines[0]);
        Assert.Equal(epochs.Count + 1, lines.Length);
        var lastCells = lines[^1].Split(',');
        Assert.Equal(epochs[^1].Epoch, int.Parse(lastCells[0], CultureInfo.InvariantCulture));
        Assert.Equal(epochs[^1].TestAccuracy!.Value, double.Parse(lastCells[4], CultureInfo.InvariantCulture));

        using var layersCsv = await _client.GetAsync($"/api/runs/{fixture.RunId}/export?format=csv&table=layers");
        var layerLines = (await layersCsv.Content.ReadAsStringAsync()).TrimEnd('\n').Split('\n');
        var layers = await _client.GetJsonAsync<List<LayerPoint>>($"/api/runs/{fixture.RunId}/layers");
        Assert.StartsWith("epoch,layer_index,layer_name,kind,eigs_num,alpha", layerLines[0]);
        Assert.Equal(layers.Count + 1, layerLines.Length);
        // learning_rate is the rate used during the row's epoch (none in epoch 0): the one epoch N - 1 assigned next.
        var header = layerLines[0].Split(',');
        int during = Array.IndexOf(header, "learning_rate"), next = Array.IndexOf(header, "next_learning_rate");
        var rows = layerLines[1..].Select(l => l.Split(',')).ToList();
        Assert.All(rows.Where(r => r[0] == "0"), r => Assert.Equal("", r[during]));
        var firstLayer = rows.Where(r => r[1] == "0").OrderBy(r => int.Parse(r[0], CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(firstLayer[0][next], firstLayer[1][during]);

        using var batchesCsv = await _client.GetAsync($"/api/runs/{fixture.RunId}/export?format=csv&table=batches");
        var batchLines = (await batchesCsv.Content.ReadAsStringAsync()).TrimEnd('\n').Split('\n');
        Assert.Equal(["epoch,loss", .. epochs.SelectMany(e => e.BatchLosses).Select(p => FormattableString.Invariant($"{p.Epoch:R},{p.Loss:R}"))], batchLines);
        Assert.Equal(1 + 2 * 8, batchLines.Length);

        using var jsonResponse = await _client.GetAsync($"/api/runs/{fixture.RunId}/export?format=json");
        using var json = JsonDocument.Parse(await jsonResponse.Content.ReadAsStringAsync());
        Assert.Equal(fixture.RunId, json.RootElement.GetProperty("run").GetProperty("summary").GetProperty("id").GetInt64());
        Assert.Equal("smallcnn", json.RootElement.GetProperty("run").GetProperty("config").GetProperty("model").GetString());
        Assert.Equal([0, 1, 2], json.RootElement.GetProperty("epochs").EnumerateArray().Select(e => e.GetProperty("epoch").GetInt32()));
        Assert.Equal(layers.Count, json.RootElement.GetProperty("layers").GetArrayLength());
        Assert.Equal(epochs[^1].TestAccuracy!.Value, json.RootElement.GetProperty("epochs")[2].GetProperty("testAccuracy").GetDouble());
        Assert.Equal(8, json.RootElement.GetProperty("epochs")[2].GetProperty("batchLosses").GetArrayLength());

        using var badFormat = await _client.GetAsync($"/api/runs/{fixture.RunId}/export?format=xml");
        await AssertValidationProblemAsync(badFormat, "format");
    }

    [Fact]
    public async Task Checkpoint_downloads_as_a_file()
    {
        using var response = await _client.GetAsync($"/api/runs/{fixture.RunId}/checkpoint");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"run-{fixture.RunId}-checkpoint.bin", response.Content.Headers.ContentDisposition?.FileNameStar ?? response.Content.Headers.ContentDisposition?.FileName);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(new FileInfo(Path.Combine(fixture.DataDirectory, "runs", fixture.RunId.ToString(CultureInfo.InvariantCulture), "checkpoint.bin")).Length, bytes.Length);
    }

    [Fact]
    public async Task Cancelling_or_resuming_a_completed_run_is_a_conflict_that_says_why()
    {
        using var cancel = await _client.PostAsync($"/api/runs/{fixture.RunId}/cancel", null);
        Assert.Equal(HttpStatusCode.Conflict, cancel.StatusCode);
        Assert.Equal("application/problem+json", cancel.Content.Headers.ContentType?.MediaType);
        var problem = await cancel.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("already Completed", problem.GetProperty("detail").GetString());
        Assert.Equal("Completed", problem.GetProperty("runStatus").GetString());

        using var resume = await _client.PostAsync($"/api/runs/{fixture.RunId}/resume", null);
        Assert.Equal(HttpStatusCode.Conflict, resume.StatusCode);
        Assert.Contains("already completed", (await resume.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Unknown_run_ids_are_404()
    {
        foreach (var url in new[] { "/api/runs/987654", "/api/runs/987654/epochs", "/api/runs/987654/layers", "/api/runs/987654/export?format=csv", "/api/runs/987654/checkpoint" })
        {
            using var response = await _client.GetAsync(url);
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{url}: {response.StatusCode}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        using var cancel = await _client.PostAsync("/api/runs/987654/cancel", null);
        Assert.Equal(HttpStatusCode.NotFound, cancel.StatusCode);
        using var resume = await _client.PostAsync("/api/runs/987654/resume", null);
        Assert.Equal(HttpStatusCode.NotFound, resume.StatusCode);
    }

    [Theory]
    [InlineData("""{ "config": { "model": "smallcnn", "dataset": "fashion-mnist", "epochs": 0 } }""", "config.epochs")]
    [InlineData("""{ "config": { "model": "resnet999", "dataset": "fashion-mnist" } }""", "config.model")]
    [InlineData("""{ "config": { "model": "smallcnn", "dataset": "imagenet-22k" } }""", "config.dataset")]
    [InlineData("""{ "config": { "method": "tempbalance", "tempBalance": { "minRatio": -1 } } }""", "config.tempBalance.minRatio")]
    [InlineData("""{ "config": { "epochs": "many" } }""", "config.epochs")]
    [InlineData("""{ "config": { "epoch": 3 } }""", "config.epoch")]
    [InlineData("""{ "config": { }, "seeds": 0 }""", "seeds")]
    [InlineData("""{ "config": { "tempBalance": { "fit": "bogus" } } }""", "config.tempBalance.fit")]
    [InlineData("""not json""", "body")]
    public async Task Invalid_run_requests_are_400_naming_the_field(string body, string field)
    {
        using var response = await _client.PostAsync("/api/runs", new StringContent(body, Encoding.UTF8, "application/json"));
        await AssertValidationProblemAsync(response, field);
    }

    [Theory]
    [InlineData("/api/runs?sort=fastest", "sort")]
    [InlineData("/api/runs?status=sleeping", "status")]
    [InlineData("/api/runs?pageSize=0", "pageSize")]
    [InlineData("/api/runs?page=0", "page")]
    public async Task Invalid_list_queries_are_400_naming_the_parameter(string url, string field)
    {
        using var response = await _client.GetAsync(url);
        await AssertValidationProblemAsync(response, field);
    }

    [Fact]
    public async Task Runs_list_filters_sorts_and_pages_on_the_server()
    {
        var all = await _client.GetJsonAsync<RunPage>("/api/runs?status=completed&model=smallcnn&dataset=fashion-mnist&method=tempbalance");
        Assert.Contains(all.Items, r => r.Id == fixture.RunId);
        Assert.All(all.Items, r => Assert.Equal(RunStatus.Completed, r.Status));

        var byTag = await _client.GetJsonAsync<RunPage>("/api/runs?tag=signalr");
        Assert.Equal([fixture.RunId], byTag.Items.Select(r => r.Id));
        var bySearch = await _client.GetJsonAsync<RunPage>("/api/runs?search=SIGNAL");
        Assert.Equal([fixture.RunId], bySearch.Items.Select(r => r.Id));
        var none = await _client.GetJsonAsync<RunPage>("/api/runs?status=failed,diverged&tag=signalr");
        Assert.Equal(0, none.TotalCount);
        var paged = await _client.GetJsonAsync<RunPage>("/api/runs?page=1&pageSize=1&sort=bestAccuracy&desc=true");
        Assert.Single(paged.Items);
        Assert.True(paged.TotalCount >= 1);
    }

    [Fact]
    public async Task Tags_and_notes_can_be_changed()
    {
        using var response = await _client.PatchAsJsonAsync($"/api/runs/{fixture.RunId}", new { notes = "integration test" });
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        using var tooLong = await _client.PatchAsJsonAsync($"/api/runs/{fixture.RunId}", new { tags = new[] { new string('x', 41) } });
        await AssertValidationProblemAsync(tooLong, "tags");
        using var missing = await _client.PatchAsJsonAsync("/api/runs/987654", new { notes = "x" });
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task OpenApi_document_scalar_page_health_and_local_hangfire_dashboard_answer()
    {
        using var openApi = await _client.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, openApi.StatusCode);
        using var document = JsonDocument.Parse(await openApi.Content.ReadAsStringAsync());
        var paths = document.RootElement.GetProperty("paths");
        foreach (var path in new[] { "/api/runs", "/api/runs/{id}", "/api/runs/{id}/epochs", "/api/runs/{id}/layers", "/api/runs/{id}/export", "/api/runs/{id}/cancel", "/api/runs/{id}/resume", "/api/runs/{id}/checkpoint", "/api/quickstart" })
            Assert.True(paths.TryGetProperty(path, out _), $"OpenAPI lacks {path}");
        // Every operation says what it does: the reference page lists operations by their summaries.
        foreach (var path in paths.EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject())
                Assert.True(operation.Value.TryGetProperty("summary", out var summary) && summary.GetString()!.Length > 10, $"{operation.Name} {path.Name} has no summary");
        }

        // The reference page of a self-hosted, often offline lab: no telemetry, no cloud developer tools.
        using var scalar = await _client.GetAsync("/scalar/");
        Assert.Equal(HttpStatusCode.OK, scalar.StatusCode);
        var scalarPage = await scalar.Content.ReadAsStringAsync();
        Assert.Contains("\"telemetry\":false", scalarPage);
        Assert.Contains("\"showDeveloperTools\":\"never\"", scalarPage);
        using var health = await _client.GetAsync("/health");
        Assert.Equal("Healthy", await health.Content.ReadAsStringAsync());
        using var hangfire = await _client.GetAsync("/hangfire");
        Assert.Equal(HttpStatusCode.OK, hangfire.StatusCode);
    }

    [Fact]
    public async Task An_unknown_page_gets_the_apps_not_found_page_and_an_unknown_api_path_a_plain_404()
    {
        using var page = await _client.GetAsync("/no/such/page");
        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("There is no page at this address.", html);
        Assert.Contains("href=\"/runs/new\"", html);

        using var api = await _client.GetAsync("/api/no-such-endpoint");
        Assert.Equal(HttpStatusCode.NotFound, api.StatusCode);
        Assert.NotEqual("text/html", api.Content.Headers.ContentType?.MediaType);
        // An unknown run is the API's own 404 with a ProblemDetails body, not the page.
        using var run = await _client.GetAsync("/api/runs/987654");
        Assert.Equal("application/problem+json", run.Content.Headers.ContentType?.MediaType);
    }

    static async Task AssertValidationProblemAsync(HttpResponseMessage response, string field)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(body);
        var errors = problem.RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out var messages), $"no error for '{field}' in {body}");
        Assert.True(messages.GetArrayLength() > 0 && messages[0].GetString()!.Length > 10, body);
    }
}
