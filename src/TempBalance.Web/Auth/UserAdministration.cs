using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace TempBalance.Web.Auth;

public sealed record UserView(string Id, string Name, string? Role, DateTimeOffset? LockedUntil, bool External);

/// <summary>
/// What the admin's Users page does. Each call uses its own scope: a page's circuit lives for hours, and a
/// UserManager held that long would keep one database context and its stale entities.
/// </summary>
public sealed class UserAdministration(IServiceScopeFactory scopes, TimeProvider time)
{
    public async Task<IReadOnlyList<UserView>> ListAsync()
    {
        using var scope = scopes.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        var db = scope.ServiceProvider.GetRequiredService<Data.TempBalanceDbContext>();
        var roleNames = await db.UserRoles.Join(db.Roles, ur => ur.RoleId, r => r.Id, (ur, r) => new { ur.UserId, r.Name }).ToListAsync();
        var external = await db.UserLogins.Select(l => l.UserId).Distinct().ToListAsync();
        var now = time.GetUtcNow();
        var all = await users.Users.OrderBy(u => u.UserName).ToListAsync();
        return all.Select(u => new UserView(u.Id, u.UserName ?? u.Id,
            Roles.All.LastOrDefault(role => roleNames.Any(r => r.UserId == u.Id && r.Name == role)),
            u.LockoutEnd > now ? u.LockoutEnd : null, external.Contains(u.Id))).ToList();
    }

    /// <summary>Creates a local account with one role; the errors say why not (password too short, e-mail taken).</summary>
    public async Task<IReadOnlyList<string>> CreateAsync(string email, string password, string role)
    {
        if (!Roles.IsKnown(role)) return [$"Unknown role '{role}'."];
        using var scope = scopes.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        var user = new IdentityUser { UserName = email.Trim(), Email = email.Trim(), EmailConfirmed = true };
        var created = await users.CreateAsync(user, password);
        if (!created.Succeeded) return created.Errors.Select(e => e.Description).ToList();
        var added = await users.AddToRoleAsync(user, role);
        return added.Succeeded ? [] : added.Errors.Select(e => e.Description).ToList();
    }

    public async Task<IReadOnlyList<string>> SetRoleAsync(string userId, string role)
    {
        if (!Roles.IsKnown(role)) return [$"Unknown role '{role}'."];
        using var scope = scopes.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        if (await users.FindByIdAsync(userId) is not { } user) return ["No such user."];
        var current = await users.GetRolesAsync(user);
        if (current.Contains(Roles.Admin) && role != Roles.Admin && (await users.GetUsersInRoleAsync(Roles.Admin)).Count == 1)
            return ["This is the only admin; make someone else admin first."];
        var removed = await users.RemoveFromRolesAsync(user, current);
        if (!removed.Succeeded) return removed.Errors.Select(e => e.Description).ToList();
        var added = await users.AddToRoleAsync(user, role);
        // Signed-in sessions keep their old role until the security stamp changes.
        await users.UpdateSecurityStampAsync(user);
        return added.Succeeded ? [] : added.Errors.Select(e => e.Description).ToList();
    }

    public async Task UnlockAsync(string userId)
    {
        using var scope = scopes.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        if (await users.FindByIdAsync(userId) is not { } user) return;
        await users.SetLockoutEndDateAsync(user, null);
        await users.ResetAccessFailedCountAsync(user);
    }
}
