using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using TempBalance.Core.Training;
using TempBalance.Web.Runs;

namespace TempBalance.Web.Tests.Backend;

/// <summary>POST /api/runs: recipes named by a preset, bad recipes refused with the valid choices, run names.</summary>
[Collection(TrainingCollection.Name)]
public sealed class RunCreationApiTests : IAsyncLifetime
{
    // Tiny runs: an MLP on a few generated images trains in a moment, so the runs these tests queue cost nothing.
    const string Small = """ "model": "mlp", "dataset": "synthetic", "epochs": 2, "subset": 64, "batchSize": 32, "device": "cpu" """;

    StartedApp _app = null!;
    HttpClient _client = null!;

    public Task InitializeAsync()
    {
        _app = new StartedApp();
        _client = _app.Client;
        return Task.CompletedTask;
    }

    public Task DisposeAsync() => _app.DisposeAsync().AsTask();

    [Theory]
    [InlineData($$"""{ "config": { {{Small}}, "optimizer": { "kind": "rmsprop" } } }""", "config.optimizer.kind", "Unknown value 'rmsprop'. Choose one of: sgd, adam, adamW, sgdp, lars, lamb.")]
    [InlineData($$"""{ "config": { {{Small}}, "method": "adagrad" } }""", "config.method", "Unknown method 'adagrad'. Choose a preset (baseline, tb, snr, tb+snr, sgdr, lookahead, sgdp, tb+sgdp, lars, lamb, lawn-sgd, lawn-adam) or custom.")]
    [InlineData($$"""{ "config": { {{Small}}, "method": "lawn-sgd", "lawn": { "freeEpochs": 2 } } }""", "config.lawn.freeEpochs", "LAWN's free epochs must be fewer than the run's 2 epochs (got 2)")]
    [InlineData($$"""{ "config": { {{Small}}, "method": "tb+snr", "snr": { "coefficient": "Infinity" } } }""", "config.snr.coefficient", "The SNR coefficient sg must be a positive number such as 0.01 (got Infinity)")]
    [InlineData($$"""{ "config": { {{Small}}, "lr": "NaN" } }""", "config.lr", "The learning rate must be a positive number")]
    [InlineData($$"""{ "config": { {{Small}}, "lookahead": { "sync": "sometimes" } } }""", "config.lookahead.sync", "Choose one of: paper, torchOptimizer.")]
    [InlineData($$"""{ "config": { {{Small}}, "schedule": "exponential" } }""", "config.schedule", "Choose one of: cosine, step, constant, sgdr.")]
    [InlineData($$"""{ "config": { {{Small}}, "tempBalance": { "fit": 1 } } }""", "config.tempBalance.fit", "Unknown value number. Choose one of: median, ks, peak.")]
    [InlineData($$"""{ "config": { {{Small}} }, "name": "{{"x"}}" }""", "name", "")]
    public async Task A_bad_recipe_is_a_400_naming_the_field_and_the_valid_choices_and_queues_nothing(string body, string field, string message)
    {
        // The last case stands for a name that is too long (xunit data cannot hold a 201-character literal tidily).
        if (field == "name") body = body.Replace("\"x\"", JsonSerializer.Serialize(new string('x', 201)));
        var before = await CountRunsAsync();

        using var response = await _client.PostAsync("/api/runs", new StringContent(body, Encoding.UTF8, "application/json"));

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(text);
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty(field, out var messages), $"no error for '{field}' in {text}");
        var said = messages[0].GetString()!;
        Assert.True(said.Contains(message.Length > 0 ? message : "at most 200 characters", StringComparison.Ordinal), said);
        Assert.Equal(before, await CountRunsAsync());
    }

    [Fact]
    public async Task A_request_naming_only_a_preset_trains_the_preset()
    {
        var id = (await PostAsync($$"""{ "config": { "method": "lars", {{Small}} } }""")).Single();

        var run = await _client.GetJsonAsync<RunDetails>($"/api/runs/{id}");
        Assert.Equal(("lars", OptimizerKind.Lars, 28.0, 0.0, 0.001), (run.Config.Method, run.Config.Optimizer.Kind, run.Config.Lr, run.Config.Momentum, run.Config.Optimizer.TrustCoefficient));
        Assert.False(run.Config.TempBalance.Enabled);
        Assert.Equal("LARS, cosine", run.Recipe);
        Assert.Equal("lars", run.Summary.Method);
        Assert.Equal("lars · mlp · synthetic · seed 42", run.Summary.Name);
    }

    [Fact]
    public async Task A_run_gets_the_name_sent_and_several_runs_get_their_recipe_and_seed_after_it()
    {
        var one = (await PostAsync($$"""{ "config": { "method": "tb+snr", {{Small}} }, "name": "  sg sweep 0.001  " }""")).Single();
        var single = await _client.GetJsonAsync<RunDetails>($"/api/runs/{one}");
        Assert.Equal("sg sweep 0.001", single.Summary.Name);
        Assert.Equal("TB (×0.6–×1.4) + SNR (sg 0.001) on SGD, cosine", single.Recipe);

        var ids = await PostAsync($$"""{ "config": { "method": "tb+snr", {{Small}}, "seed": 7 }, "name": "wd study", "compareWithBaseline": true, "seeds": 2 }""");
        var runs = await Task.WhenAll(ids.Select(id => _client.GetJsonAsync<RunDetails>($"/api/runs/{id}")));
        Assert.Equal(["wd study · snr · seed 7", "wd study · tb+snr · seed 7", "wd study · snr · seed 8", "wd study · tb+snr · seed 8"],
            runs.Select(r => r.Summary.Name));
        Assert.All(runs, r => Assert.Equal("wd study", r.Summary.GroupName));

        var unnamed = (await PostAsync($$"""{ "config": { "method": "tb", {{Small}} }, "name": "   " }""")).Single();
        Assert.Equal("tb · mlp · synthetic · seed 42", (await _client.GetJsonAsync<RunDetails>($"/api/runs/{unnamed}")).Summary.Name);
    }

    async Task<IReadOnlyList<long>> PostAsync(string body)
    {
        using var response = await _client.PostAsync("/api/runs", new StringContent(body, Encoding.UTF8, "application/json"));
        return await ApiClient.ReadCreatedIdsAsync(response);
    }

    async Task<int> CountRunsAsync() => (await _client.GetJsonAsync<RunPage>("/api/runs?archived=include&pageSize=1")).TotalCount;
}
