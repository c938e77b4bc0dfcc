namespace TempBalance.Web.Auth;

/// <summary>The app's roles and the policies built on them. Each role includes what the roles below it may do.</summary>
public static class Roles
{
    public const string Viewer = "viewer";
    public const string Researcher = "researcher";
    public const string Admin = "admin";

    public static readonly IReadOnlyList<string> All = [Viewer, Researcher, Admin];

    /// <summary>Read everything.</summary>
    public const string CanRead = "can-read";

    /// <summary>Create runs and sweeps; change one's own runs (<see cref="RunAccess"/>).</summary>
    public const string CanCreate = "can-create";

    /// <summary>Users, every run, /hangfire.</summary>
    public const string CanAdminister = "can-administer";

    public static bool IsKnown(string role) => All.Contains(role, StringComparer.Ordinal);
}
