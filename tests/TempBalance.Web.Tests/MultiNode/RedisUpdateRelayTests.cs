using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;
using TempBalance.Core.Training;
using TempBalance.Web.Data;
using TempBalance.Web.Live;
using TempBalance.Web.Runs;

namespace TempBalance.Web.Tests.MultiNode;

/// <summary>
/// Two nodes' TrainingUpdates joined by their relays through a real Redis server: what one publishes reaches the
/// other's subscribers in order and is counted in its sequences, nothing comes back to its sender, and a cancel
/// asked on one node stops the run training on the other.
/// </summary>
public sealed class RedisUpdateRelayTests(RedisServer redis) : IClassFixture<RedisServer>, IAsyncLifetime
{
    Node _web = null!, _worker = null!;

    public async Task InitializeAsync()
    {
        if (RedisServer.Program is null) return;
        _web = await Node.StartAsync(redis.ConnectionString);
        _worker = await Node.StartAsync(redis.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        if (_web is not null) await _web.DisposeAsync();
        if (_worker is not null) await _worker.DisposeAsync();
    }

    [RedisFact]
    public async Task Updates_published_on_one_node_reach_the_other_nodes_subscribers_in_order()
    {
        var seen = new List<RunUpdate>();
        using var subscription = _web.Updates.Subscribe(7, update => { lock (seen) seen.Add(update); });
        var echoes = new List<RunUpdate>();
        using var echo = _worker.Updates.SubscribeAll(update => { lock (echoes) echoes.Add(update); });

        var epoch = new EpochPoint(3, 0.5, 0.8, 0.6, 0.75, 0.01, 2.5, 0.3, [new BatchLossPoint(2.5, 0.7), new BatchLossPoint(3, 0.5)]);
        var layer = new LayerPoint(3, 0, "fc1", "linear", 64, 2.4, 0.05, 0.1, 12.5, 3.1, 0.01, 0.012, true, null, 0.98, 0.1);
        var published = new List<RunUpdate>();
        for (int batch = 1; batch <= 20; batch++)
            published.Add(new BatchProgressUpdate(7, batch, 3, batch, 20, 0.5, 0.8, 1000, 4, [new BatchLossPoint(2 + batch / 20.0, 0.5)]));
        published.Add(new PhaseChangedUpdate(7, 21, 3, TrainingPhase.SpectralAnalysis));
        published.Add(new EpochCompletedUpdate(7, 22, 10, epoch));
        published.Add(new LayerMetricsUpdate(7, 23, 3, [layer]));
        published.Add(new StatusChangedUpdate(7, 24, RunStatus.Completed, "done"));
        foreach (var update in published) _worker.Updates.Publish(update);

        await WaitUntil(() => { lock (seen) return seen.Count >= published.Count; });
        lock (seen)
        {
            Assert.Equal(published.Select(u => u.Sequence), seen.Select(u => u.Sequence));
            var received = Assert.IsType<EpochCompletedUpdate>(seen[21]);
            Assert.Equal(epoch with { BatchLosses = [] }, received.Epoch with { BatchLosses = [] });
            Assert.Equal(epoch.BatchLosses, received.Epoch.BatchLosses);
            Assert.Equal(layer, Assert.Single(Assert.IsType<LayerMetricsUpdate>(seen[22]).Layers));
            Assert.Equal(new StatusChangedUpdate(7, 24, RunStatus.Completed, "done"), seen[23]);
        }
        // The web node counts the worker's numbers, so what it publishes for the run (a cancel) continues above them.
        Assert.Equal(24, _web.Updates.CurrentSequence(7));
        Assert.True(_web.Updates.NextSequence(7, 0) > 24);
        // The worker's own updates reached its subscribers once, from Publish, and never again from Redis.
        await Task.Delay(300);
        lock (echoes) Assert.Equal(published.Count, echoes.Count);
    }

    [RedisFact]
    public async Task A_cancel_asked_on_the_web_node_stops_the_run_training_on_the_worker()
    {
        using var training = new CancellationTokenSource();
        using var registration = _worker.Cancellations.Register(42, training);
        using var other = new CancellationTokenSource();
        using var otherRegistration = _worker.Cancellations.Register(43, other);

        // What RunLifecycle.CancelAsync publishes on the web node once the run is CancelRequested.
        _web.Updates.Publish(new StatusChangedUpdate(42, _web.Updates.NextSequence(42, 5), RunStatus.CancelRequested, null));

        await WaitUntil(() => training.IsCancellationRequested);
        Assert.False(other.IsCancellationRequested);
    }

    [RedisFact]
    public async Task A_node_started_before_redis_serves_and_relays_once_redis_answers()
    {
        var late = new RedisServer();
        try
        {
            // Started while nothing listens on the port: the start neither throws nor waits for Redis.
            var early = await Node.StartAsync(late.ConnectionString, abortOnConnectFail: false).WaitAsync(TimeSpan.FromSeconds(20));
            await using (early)
            {
                early.Updates.Publish(new PhaseChangedUpdate(9, 1, 1, TrainingPhase.Training)); // dropped, not thrown

                await late.InitializeAsync();
                await using var other = await Node.StartAsync(late.ConnectionString);
                var seen = 0;
                using var subscription = early.Updates.Subscribe(9, _ => Interlocked.Increment(ref seen));
                // Publish until the early node's subscription, retried every 2 s, is in place.
                for (long sequence = 2; Volatile.Read(ref seen) == 0; sequence++)
                {
                    Assert.True(sequence < 150, "The node that started before Redis never received an update.");
                    other.Updates.Publish(new PhaseChangedUpdate(9, sequence, 1, TrainingPhase.Training));
                    await Task.Delay(100);
                }
            }
        }
        finally
        {
            await late.DisposeAsync();
        }
    }

    static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "Not delivered within 10 s.");
            await Task.Delay(20);
        }
    }

    sealed class Node : IAsyncDisposable
    {
        public TrainingUpdates Updates { get; } = new(NullLogger<TrainingUpdates>.Instance);
        public RunCancellations Cancellations { get; } = new();
        ConnectionMultiplexer _redis = null!;
        RedisUpdateRelay _relay = null!;

        public static async Task<Node> StartAsync(string connectionString, bool abortOnConnectFail = true)
        {
            var node = new Node();
            var options = ConfigurationOptions.Parse(connectionString);
            options.AbortOnConnectFail = abortOnConnectFail;
            node._redis = await ConnectionMultiplexer.ConnectAsync(options);
            node._relay = new RedisUpdateRelay(node._redis, node.Updates, node.Cancellations, NullLogger<RedisUpdateRelay>.Instance);
            await node._relay.StartAsync(CancellationToken.None);
            return node;
        }

        public async ValueTask DisposeAsync()
        {
            await _relay.StopAsync(CancellationToken.None);
            await _redis.DisposeAsync();
        }
    }
}
