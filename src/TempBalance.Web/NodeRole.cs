namespace TempBalance.Web;

/// <summary>What one process of the app does (TempBalance:Role).</summary>
public enum NodeRole
{
    /// <summary>Everything in one process: pages, API, hub and training (the default).</summary>
    All,

    /// <summary>Pages, API and hub; queues runs for the workers and trains none.</summary>
    Web,

    /// <summary>Trains the queued runs; serves only /health.</summary>
    Worker,
}

public static class NodeRoles
{
    public static bool TryParse(string? value, out NodeRole role)
    {
        switch (value?.Trim().ToLowerInvariant())
        {
            case null or "" or "all": role = NodeRole.All; return true;
            case "web": role = NodeRole.Web; return true;
            case "worker": role = NodeRole.Worker; return true;
            default: role = NodeRole.All; return false;
        }
    }

    /// <summary>
    /// The role as configured. Services are registered by role before the options are validated, so an invalid
    /// value registers as "all" and then stops the start with the validation's message.
    /// </summary>
    public static NodeRole Of(IConfiguration configuration)
    {
        TryParse(configuration[$"{TempBalanceWebOptions.Section}:{nameof(TempBalanceWebOptions.Role)}"], out var role);
        return role;
    }

    public static bool ServesPages(this NodeRole role) => role != NodeRole.Worker;

    public static bool Trains(this NodeRole role) => role != NodeRole.Web;

    public static string Name(this NodeRole role) => role.ToString().ToLowerInvariant();
}
