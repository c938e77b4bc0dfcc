using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace TempBalance.Web.Auth;

/// <summary>
/// Signs in a request that carries a personal token: "Authorization: Bearer tbp_..." or, on the hubs, the
/// access_token query parameter (browsers cannot set headers on WebSocket requests). The principal is the
/// token owner's, with their current roles; a locked-out account's tokens do not work.
/// </summary>
public sealed class PersonalTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    PersonalTokens tokens,
    UserManager<IdentityUser> users,
    SignInManager<IdentityUser> signIns)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    /// <summary>The token a request presents, or null.</summary>
    public static string? TokenOf(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return header["Bearer ".Length..].Trim();
        if (request.Path.StartsWithSegments("/hubs") && request.Query["access_token"].ToString() is { Length: > 0 } query) return query;
        return null;
    }

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (TokenOf(Request) is not { } token) return AuthenticateResult.NoResult();
        if (await tokens.FindUserAsync(token, Context.RequestAborted) is not { } userId
            || await users.FindByIdAsync(userId) is not { } user)
            return AuthenticateResult.Fail("The token is unknown or revoked.");
        if (await users.IsLockedOutAsync(user)) return AuthenticateResult.Fail("The token's account is locked.");
        var principal = await signIns.CreateUserPrincipalAsync(user);
        return AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        AuthResponses.WriteAsync(Context, StatusCodes.Status401Unauthorized);

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        AuthResponses.WriteAsync(Context, StatusCodes.Status403Forbidden);
}
