using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TempBalance.Web.Data;
using TempBalance.Web.Runs;

namespace TempBalance.Web.Auth;

public enum RunChangeCheck
{
    Allowed,
    NotFound,
    Forbidden,
}

/// <summary>
/// Who may do what, in one place: viewers read, researchers create runs and change (cancel, resume, edit,
/// delete) the runs they created, admins do everything. In auth mode none there are no accounts and everyone
/// may do everything, as the person at the loopback address always could.
/// </summary>
public sealed class RunAccess(IOptions<AuthSettings> settings, IDbContextFactory<TempBalanceDbContext> dbFactory)
{
    /// <summary>The actor name of every change in auth mode none.</summary>
    public const string LocalActor = "local";

    public bool AccountsEnabled => settings.Value.Enabled;

    public bool CanRead(ClaimsPrincipal user) => !AccountsEnabled || Roles.All.Any(user.IsInRole);

    public bool CanCreate(ClaimsPrincipal user) => !AccountsEnabled || user.IsInRole(Roles.Researcher) || user.IsInRole(Roles.Admin);

    public bool CanAdminister(ClaimsPrincipal user) => !AccountsEnabled || user.IsInRole(Roles.Admin);

    /// <summary>The rule for one run: its creator (if a researcher still) or an admin. Runs from before accounts have no creator: admins only.</summary>
    public bool CanChange(ClaimsPrincipal user, string? createdByUserId) =>
        CanAdminister(user) || (user.IsInRole(Roles.Researcher) && createdByUserId is not null && createdByUserId == UserId(user));

    /// <summary>Reads the run's creator and applies <see cref="CanChange"/>.</summary>
    public async Task<RunChangeCheck> CheckChangeAsync(ClaimsPrincipal user, long runId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var run = await db.Runs.AsNoTracking().Where(r => r.Id == runId).Select(r => new { r.CreatedByUserId }).FirstOrDefaultAsync(cancellationToken);
        if (run is null) return RunChangeCheck.NotFound;
        return CanChange(user, run.CreatedByUserId) ? RunChangeCheck.Allowed : RunChangeCheck.Forbidden;
    }

    /// <summary>Who a change is recorded as: the account, or "local" without accounts.</summary>
    public RunActor ActorOf(ClaimsPrincipal user) => AccountsEnabled && UserId(user) is { } id
        ? new RunActor(user.Identity?.Name ?? id, UserId: id)
        : new RunActor(LocalActor);

    public static string? UserId(ClaimsPrincipal user) => user.FindFirstValue(ClaimTypes.NameIdentifier);
}

/// <summary>A policy's requirement: one of the listed checks of <see cref="RunAccess"/>.</summary>
public sealed class RoleRequirement(Func<RunAccess, ClaimsPrincipal, bool> allows) : IAuthorizationRequirement
{
    public bool Allows(RunAccess access, ClaimsPrincipal user) => allows(access, user);
}

public sealed class RoleRequirementHandler(RunAccess access) : AuthorizationHandler<RoleRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, RoleRequirement requirement)
    {
        if (requirement.Allows(access, context.User)) context.Succeed(requirement);
        return Task.CompletedTask;
    }
}
