using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace TempBalance.Web.Auth;

/// <summary>
/// A page's circuit checks its account every <see cref="AuthSettings.SessionRevalidationInterval"/>: when an admin has
/// changed its role (which renews the security stamp), changed its password or removed it, the circuit is signed out
/// there and then. Without this, an open page kept the rights its account had when it was opened until it reconnected.
/// </summary>
public sealed class RevalidatingAccountStateProvider(ILoggerFactory loggers, IServiceScopeFactory scopes, IOptions<AuthSettings> settings,
    IOptions<IdentityOptions> identity) : RevalidatingServerAuthenticationStateProvider(loggers)
{
    protected override TimeSpan RevalidationInterval => settings.Value.SessionRevalidationInterval;

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState authenticationState, CancellationToken cancellationToken)
    {
        var principal = authenticationState.User;
        if (principal.Identity?.IsAuthenticated != true) return true;
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        return await IsCurrentAsync(users, principal, identity.Value.ClaimsIdentity.SecurityStampClaimType);
    }

    /// <summary>Whether the account behind a sign-in still exists with the security stamp the sign-in was issued with.</summary>
    static async Task<bool> IsCurrentAsync(UserManager<IdentityUser> users, ClaimsPrincipal principal, string stampClaim)
    {
        if (await users.GetUserAsync(principal) is not { } user) return false;
        if (!users.SupportsUserSecurityStamp) return true;
        return principal.FindFirstValue(stampClaim) == await users.GetSecurityStampAsync(user);
    }
}
