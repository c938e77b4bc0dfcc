using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace TempBalance.Web.Auth;

/// <summary>What a request that is not signed in, or not allowed, gets: pages go to the sign-in page, machine clients a status code.</summary>
public static class AuthResponses
{
    /// <summary>/api and the hubs (the app's and Blazor's) answer with status codes; everything else is a page.</summary>
    public static bool IsForMachines(HttpRequest request) =>
        request.Path.StartsWithSegments("/api") || request.Path.StartsWithSegments("/hubs") || request.Path.StartsWithSegments("/_blazor");

    /// <summary>401 or 403; under /api as problem+json saying what to send.</summary>
    public static async Task WriteAsync(HttpContext context, int status)
    {
        context.Response.StatusCode = status;
        if (status == StatusCodes.Status401Unauthorized)
            context.Response.Headers.WWWAuthenticate = "Bearer";
        if (!context.Request.Path.StartsWithSegments("/api"))
        {
            // A bare status for the hubs and /hangfire; the pages' "not found" re-execution would turn it into a page.
            if (context.Features.Get<IStatusCodePagesFeature>() is { } statusPages) statusPages.Enabled = false;
            return;
        }
        await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = status == StatusCodes.Status401Unauthorized
                ? new ProblemDetails
                {
                    Status = status,
                    Title = "Sign-in required",
                    Detail = "Send a personal API token as 'Authorization: Bearer tbp_...' (create one on the account page, /account), or sign in with a browser.",
                }
                : new ProblemDetails
                {
                    Status = status,
                    Title = "Not allowed",
                    Detail = "Your role does not allow this: viewers read, researchers create runs and change their own, admins change everything.",
                },
        });
    }
}
