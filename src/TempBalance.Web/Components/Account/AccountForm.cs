namespace TempBalance.Web.Components.Account;

/// <summary>What the account pages' plain HTML forms (sign-in, change password) share.</summary>
public static class AccountForm
{
    /// <summary>
    /// The attributes of a required form field: the name the endpoint binds, and the autocomplete hint password
    /// managers read ("username", "current-password", "new-password").
    /// </summary>
    public static Dictionary<string, object> Field(string name, string autocomplete) => new()
    {
        ["name"] = name,
        ["autocomplete"] = autocomplete,
        ["required"] = true,
    };
}
