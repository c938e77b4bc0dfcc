namespace TempBalance.Web.Auth;

/// <summary>none: no accounts (a single person on 127.0.0.1); local: accounts stored here; oidc: a team's identity provider.</summary>
public enum AuthMode
{
    None,
    Local,
    Oidc,
}

/// <summary>The "TempBalance:Auth" configuration section.</summary>
public sealed class AuthSettings
{
    public const string Section = "TempBalance:Auth";

    public AuthMode Mode { get; set; } = AuthMode.None;

    /// <summary>With <see cref="AdminPassword"/>: the first admin account, created at start when no admin exists. In oidc mode: the e-mail whose sign-in is made admin.</summary>
    public string? AdminEmail { get; set; }

    public string? AdminPassword { get; set; }

    public int MinPasswordLength { get; set; } = 10;

    /// <summary>Failed sign-ins in a row before the account is locked for <see cref="LockoutDuration"/>.</summary>
    public int MaxFailedSignIns { get; set; } = 5;

    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Sign-in attempts per client address and minute, whatever the account.</summary>
    public int SignInsPerMinute { get; set; } = 10;

    /// <summary>
    /// How often a signed-in session is checked against its account: open pages and sign-in cookies of an account
    /// whose role or password changed, or that was removed, are signed out within this time.
    /// </summary>
    public TimeSpan SessionRevalidationInterval { get; set; } = TimeSpan.FromMinutes(1);

    public OidcSettings Oidc { get; set; } = new();

    public bool Enabled => Mode != AuthMode.None;
}

public sealed class OidcSettings
{
    public string? Authority { get; set; }
    public string? ClientId { get; set; }
    public string? ClientSecret { get; set; }

    /// <summary>What the sign-in button says: "Sign in with {DisplayName}".</summary>
    public string DisplayName { get; set; } = "your identity provider";

    /// <summary>The claim in the provider's tokens that lists a person's groups or roles.</summary>
    public string RoleClaim { get; set; } = "roles";

    /// <summary>Provider value -> app role (viewer, researcher, admin); a value that already names an app role needs no entry.</summary>
    public Dictionary<string, string> RoleMapping { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Whether the provider's metadata must be fetched over HTTPS (switch off only for a provider on a private test network).</summary>
    public bool RequireHttpsMetadata { get; set; } = true;
}
