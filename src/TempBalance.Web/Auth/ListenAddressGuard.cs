using System.Net;

namespace TempBalance.Web.Auth;

/// <summary>
/// Mode none gives everyone who can reach the app every right, which is safe only on the loopback interface.
/// This reads the addresses the server will listen on from configuration (--urls, ASPNETCORE_URLS,
/// ASPNETCORE_HTTP_PORTS, Kestrel:Endpoints) and says why mode none must not start on them.
/// </summary>
public static class ListenAddressGuard
{
    /// <summary>The operator's message when mode none would listen beyond loopback, else null.</summary>
    public static string? Check(AuthMode mode, IConfiguration configuration)
    {
        if (mode != AuthMode.None) return null;
        var open = ListenAddresses(configuration).Where(address => !IsLoopback(address)).ToList();
        if (open.Count == 0) return null;
        return $"{AuthSettings.Section}:Mode is none (no sign-in: everyone who can reach the app may do everything), but the app would listen on {string.Join(", ", open)}, which is not loopback. " +
               $"Set {AuthSettings.Section}:Mode to local (environment variable TempBalance__Auth__Mode=local; first admin from TempBalance__Auth__AdminEmail and TempBalance__Auth__AdminPassword, or a set-up link in the log) or to oidc, or listen on the loopback address only (--urls http://localhost:5000).";
    }

    public static IEnumerable<string> ListenAddresses(IConfiguration configuration)
    {
        foreach (var key in new[] { "urls", "ASPNETCORE_URLS" })
        {
            foreach (var url in Split(configuration[key])) yield return url;
        }
        // Ports alone bind every interface.
        foreach (var (key, scheme) in new[] { ("http_ports", "http"), ("https_ports", "https"), ("ASPNETCORE_HTTP_PORTS", "http"), ("ASPNETCORE_HTTPS_PORTS", "https") })
        {
            foreach (var port in Split(configuration[key])) yield return $"{scheme}://*:{port}";
        }
        foreach (var endpoint in configuration.GetSection("Kestrel:Endpoints").GetChildren())
        {
            if (endpoint["Url"] is { Length: > 0 } url) yield return url;
        }
    }

    public static bool IsLoopback(string url)
    {
        // "http://*:5000" and "http://+:5000" are not valid URIs; they mean every interface.
        var rest = url.Contains("://", StringComparison.Ordinal) ? url[(url.IndexOf("://", StringComparison.Ordinal) + 3)..] : url;
        string host = rest.StartsWith('[') ? rest[..(rest.IndexOf(']') + 1)] : rest.Split(':', '/')[0];
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return true;
        return IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address);
    }

    static IEnumerable<string> Split(string? value) =>
        (value ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
