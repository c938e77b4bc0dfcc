using Microsoft.AspNetCore.Mvc;

namespace TempBalance.Web.Security;

/// <summary>
/// Keeps other web sites from changing state here through a visitor's browser (CSRF). The app has no cookie
/// login yet, but a page elsewhere could still post a form to a lab server on the visitor's network. So:
/// <list type="bullet">
/// <item>A state-changing /api request (POST, PUT, PATCH, DELETE) is refused with 403 when the browser says it
/// comes from another site (Sec-Fetch-Site) or another origin (Origin); clients that send neither (curl,
/// scripts, the CLI) are let through.</item>
/// <item>Its body, when it has one, must be JSON: a form post (urlencoded, multipart, text/plain) is the one
/// kind a browser sends cross-site without asking the server first, so it is refused with 415. The one
/// exception is the model upload (<see cref="Api.DiagnosesApi.IsUpload"/>), a file that only multipart carries:
/// browsers send Origin and Sec-Fetch-Site with every cross-origin POST, so the check above still refuses one
/// from another site, and with accounts the SameSite=Lax sign-in cookie does not travel with it.</item>
/// <item>The SignalR hubs (the app's /hubs/training and Blazor's /_blazor) refuse connections whose Origin is
/// another site, so a page elsewhere cannot listen to live messages.</item>
/// </list>
/// </summary>
public sealed class CrossSiteRequestGuard(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context, IProblemDetailsService problems)
    {
        var request = context.Request;
        if (request.Path.StartsWithSegments("/api") && !HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method) && !HttpMethods.IsOptions(request.Method))
        {
            if (CrossSite(request) is { } why)
            {
                await RefuseAsync(context, problems, StatusCodes.Status403Forbidden, "Cross-site request refused", why);
                return;
            }
            bool hasBody = request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0;
            if ((hasBody || request.ContentType is not null) && !request.HasJsonContentType() && !Api.DiagnosesApi.IsUpload(request))
            {
                await RefuseAsync(context, problems, StatusCodes.Status415UnsupportedMediaType, "Unsupported media type",
                    request.ContentType is null
                        ? "The body has no Content-Type; send JSON with Content-Type: application/json."
                        : $"The body is '{request.ContentType}'; this API reads JSON only (Content-Type: application/json).");
                return;
            }
        }
        else if ((request.Path.StartsWithSegments("/hubs") || request.Path.StartsWithSegments("/_blazor")) && ForeignOrigin(request) is { } origin)
        {
            await RefuseAsync(context, problems, StatusCodes.Status403Forbidden, "Cross-site connection refused",
                $"Live connections are accepted from this site's own pages only, not from {origin}.");
            return;
        }
        await next(context);
    }

    /// <summary>Why the request comes from another site, or null when it does not (or the client does not say).</summary>
    static string? CrossSite(HttpRequest request)
    {
        // "same-site" is a sibling subdomain, which is another origin; "none" is the user's own action.
        if (request.Headers["Sec-Fetch-Site"].ToString() is "cross-site" or "same-site")
            return "The browser says this request comes from another site; state changes are accepted from this site's own pages and from non-browser clients.";
        if (ForeignOrigin(request) is { } origin)
            return $"This request comes from {origin}; state changes are accepted from this site's own pages and from non-browser clients.";
        return null;
    }

    /// <summary>The Origin header when it names another origin than this server's (an opaque "null" origin included).</summary>
    internal static string? ForeignOrigin(HttpRequest request)
    {
        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0) return null;
        var own = $"{request.Scheme}://{request.Host.Value}";
        return string.Equals(origin, own, StringComparison.OrdinalIgnoreCase) ? null : origin;
    }

    static async Task RefuseAsync(HttpContext context, IProblemDetailsService problems, int status, string title, string detail)
    {
        context.Response.StatusCode = status;
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        });
    }
}
