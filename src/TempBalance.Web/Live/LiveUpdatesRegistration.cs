using StackExchange.Redis;
using TempBalance.Web.Data;
using TempBalance.Web.Health;

namespace TempBalance.Web.Live;

public static class LiveUpdatesRegistration
{
    public const string SignalRChannelPrefix = "tempbalance-signalr";

    /// <summary>
    /// TrainingUpdates, SignalR and the forwarding of updates to the hub. With TempBalance:Redis set, also the
    /// SignalR Redis backplane (a worker's hub messages reach the clients of every web node), the relay of
    /// updates between nodes and Redis's readiness check. Read from configuration here, since it decides what
    /// is registered.
    /// </summary>
    public static void AddLiveUpdates(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<TrainingUpdates>();
        var signalR = services.AddSignalR().AddJsonProtocol(json => RunJson.Configure(json.PayloadSerializerOptions));
        services.AddHostedService<TrainingHubBroadcaster>();

        var redis = builder.Configuration[$"{TempBalanceWebOptions.Section}:{nameof(TempBalanceWebOptions.Redis)}"];
        if (string.IsNullOrWhiteSpace(redis)) return;
        signalR.AddStackExchangeRedis(redis, backplane => backplane.Configuration.ChannelPrefix = RedisChannel.Literal(SignalRChannelPrefix));
        services.AddSingleton<IConnectionMultiplexer>(_ =>
        {
            var options = ConfigurationOptions.Parse(redis);
            // Start (and keep reconnecting) while Redis is down; /health/ready says so meanwhile.
            options.AbortOnConnectFail = false;
            return ConnectionMultiplexer.Connect(options);
        });
        services.AddHostedService<RedisUpdateRelay>();
        services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis", tags: [HealthEndpoints.ReadyTag]);
    }
}
