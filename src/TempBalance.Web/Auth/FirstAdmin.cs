using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace TempBalance.Web.Auth;

/// <summary>
/// Makes sure the roles exist and that someone can administer the app: an admin from TempBalance:Auth:AdminEmail
/// and AdminPassword, or, without them, a one-time set-up link in the log (valid until an admin exists or the
/// app restarts).
/// </summary>
public sealed class FirstAdmin(IServiceScopeFactory scopes, IOptions<AuthSettings> settings, ILogger<FirstAdmin> logger)
{
    public const string SetupPath = "/account/setup";

    string? _setupToken;

    /// <summary>The set-up link's token while no admin exists and none comes from settings; null otherwise.</summary>
    public string? SetupToken => _setupToken;

    public async Task EnsureAsync(CancellationToken cancellationToken = default)
    {
        var auth = settings.Value;
        if (!auth.Enabled) return;
        using var scope = scopes.CreateScope();
        var roles = scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole>>();
        foreach (var role in Roles.All)
        {
            if (!await roles.RoleExistsAsync(role)) Check(await roles.CreateAsync(new IdentityRole(role)));
        }
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        if ((await users.GetUsersInRoleAsync(Roles.Admin)).Count > 0) return;

        if (auth.Mode == AuthMode.Oidc)
        {
            logger.LogWarning(string.IsNullOrEmpty(auth.AdminEmail)
                ? "No admin yet: map a role claim value to admin (TempBalance:Auth:Oidc:RoleMapping) or set TempBalance:Auth:AdminEmail."
                : "No admin yet: the first sign-in with the e-mail {AdminEmail} becomes admin.", auth.AdminEmail);
            return;
        }
        if (!string.IsNullOrEmpty(auth.AdminEmail) && !string.IsNullOrEmpty(auth.AdminPassword))
        {
            var existing = await users.FindByEmailAsync(auth.AdminEmail);
            if (existing is null)
            {
                existing = new IdentityUser { UserName = auth.AdminEmail, Email = auth.AdminEmail, EmailConfirmed = true };
                Check(await users.CreateAsync(existing, auth.AdminPassword), "TempBalance:Auth:AdminPassword");
            }
            Check(await users.AddToRoleAsync(existing, Roles.Admin));
            logger.LogInformation("Admin account {AdminEmail} created from TempBalance:Auth:AdminEmail", auth.AdminEmail);
            return;
        }
        _setupToken = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
    }

    /// <summary>Once the server listens: prints the set-up link with this server's address, when there is one to print.</summary>
    public void LogSetupLink(IServer server)
    {
        if (_setupToken is null) return;
        var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? "http://<this server>";
        logger.LogWarning("No admin account yet. Open {SetupLink} to create it (the link works once, until the app restarts), " +
                          "or set TempBalance:Auth:AdminEmail and TempBalance:Auth:AdminPassword and restart.",
            $"{address.TrimEnd('/')}{SetupPath}?token={_setupToken}");
    }

    public bool IsSetupToken(string? token) =>
        _setupToken is { } expected && token is not null
        && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(token));

    /// <summary>Creates the first admin through the set-up link; the link stops working when it succeeds.</summary>
    public async Task<(IdentityUser? User, IReadOnlyList<string> Errors)> CreateFromSetupAsync(string token, string email, string password, IServiceProvider services)
    {
        if (!IsSetupToken(token)) return (null, ["This set-up link is not valid any more; an admin exists, or the app restarted (the log shows a new link)."]);
        var users = services.GetRequiredService<UserManager<IdentityUser>>();
        var user = new IdentityUser { UserName = email.Trim(), Email = email.Trim(), EmailConfirmed = true };
        var created = await users.CreateAsync(user, password);
        if (!created.Succeeded) return (null, created.Errors.Select(e => e.Description).ToList());
        Check(await users.AddToRoleAsync(user, Roles.Admin));
        _setupToken = null;
        logger.LogInformation("Admin account {AdminEmail} created through the set-up link", user.Email);
        return (user, []);
    }

    static void Check(IdentityResult result, string? setting = null)
    {
        if (result.Succeeded) return;
        var why = string.Join(" ", result.Errors.Select(e => e.Description));
        throw new Data.StartupException(setting is null ? $"accounts could not be set up: {why}" : $"{setting} was refused: {why}");
    }
}
