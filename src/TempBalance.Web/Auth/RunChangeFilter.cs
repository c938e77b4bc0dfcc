using Microsoft.AspNetCore.Mvc;

namespace TempBalance.Web.Auth;

/// <summary>
/// On the API's run-changing endpoints (PATCH, DELETE, cancel, resume): <see cref="RunAccess.CanChange"/> for the
/// run in the route, or 403 problem+json. An unknown run goes on to the endpoint, which answers 404.
/// </summary>
public sealed class RunChangeFilter(RunAccess access) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (!long.TryParse(http.Request.RouteValues["id"]?.ToString(), out var id)) return await next(context);
        if (await access.CheckChangeAsync(http.User, id, http.RequestAborted) != RunChangeCheck.Forbidden) return await next(context);
        return TypedResults.Problem(new ProblemDetails
        {
            Status = StatusCodes.Status403Forbidden,
            Title = "Not allowed",
            Detail = $"Run {id} was created by someone else; researchers change their own runs, admins any run.",
        });
    }
}
