using System.Security.Cryptography;

namespace TempBalance.Web.Security;

/// <summary>
/// Security headers on every response: no MIME sniffing, no referrer beyond this origin, and a Content-Security-
/// Policy under which the app's pages work and injected markup does not: scripts from this origin only (plus
/// the import map Blazor writes inline, allowed by a per-request nonce), inline styles (MudBlazor and plotly set
/// element styles), images and fonts from this origin or data: URLs, connections (Blazor's and the hub's web
/// sockets) to this origin only, no plugins, no framing by other sites. The Hangfire dashboard and the Scalar
/// reference write inline scripts of their own, so their pages get the same policy with inline scripts allowed.
/// </summary>
public sealed class SecurityHeaders(RequestDelegate next)
{
    const string NonceKey = "TempBalance.CspNonce";

    public Task InvokeAsync(HttpContext context)
    {
        // Hex, so that it reads the same in the header and in the HTML attribute (which would encode "+").
        var nonce = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        context.Items[NonceKey] = nonce;
        context.Response.OnStarting(() =>
        {
            var headers = context.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "same-origin";
            headers.ContentSecurityPolicy = Policy(context.Request, nonce);
            return Task.CompletedTask;
        });
        return next(context);
    }

    /// <summary>The nonce this request's pages put on the inline scripts they need (Blazor's import map).</summary>
    public static string? Nonce(HttpContext? context) => context?.Items[NonceKey] as string;

    internal static string Policy(HttpRequest request, string nonce)
    {
        bool thirdPartyPage = request.Path.StartsWithSegments("/hangfire") || request.Path.StartsWithSegments("/scalar");
        var webSocket = (request.IsHttps ? "wss://" : "ws://") + request.Host.Value;
        var scripts = thirdPartyPage ? "'self' 'unsafe-inline'" : $"'self' 'nonce-{nonce}'";
        return string.Join("; ",
            "default-src 'self'",
            $"script-src {scripts}",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            $"connect-src 'self' {webSocket}",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'self'");
    }
}
