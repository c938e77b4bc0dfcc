using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;
using TempBalance.Web.Runs;

namespace TempBalance.Web.Live;

/// <summary>
/// Carries live updates between the nodes of one deployment over a Redis pub/sub channel: what this process
/// publishes goes out, what other nodes publish is handed to <see cref="TrainingUpdates.Receive"/>, so Blazor
/// pages on a web node follow runs that train on workers. A cancel asked on a web node reaches its run's job
/// here within milliseconds (the job's heartbeat would notice it in the database within HeartbeatInterval).
/// Redis delivers a channel's messages in the order one connection sent them, so each run's updates stay in order.
/// </summary>
public sealed class RedisUpdateRelay(
    IConnectionMultiplexer redis,
    TrainingUpdates updates,
    RunCancellations cancellations,
    ILogger<RedisUpdateRelay> logger) : IHostedService
{
    public static readonly RedisChannel Channel = RedisChannel.Literal("tempbalance:run-updates");

    /// <summary>This process among the nodes: its own messages come back from Redis and are skipped.</summary>
    public string Origin { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";

    IDisposable? _outgoing;
    ChannelMessageQueue? _incoming;
    readonly CancellationTokenSource _stopping = new();

    /// <summary>Completes once this node receives other nodes' updates.</summary>
    internal Task Subscribed { get; private set; } = Task.CompletedTask;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var subscriber = redis.GetSubscriber();
        // Fire and forget: the training thread publishes, and must not wait for Redis. While Redis is away,
        // updates are not relayed (pages elsewhere refetch what they missed; /health/ready reports it).
        _outgoing = updates.SubscribePublishedHere(update =>
        {
            if (redis.IsConnected) subscriber.Publish(Channel, RunUpdateCodec.Encode(Origin, update), CommandFlags.FireAndForget);
        });
        Subscribed = SubscribeWhenReachableAsync(subscriber, _stopping.Token);
        // With Redis up, serve only once subscribed; without, serve anyway and subscribe when it answers.
        if (!redis.IsConnected) return;
        try
        {
            await Subscribed.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
        }
        catch (TimeoutException)
        {
        }
    }

    /// <summary>
    /// Subscribes as soon as Redis answers. A subscription made once is renewed by the client after every
    /// reconnect, so a node that started before Redis, or outlived a Redis restart, keeps receiving.
    /// </summary>
    async Task SubscribeWhenReachableAsync(ISubscriber subscriber, CancellationToken stopping)
    {
        bool told = false;
        try
        {
            while (true)
            {
                if (redis.IsConnected)
                {
                    try
                    {
                        var incoming = await subscriber.SubscribeAsync(Channel);
                        incoming.OnMessage(message => Deliver(message.Message.ToString()));
                        _incoming = incoming;
                        return;
                    }
                    catch (RedisException)
                    {
                    }
                }
                if (!told)
                {
                    logger.LogWarning("Redis ({Setting}) does not answer; live updates from other nodes wait for it", "TempBalance:Redis");
                    told = true;
                }
                await Task.Delay(TimeSpan.FromSeconds(1), stopping);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    void Deliver(string message)
    {
        try
        {
            var (origin, update) = RunUpdateCodec.Decode(message);
            if (origin == Origin) return;
            if (update is StatusChangedUpdate { Status: Data.RunStatus.CancelRequested } && cancellations.RequestCancel(update.RunId))
                logger.LogInformation("Run {RunId}: cancel requested on another node; stopping after the current batch", update.RunId);
            updates.Receive(update);
        }
        catch (JsonException e)
        {
            logger.LogWarning(e, "Ignored a run update from Redis that this version cannot read");
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _outgoing?.Dispose();
        await _stopping.CancelAsync();
        await Subscribed;
        if (_incoming is not null) await _incoming.UnsubscribeAsync();
        _stopping.Dispose();
    }
}

/// <summary>Redis answers a PING: without it, pages on this node miss live updates from the others.</summary>
public sealed class RedisHealthCheck(IConnectionMultiplexer redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var latency = await redis.GetDatabase().PingAsync().WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
            return HealthCheckResult.Healthy($"Answers in {latency.TotalMilliseconds:0.#} ms.");
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy($"Redis ({TempBalanceWebOptions.Section}:Redis) does not answer: live updates and cancels between nodes stop.");
        }
    }
}
