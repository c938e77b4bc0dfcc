using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace TempBalance.Web.Auth;

/// <summary>
/// Sign-in through a team's OpenID Connect provider. The provider's person becomes a local account (so runs,
/// tokens and the audit trail can name them) whose roles follow the provider's role claim at every sign-in.
/// </summary>
public sealed class OidcAccounts(UserManager<IdentityUser> users, SignInManager<IdentityUser> signIns, IOptions<AuthSettings> settings)
{
    public const string LoginProvider = "oidc";

    /// <summary>Applies TempBalance:Auth:Oidc to the handler's options.</summary>
    public static void Configure(OpenIdConnectOptions options, AuthSettings settings)
    {
        var oidc = settings.Oidc;
        options.Authority = oidc.Authority;
        options.ClientId = oidc.ClientId;
        options.ClientSecret = oidc.ClientSecret;
        options.RequireHttpsMetadata = oidc.RequireHttpsMetadata;
        options.ResponseType = "code";
        options.UsePkce = true;
        options.CallbackPath = "/account/oidc-callback";
        options.SignedOutCallbackPath = "/account/oidc-signed-out";
        options.Scope.Clear();
        foreach (var scope in new[] { "openid", "profile", "email" }) options.Scope.Add(scope);
        // Keep the provider's claim names ("roles", "groups", "sub") as they are, so RoleClaim means what the provider sends.
        options.MapInboundClaims = false;
        options.TokenValidationParameters.NameClaimType = "name";
        options.TokenValidationParameters.RoleClaimType = oidc.RoleClaim;
        options.SignInScheme = IdentityConstants.ApplicationScheme;
        options.Events.OnTokenValidated = async context =>
        {
            var accounts = context.HttpContext.RequestServices.GetRequiredService<OidcAccounts>();
            context.Principal = await accounts.LocalPrincipalAsync(context.Principal!);
        };
    }

    /// <summary>The app roles a provider's person has: their role claim's values through RoleMapping, and admin for TempBalance:Auth:AdminEmail.</summary>
    public static IReadOnlySet<string> MapRoles(ClaimsPrincipal external, AuthSettings settings)
    {
        var roles = new HashSet<string>(StringComparer.Ordinal);
        foreach (var claim in external.FindAll(settings.Oidc.RoleClaim))
        {
            if (settings.Oidc.RoleMapping.TryGetValue(claim.Value, out var mapped)) roles.Add(mapped);
            else if (Roles.IsKnown(claim.Value)) roles.Add(claim.Value);
        }
        if (!string.IsNullOrEmpty(settings.AdminEmail) && string.Equals(external.FindFirstValue("email"), settings.AdminEmail, StringComparison.OrdinalIgnoreCase))
            roles.Add(Roles.Admin);
        return roles;
    }

    /// <summary>Finds or creates the local account of the provider's person, sets its roles, and returns its principal.</summary>
    public async Task<ClaimsPrincipal> LocalPrincipalAsync(ClaimsPrincipal external)
    {
        var subject = external.FindFirstValue("sub") ?? throw new InvalidOperationException("The identity provider's token has no 'sub' claim.");
        var email = external.FindFirstValue("email");
        var user = await users.FindByLoginAsync(LoginProvider, subject);
        if (user is null)
        {
            user = new IdentityUser { UserName = email ?? $"oidc-{subject}", Email = email, EmailConfirmed = email is not null };
            Check(await users.CreateAsync(user));
            Check(await users.AddLoginAsync(user, new UserLoginInfo(LoginProvider, subject, settings.Value.Oidc.DisplayName)));
        }
        var wanted = MapRoles(external, settings.Value);
        var current = await users.GetRolesAsync(user);
        Check(await users.RemoveFromRolesAsync(user, current.Except(wanted)));
        Check(await users.AddToRolesAsync(user, wanted.Except(current)));
        return await signIns.CreateUserPrincipalAsync(user);
    }

    static void Check(IdentityResult result)
    {
        if (!result.Succeeded) throw new InvalidOperationException("The account could not be stored: " + string.Join(" ", result.Errors.Select(e => e.Description)));
    }
}
