using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using TempBalance.Web.Data;

namespace TempBalance.Web.Auth;

/// <summary>
/// Accounts, sign-in and the role policies. Everything is registered in every mode and reads TempBalance:Auth
/// when first used (test hosts add their settings after Program's registrations); in mode none every policy
/// passes and nobody signs in.
/// </summary>
public static class AuthRegistration
{
    /// <summary>The default scheme: a personal token when the request presents one, else the sign-in cookie.</summary>
    public const string CookieOrToken = "cookie-or-token";
    public const string TokenScheme = "personal-token";
    public const string OidcScheme = "oidc";
    public const string SignInRateLimit = "sign-in";

    public static void AddTempBalanceAuth(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<AuthSettings>().Bind(builder.Configuration.GetSection(AuthSettings.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AuthSettings>, AuthSettingsValidation>();
        services.AddSingleton<RunAccess>();
        services.AddSingleton<PersonalTokens>();
        services.AddSingleton<FirstAdmin>();
        services.AddSingleton<UserAdministration>();
        services.AddScoped<OidcAccounts>();
        services.AddScoped<CircuitUser>();

        services.AddIdentityCore<IdentityUser>()
            .AddRoles<IdentityRole>()
            .AddEntityFrameworkStores<TempBalanceDbContext>()
            .AddSignInManager()
            .AddDefaultTokenProviders();
        services.AddOptions<IdentityOptions>().Configure<IOptions<AuthSettings>>((identity, auth) =>
        {
            // Length is what makes a password hard to guess; composition rules mostly make it hard to remember.
            identity.Password.RequiredLength = auth.Value.MinPasswordLength;
            identity.Password.RequireDigit = false;
            identity.Password.RequireLowercase = false;
            identity.Password.RequireUppercase = false;
            identity.Password.RequireNonAlphanumeric = false;
            identity.Password.RequiredUniqueChars = 4;
            identity.Lockout.MaxFailedAccessAttempts = auth.Value.MaxFailedSignIns;
            identity.Lockout.DefaultLockoutTimeSpan = auth.Value.LockoutDuration;
            identity.Lockout.AllowedForNewUsers = true;
            identity.User.RequireUniqueEmail = true;
        });

        services.AddAuthentication(options =>
            {
                options.DefaultScheme = CookieOrToken;
                options.DefaultChallengeScheme = CookieOrToken;
            })
            .AddPolicyScheme(CookieOrToken, "Sign-in cookie or personal token", options =>
                options.ForwardDefaultSelector = context =>
                    PersonalTokenHandler.TokenOf(context.Request) is null ? IdentityConstants.ApplicationScheme : TokenScheme)
            .AddScheme<AuthenticationSchemeOptions, PersonalTokenHandler>(TokenScheme, null)
            .AddIdentityCookies();
        // The OpenID Connect scheme exists in oidc mode only: a remote scheme's handler runs on every request
        // (to catch its callback path), and without a provider configured its options are invalid. So it is
        // added when the authentication options are built, after the mode is known, rather than by AddOpenIdConnect.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<OpenIdConnectOptions>, OpenIdConnectPostConfigureOptions>());
        services.TryAddTransient<OpenIdConnectHandler>();
        services.AddOptions<AuthenticationOptions>().Configure<IOptions<AuthSettings>>((authentication, auth) =>
        {
            if (auth.Value.Mode == AuthMode.Oidc) authentication.AddScheme<OpenIdConnectHandler>(OidcScheme, "OpenID Connect");
        });
        services.AddOptions<OpenIdConnectOptions>(OidcScheme)
            .Configure<IOptions<AuthSettings>>((oidc, auth) => OidcAccounts.Configure(oidc, auth.Value))
            .Validate(oidc =>
            {
                oidc.Validate(OidcScheme);
                return true;
            });
        services.ConfigureApplicationCookie(cookie =>
        {
            cookie.Cookie.Name = ".TempBalance.SignIn";
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SameSite = SameSiteMode.Lax;
            cookie.LoginPath = "/account/login";
            cookie.AccessDeniedPath = "/account/access-denied";
            cookie.ExpireTimeSpan = TimeSpan.FromDays(14);
            cookie.SlidingExpiration = true;
            // Pages go to the sign-in page; /api and the hubs get 401 or 403 (problem+json under /api). /hangfire
            // sends people to sign in, and answers a signed-in non-admin with a plain 403.
            cookie.Events.OnRedirectToLogin = context => AuthResponses.IsForMachines(context.Request)
                ? AuthResponses.WriteAsync(context.HttpContext, StatusCodes.Status401Unauthorized)
                : Redirect(context);
            cookie.Events.OnRedirectToAccessDenied = context => AuthResponses.IsForMachines(context.Request) || context.Request.Path.StartsWithSegments("/hangfire")
                ? AuthResponses.WriteAsync(context.HttpContext, StatusCodes.Status403Forbidden)
                : Redirect(context);
        });

        services.AddSingleton<IAuthorizationHandler, RoleRequirementHandler>();
        services.AddAuthorizationBuilder()
            .AddPolicy(Roles.CanRead, policy => policy.AddRequirements(new RoleRequirement((access, user) => access.CanRead(user))))
            .AddPolicy(Roles.CanCreate, policy => policy.AddRequirements(new RoleRequirement((access, user) => access.CanCreate(user))))
            .AddPolicy(Roles.CanAdminister, policy => policy.AddRequirements(new RoleRequirement((access, user) => access.CanAdminister(user))));
        services.AddCascadingAuthenticationState();
        services.AddScoped<AuthenticationStateProvider, RevalidatingAccountStateProvider>();
        // The sign-in cookie is checked against the account as often as an open page is (Identity's default is 30 minutes).
        services.AddOptions<SecurityStampValidatorOptions>().Configure<IOptions<AuthSettings>>((stamp, auth) =>
            stamp.ValidationInterval = auth.Value.SessionRevalidationInterval);

        services.AddRateLimiter(limiter => limiter.AddPolicy(SignInRateLimit, context =>
        {
            var perMinute = context.RequestServices.GetRequiredService<IOptions<AuthSettings>>().Value.SignInsPerMinute;
            return RateLimitPartition.GetFixedWindowLimiter(context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = perMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 });
        }));
        // The limiter has one rejection handler (the API's 429 problem+json); a refused sign-in is a browser's
        // form post, so it goes back to the sign-in page, which says to wait.
        services.PostConfigure<RateLimiterOptions>(limiter =>
        {
            var others = limiter.OnRejected;
            limiter.OnRejected = (rejected, cancellationToken) =>
            {
                if (!rejected.HttpContext.Request.Path.StartsWithSegments("/account"))
                    return others?.Invoke(rejected, cancellationToken) ?? ValueTask.CompletedTask;
                rejected.HttpContext.Response.Redirect(AccountEndpoints.LoginPath + "?error=throttled");
                return ValueTask.CompletedTask;
            };
        });
    }

    static Task Redirect(Microsoft.AspNetCore.Authentication.RedirectContext<Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationOptions> context)
    {
        context.Response.Redirect(context.RedirectUri);
        return Task.CompletedTask;
    }
}
