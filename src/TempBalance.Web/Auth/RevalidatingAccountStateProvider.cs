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
public sealed class RevalidatingAccountStateProvider(ILoggerFactory loggers, IServiceScopeFactory scopes, IOptions<AuthSettings> settings)
    : RevalidatingServerAuthenticationStateProvider(loggers)
{
    protected override TimeSpan RevalidationInterval => settings.Value.SessionRevalidationInterval;

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState authenticationState, CancellationToken cancellationToken)
    {
        if (authenticationState.User.Identity?.IsAuthenticated != true) return true;
        await using var scope = scopes.CreateAsyncScope();
        // The account still exists with the security stamp the sign-in was issued with (what the cookie check asks too).
        var signIns = scope.ServiceProvider.GetRequiredService<SignInManager<IdentityUser>>();
        return await signIns.ValidateSecurityStampAsync(authenticationState.User) is not null;
    }
}
