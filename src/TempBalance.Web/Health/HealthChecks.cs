using System.Text.Json;
using Hangfire;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using TempBalance.Web.Data;
using TempBalance.Web.Jobs;

namespace TempBalance.Web.Health;

/// <summary>
/// The data folder takes checkpoints and, on SQLite, the database: ready means a file can be written there and
/// at least TempBalance:MinFreeSpaceMegabytes are free. Messages name the setting, not the server's path.
/// </summary>
public sealed class DataFolderHealthCheck(IOptions<TempBalanceWebOptions> options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var settings = options.Value;
        var folder = settings.DataDirectoryPath;
        const string setting = TempBalanceWebOptions.Section + ":DataDirectory";
        try
        {
            var probe = Path.Combine(folder, $".health-probe-{Environment.ProcessId}");
            File.WriteAllBytes(probe, new byte[4096]);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy(StorageFaults.Classify(e) switch
            {
                StorageFault.Full => $"The data folder ({setting}) is full: no space left on device.",
                StorageFault.ReadOnly => $"The data folder ({setting}) is not writable.",
                _ => $"The data folder ({setting}) cannot be written.",
            }));
        }
        long free = new DriveInfo(folder).AvailableFreeSpace;
        long needed = (long)settings.MinFreeSpaceMegabytes * 1024 * 1024;
        var data = new Dictionary<string, object> { ["freeMegabytes"] = free / (1024 * 1024) };
        return Task.FromResult(free < needed
            ? HealthCheckResult.Unhealthy(
                $"The data folder ({setting}) has {free / (1024.0 * 1024):0.#} MB free, less than {TempBalanceWebOptions.Section}:MinFreeSpaceMegabytes ({settings.MinFreeSpaceMegabytes} MB); runs may fail to write checkpoints.",
                data: data)
            : HealthCheckResult.Healthy($"Writable, {free / (1024.0 * 1024 * 1024):0.#} GB free.", data));
    }
}

/// <summary>A Hangfire server that serves the training queue has sent a heartbeat within the last minute.</summary>
public sealed class TrainingServerHealthCheck(TrainingServers servers) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var alive = servers.Alive();
        return Task.FromResult(alive.Servers > 0
            ? HealthCheckResult.Healthy($"{alive.Servers} server(s) with {alive.Workers} worker(s) take training jobs.")
            : HealthCheckResult.Unhealthy("No job server takes training jobs: queued runs will not start."));
    }
}

/// <summary>What this process is among the nodes, for /health/ready.</summary>
public sealed record NodeIdentity(NodeRole Role);

public static class HealthEndpoints
{
    public const string ReadyTag = "ready";

    /// <summary>The ready checks; every role has them (on a web node, training-queue means some worker takes jobs).</summary>
    public static void AddTempBalanceHealthChecks(this IServiceCollection services, NodeRole role) =>
        services.AddSingleton(new NodeIdentity(role)).AddHealthChecks()
            .AddCheck<TrainingServerHealthCheck>("training-queue", tags: [ReadyTag])
            .AddCheck<DataFolderHealthCheck>("data-folder", tags: [ReadyTag]);

    /// <summary>
    /// /health/live: the process answers (no checks, for restarts). /health/ready: database, training-queue
    /// server, data folder and (when configured) Redis, as JSON with the node's role and each check's status
    /// and description (503 when one fails).
    /// /health: the same checks as plain text ("Healthy"), as before.
    /// </summary>
    public static void MapTempBalanceHealth(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/health/live", new() { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new()
        {
            Predicate = check => check.Tags.Contains(ReadyTag),
            ResponseWriter = WriteJsonAsync,
        });
        app.MapHealthChecks("/health", new() { Predicate = check => check.Tags.Contains(ReadyTag) });
    }

    static Task WriteJsonAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var body = new
        {
            status = report.Status.ToString(),
            role = context.RequestServices.GetRequiredService<NodeIdentity>().Role.Name(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body, JsonSerializerOptions.Web));
    }
}
