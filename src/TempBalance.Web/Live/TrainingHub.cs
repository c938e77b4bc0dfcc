using System.Threading.Channels;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using TempBalance.Web.Auth;
using TempBalance.Web.Runs;

namespace TempBalance.Web.Live;

/// <summary>
/// SignalR hub at /hubs/training for clients outside the Blazor circuit. Clients call JoinRun(runId) and
/// receive EpochCompleted, LayerMetrics, BatchProgress and StatusChanged. Groups live in memory: a client
/// re-joins after reconnecting and refetches what it missed (JoinRun returns the run's current sequence). An update
/// published just before the join may still arrive after it; its sequence is at most the returned one and what it
/// says is in the refetch, so a client skips messages at or below that sequence.
/// With accounts, connecting needs the viewer role: a sign-in cookie or a personal token (Authorization: Bearer,
/// or access_token in the query where a client cannot set headers).
/// </summary>
[Authorize(Policy = Roles.CanRead)]
public sealed class TrainingHub(TrainingUpdates updates, RunService runs, RunAccess access) : Hub
{
    public static string GroupName(long runId) => $"run-{runId}";

    /// <summary>Joins the run's group; refused (HubException) for a run that does not exist or the caller may not see.</summary>
    public async Task<long> JoinRun(long runId)
    {
        if (!await runs.IsVisibleToAsync(runId, access.ActorOf(Context.User ?? new()), Context.ConnectionAborted))
            throw new HubException($"There is no run {runId}.");
        await Groups.AddToGroupAsync(Context.ConnectionId, GroupName(runId));
        return updates.CurrentSequence(runId);
    }

    public Task LeaveRun(long runId) => Groups.RemoveFromGroupAsync(Context.ConnectionId, GroupName(runId));
}

/// <summary>
/// Forwards every update this process publishes to its run's SignalR group, one at a time so each group sees
/// them in order. With several nodes the Redis backplane takes each message to the clients of every node, so
/// updates relayed in from other nodes are not forwarded again here.
/// </summary>
public sealed class TrainingHubBroadcaster(TrainingUpdates updates, IHubContext<TrainingHub> hub, ILogger<TrainingHubBroadcaster> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var queue = Channel.CreateUnbounded<RunUpdate>(new UnboundedChannelOptions { SingleReader = true });
        using var subscription = updates.SubscribePublishedHere(update => queue.Writer.TryWrite(update));
        try
        {
            await foreach (var update in queue.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await hub.Clients.Group(TrainingHub.GroupName(update.RunId)).SendAsync(RunUpdate.KindOf(update), update, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogWarning(ex, "Could not send {Update} of run {RunId} to SignalR clients", update.GetType().Name, update.RunId);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
