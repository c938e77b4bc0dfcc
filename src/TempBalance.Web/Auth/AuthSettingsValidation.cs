using Microsoft.Extensions.Options;

namespace TempBalance.Web.Auth;

/// <summary>Checks TempBalance:Auth at start, so a wrong setting is one message naming it, not a failure on the first sign-in.</summary>
public sealed class AuthSettingsValidation : IValidateOptions<AuthSettings>
{
    public ValidateOptionsResult Validate(string? name, AuthSettings options)
    {
        var failures = new List<string>();
        if (!Enum.IsDefined(options.Mode))
            failures.Add($"{AuthSettings.Section}:Mode is '{options.Mode}'; use none, local or oidc.");
        if (options.MinPasswordLength < 8)
            failures.Add($"{AuthSettings.Section}:MinPasswordLength is {options.MinPasswordLength}; use at least 8.");
        if (options.MaxFailedSignIns < 1)
            failures.Add($"{AuthSettings.Section}:MaxFailedSignIns is {options.MaxFailedSignIns}; use at least 1.");
        if (options.LockoutDuration <= TimeSpan.Zero)
            failures.Add($"{AuthSettings.Section}:LockoutDuration must be positive.");
        if (options.SessionRevalidationInterval <= TimeSpan.Zero)
            failures.Add($"{AuthSettings.Section}:SessionRevalidationInterval must be positive (e.g. 00:01:00).");
        if (options.SignInsPerMinute < 1)
            failures.Add($"{AuthSettings.Section}:SignInsPerMinute is {options.SignInsPerMinute}; use at least 1.");
        if (options.Mode == AuthMode.Local && string.IsNullOrEmpty(options.AdminEmail) != string.IsNullOrEmpty(options.AdminPassword))
            failures.Add($"{AuthSettings.Section}:AdminEmail and {AuthSettings.Section}:AdminPassword go together; set both, or neither to get a set-up link in the log.");
        if (options.Mode == AuthMode.Local && !string.IsNullOrEmpty(options.AdminPassword) && options.AdminPassword.Length < options.MinPasswordLength)
            failures.Add($"{AuthSettings.Section}:AdminPassword is shorter than {AuthSettings.Section}:MinPasswordLength ({options.MinPasswordLength}).");
        if (options.Mode == AuthMode.Oidc)
        {
            var oidc = options.Oidc;
            if (!Uri.TryCreate(oidc.Authority, UriKind.Absolute, out var authority) || authority.Scheme is not ("https" or "http"))
                failures.Add($"{AuthSettings.Section}:Oidc:Authority must be the provider's address (https://...), not '{oidc.Authority}'.");
            else if (authority.Scheme == "http" && oidc.RequireHttpsMetadata)
                failures.Add($"{AuthSettings.Section}:Oidc:Authority is http; use https, or set {AuthSettings.Section}:Oidc:RequireHttpsMetadata to false for a provider on a private test network.");
            if (string.IsNullOrWhiteSpace(oidc.ClientId))
                failures.Add($"{AuthSettings.Section}:Oidc:ClientId is empty; set the client id registered with the provider.");
            if (string.IsNullOrWhiteSpace(oidc.RoleClaim))
                failures.Add($"{AuthSettings.Section}:Oidc:RoleClaim is empty; name the claim that carries roles or groups (e.g. roles, groups).");
            foreach (var (from, to) in oidc.RoleMapping)
            {
                if (!Roles.IsKnown(to))
                    failures.Add($"{AuthSettings.Section}:Oidc:RoleMapping:{from} is '{to}'; use {string.Join(", ", Roles.All)}.");
            }
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
