using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using TempBalance.Web.Data;
using TempBalance.Web.Runs;

namespace TempBalance.Web.Tests.Backend;

/// <summary>
/// One app instance with one small run trained to completion through the API (smallcnn, 512 Fashion-MNIST
/// images, 2 epochs), while a SignalR client listens to its group and records every message.
/// </summary>
public sealed class TrainedRunFixture : IAsyncLifetime
{
    public const int Epochs = 2;

    public string DataDirectory { get; } = TempBalanceAppFactory.CreateDataDirectory();
    public TempBalanceAppFactory App { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;
    public long RunId { get; private set; }
    public long JoinSequence { get; private set; }
    public RunDetails Run { get; private set; } = null!;

    /// <summary>Every hub message in arrival order: (method, payload).</summary>
    public ConcurrentQueue<(string Method, JsonElement Payload)> Messages { get; } = new();

    public static object SmallRunRequest(int epochs, int subset = 512, string method = "tempbalance", string[]? tags = null) => new
    {
        config = new
        {
            model = "smallcnn",
            dataset = "fashion-mnist",
            method,
            epochs,
            batchSize = 64,
            lr = 0.05,
            subset,
            augment = false,
            device = "cpu",
        },
        tags = tags ?? ["test"],
        notes = "integration test",
    };

    public async Task InitializeAsync()
    {
        App = new TempBalanceAppFactory(DataDirectory);
        Client = App.StartAndCreateClient();

        await using var hub = App.CreateHubConnection();
        foreach (var method in new[] { "EpochCompleted", "LayerMetrics", "BatchProgress", "StatusChanged" })
            hub.On<JsonElement>(method, payload => Messages.Enqueue((method, payload)));
        await hub.StartAsync();

        RunId = (await Client.CreateRunsAsync(SmallRunRequest(Epochs, tags: ["test", "signalr"]))).Single();
        JoinSequence = await hub.InvokeAsync<long>("JoinRun", RunId);
        Run = await Client.WaitForRunAsync(RunId, r => r.Summary.Status.IsFinished(), TimeSpan.FromSeconds(150));

        // The final StatusChanged is sent right after the status is stored; give it a moment to arrive.
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!Messages.Any(m => m.Method == "StatusChanged" && m.Payload.GetProperty("status").GetString() == "completed") && DateTime.UtcNow < deadline)
            await Task.Delay(50);
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await App.DisposeAsync();
        TempBalanceAppFactory.DeleteDataDirectory(DataDirectory);
    }
}
