using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace TempBalance.Web.Auth;

/// <summary>
/// The form posts of the account pages under /account. Cookies cannot be set over a Blazor circuit, so signing
/// in and out are plain HTTP form posts (with the antiforgery token the pages render) answered by redirects.
/// </summary>
public static class AccountEndpoints
{
    public const string LoginPath = "/account/login";
    public const string PasswordPath = "/account/password";

    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        var account = app.MapGroup("/account").ExcludeFromDescription().AllowAnonymous();
        account.MapPost("/login", SignInAsync).RequireRateLimiting(AuthRegistration.SignInRateLimit);
        account.MapPost("/login/oidc", SignInWithProvider).RequireRateLimiting(AuthRegistration.SignInRateLimit);
        account.MapPost("/logout", SignOutAsync);
        account.MapPost("/setup", SetUpAsync).RequireRateLimiting(AuthRegistration.SignInRateLimit);
        // Signed in only; rate limited like sign-in, since the current password is checked here too.
        app.MapPost(PasswordPath, ChangePasswordAsync).ExcludeFromDescription().RequireAuthorization()
            .RequireRateLimiting(AuthRegistration.SignInRateLimit);
        return app;
    }

    static async Task<IResult> SignInAsync(
        [FromForm] string? email, [FromForm] string? password, [FromForm] string? rememberMe, [FromForm] string? returnUrl,
        SignInManager<IdentityUser> signIns, IOptions<AuthSettings> settings, ILoggerFactory loggers)
    {
        if (settings.Value.Mode != AuthMode.Local) return Results.NotFound();
        var user = string.IsNullOrWhiteSpace(email) ? null
            : await signIns.UserManager.FindByEmailAsync(email.Trim()) ?? await signIns.UserManager.FindByNameAsync(email.Trim());
        if (user is null || string.IsNullOrEmpty(password)) return BackToSignIn("invalid", returnUrl, email);
        var result = await signIns.PasswordSignInAsync(user, password, isPersistent: rememberMe == "true", lockoutOnFailure: true);
        if (result.Succeeded) return Results.LocalRedirect(SafeReturnUrl(returnUrl));
        if (result.IsLockedOut)
        {
            loggers.CreateLogger(typeof(AccountEndpoints)).LogWarning("Sign-in to {Account} refused: the account is locked", user.UserName);
            return BackToSignIn("locked", returnUrl, email);
        }
        return BackToSignIn("invalid", returnUrl, email);
    }

    static IResult SignInWithProvider([FromForm] string? returnUrl, IOptions<AuthSettings> settings) =>
        settings.Value.Mode != AuthMode.Oidc
            ? Results.NotFound()
            : Results.Challenge(new AuthenticationProperties { RedirectUri = SafeReturnUrl(returnUrl) }, [AuthRegistration.OidcScheme]);

    static async Task<IResult> SignOutAsync(SignInManager<IdentityUser> signIns)
    {
        await signIns.SignOutAsync();
        return Results.LocalRedirect(LoginPath + "?signedOut=true");
    }

    static async Task<IResult> SetUpAsync(
        [FromForm] string? token, [FromForm] string? email, [FromForm] string? password,
        FirstAdmin firstAdmin, SignInManager<IdentityUser> signIns, HttpContext context)
    {
        if (string.IsNullOrWhiteSpace(email) || string.IsNullOrEmpty(password))
            return Results.LocalRedirect($"{FirstAdmin.SetupPath}?token={Uri.EscapeDataString(token ?? "")}&error={Uri.EscapeDataString("Enter an e-mail address and a password.")}");
        var (user, errors) = await firstAdmin.CreateFromSetupAsync(token ?? "", email, password, context.RequestServices);
        if (user is null)
            return Results.LocalRedirect($"{FirstAdmin.SetupPath}?token={Uri.EscapeDataString(token ?? "")}&error={Uri.EscapeDataString(string.Join(" ", errors))}");
        await signIns.SignInAsync(user, isPersistent: false);
        return Results.LocalRedirect("/account");
    }

    /// <summary>
    /// Changes a local account's password: the current one must be right and the new one meet the policy. The
    /// security stamp changes with it, which signs the account out elsewhere; this browser gets a fresh cookie.
    /// </summary>
    static async Task<IResult> ChangePasswordAsync(
        [FromForm] string? currentPassword, [FromForm] string? newPassword, [FromForm] string? confirmPassword,
        SignInManager<IdentityUser> signIns, IOptions<AuthSettings> settings, HttpContext context)
    {
        if (settings.Value.Mode != AuthMode.Local) return Results.NotFound();
        static IResult Back(string error) => Results.LocalRedirect($"{PasswordPath}?error={Uri.EscapeDataString(error)}");
        var user = await signIns.UserManager.GetUserAsync(context.User);
        if (user is null) return Results.LocalRedirect(LoginPath);
        if (string.IsNullOrEmpty(currentPassword) || string.IsNullOrEmpty(newPassword)) return Back("Enter your current password and a new one.");
        if (newPassword != confirmPassword) return Back("The new password and its repetition differ.");
        var result = await signIns.UserManager.ChangePasswordAsync(user, currentPassword, newPassword);
        if (!result.Succeeded)
            return Back(result.Errors.Any(e => e.Code == nameof(IdentityErrorDescriber.PasswordMismatch))
                ? "The current password is wrong."
                : string.Join(" ", result.Errors.Select(e => e.Description)));
        await signIns.RefreshSignInAsync(user);
        return Results.LocalRedirect($"{PasswordPath}?changed=true");
    }

    static IResult BackToSignIn(string error, string? returnUrl, string? email) =>
        Results.LocalRedirect($"{LoginPath}?error={error}&returnUrl={Uri.EscapeDataString(SafeReturnUrl(returnUrl))}&email={Uri.EscapeDataString(email ?? "")}");

    /// <summary>Only a path on this site: an absolute or protocol-relative URL would make the sign-in page an open redirect.</summary>
    public static string SafeReturnUrl(string? returnUrl) =>
        returnUrl is { Length: > 0 } url && url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal) && !url.StartsWith("/\\", StringComparison.Ordinal)
            ? url
            : "/";
}
