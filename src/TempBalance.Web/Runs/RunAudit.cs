using Microsoft.EntityFrameworkCore;
using TempBalance.Web.Data;

namespace TempBalance.Web.Runs;

/// <summary>One line of a run's audit trail, as the run page and GET /api/runs/{id}/audit show it.</summary>
public sealed record AuditEntryView(DateTime At, string Actor, string Action, string? Details);

/// <summary>
/// The audit trail: who changed a run, how and when. Entries are added in the same database context as the
/// change they describe (<see cref="RunLifecycle"/> for state changes, <see cref="RunService"/> for edits).
/// </summary>
public static class RunAudit
{
    public static void Add(TempBalanceDbContext db, long runId, RunActor actor, string action, string? details, DateTime at) =>
        db.AuditEntries.Add(new AuditEntry
        {
            RunId = runId,
            At = at,
            Actor = actor.Name,
            ActorUserId = actor.UserId,
            Action = action,
            Details = details is { Length: > AuditEntry.MaxDetailsLength } ? details[..(AuditEntry.MaxDetailsLength - 1)] + "…" : details,
        });

    /// <summary>The run's entries, oldest first; null when the run does not exist.</summary>
    public static async Task<IReadOnlyList<AuditEntryView>?> ReadAsync(TempBalanceDbContext db, long runId, CancellationToken cancellationToken)
    {
        if (!await db.Runs.AnyAsync(r => r.Id == runId, cancellationToken)) return null;
        return await db.AuditEntries.AsNoTracking().Where(a => a.RunId == runId).OrderBy(a => a.At).ThenBy(a => a.Id)
            .Select(a => new AuditEntryView(a.At, a.Actor, a.Action, a.Details)).ToListAsync(cancellationToken);
    }
}
