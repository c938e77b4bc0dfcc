using System.Security.Claims;
using Microsoft.AspNetCore.Mvc;

namespace TempBalance.Web.Auth;

/// <summary>
/// On an endpoint that changes one record with an owner (a run, a diagnosis): the record's check for the id in the
/// route, or 403 problem+json. An unknown id goes on to the endpoint, which answers 404.
/// </summary>
public abstract class OwnedChangeFilter : IEndpointFilter
{
    protected abstract Task<RunChangeCheck> CheckAsync(ClaimsPrincipal user, long id, CancellationToken cancellationToken);

    /// <summary>The 403's detail: whose record it is and who may change it.</summary>
    protected abstract string Forbidden(long id);

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (!long.TryParse(http.Request.RouteValues["id"]?.ToString(), out var id)) return await next(context);
        if (await CheckAsync(http.User, id, http.RequestAborted) != RunChangeCheck.Forbidden) return await next(context);
        return TypedResults.Problem(new ProblemDetails
        {
            Status = StatusCodes.Status403Forbidden,
            Title = "Not allowed",
            Detail = Forbidden(id),
        });
    }
}

/// <summary>The API's run-changing endpoints (PATCH, DELETE, cancel, resume): <see cref="RunAccess.CanChange"/>.</summary>
public sealed class RunChangeFilter(RunAccess access) : OwnedChangeFilter
{
    protected override Task<RunChangeCheck> CheckAsync(ClaimsPrincipal user, long id, CancellationToken cancellationToken) =>
        access.CheckChangeAsync(user, id, cancellationToken);

    protected override string Forbidden(long id) =>
        $"Run {id} was created by someone else; researchers change their own runs, admins any run.";
}
