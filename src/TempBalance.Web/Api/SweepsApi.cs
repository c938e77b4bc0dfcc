using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using System.Security.Claims;
using TempBalance.Web.Auth;
using TempBalance.Web.Data;
using TempBalance.Web.Sweeps;

namespace TempBalance.Web.Api;

/// <summary>The sweeps HTTP API under /api/sweeps: create (queues every run of the grid), list, read with run metrics, cancel.</summary>
public static class SweepsApi
{
    public static IEndpointRouteBuilder MapSweepsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/sweeps").WithTags("Sweeps")
            .RequireAuthorization(Roles.CanRead)
            .AddEndpointFilter(async (context, next) => (await next(context)) switch
            {
                NotFound<ProblemDetails> { Value: { } problem } => TypedResults.Problem(problem),
                INestedHttpResult { Result: NotFound<ProblemDetails> { Value: { } problem } } => TypedResults.Problem(problem),
                var other => other,
            });

        api.MapPost("", Create)
            .RequireAuthorization(Roles.CanCreate)
            .Accepts<NewSweepRequest>("application/json")
            .WithSummary("Queue a sweep: a base config (\"config\") trained at every combination of the axes' values (\"axes\": [{ \"field\": \"lr\", \"values\": [0.01, 0.02] }]); refused whole (400) for an unknown or non-numeric field, an empty axis or more runs than the limit");
        api.MapGet("", List)
            .WithSummary("All sweeps, newest first, with their status and progress");
        api.MapGet("/{id:long}", Get)
            .WithSummary("One sweep: its axes, base config, and every run's axis values, status and metrics (final/best test accuracy and loss, J at the best epoch, epochs to J = 1, J² slope), with the scaling-relation check");
        api.MapPost("/{id:long}/cancel", Cancel)
            .RequireAuthorization(Roles.CanCreate)
            .WithSummary("Cancel every queued or running run of the sweep");
        return app;
    }

    public sealed record CreatedSweep(long Id, IReadOnlyList<long> RunIds);

    // Read by hand, as POST /api/runs is, so that a malformed value becomes a 400 naming its field.
    static async Task<Results<Created<CreatedSweep>, ValidationProblem>> Create(HttpRequest request, SweepService sweeps, RunAccess access, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var (node, error) = await JsonErrors.ReadBodyAsync(request, cancellationToken);
        if (error is not null) return error;
        NewSweepRequest? body;
        try
        {
            if (node is JsonObject requestObject) RunJson.ExpandConfig(requestObject);
            body = node.Deserialize<NewSweepRequest>(RunJson.StrictOptions);
        }
        catch (JsonException ex)
        {
            return JsonErrors.Invalid(ex);
        }
        if (body is null)
            return JsonErrors.Invalid("body", "Send a JSON object: { \"config\": { ... }, \"axes\": [{ \"field\": \"lr\", \"values\": [0.01, 0.02] }] }.");
        var result = await sweeps.CreateAsync(body, cancellationToken, access.ActorOf(user));
        if (!result.Succeeded) return TypedResults.ValidationProblem(result.Errors);
        return TypedResults.Created($"/api/sweeps/{result.SweepId}", new CreatedSweep(result.SweepId!.Value, result.RunIds));
    }

    static async Task<Ok<IReadOnlyList<SweepSummary>>> List(SweepService sweeps, CancellationToken cancellationToken) =>
        TypedResults.Ok(await sweeps.ListAsync(cancellationToken));

    static async Task<Results<Ok<SweepDetails>, NotFound<ProblemDetails>>> Get(long id, SweepService sweeps, CancellationToken cancellationToken) =>
        await sweeps.GetAsync(id, cancellationToken) is { } sweep ? TypedResults.Ok(sweep) : SweepNotFound(id);

    // A researcher cancels their own sweeps only: the rule for a sweep is the rule for the runs it created (RunAccess).
    static async Task<Results<Ok<SweepCancelResult>, NotFound<ProblemDetails>, ProblemHttpResult>> Cancel(
        long id, SweepService sweeps, RunAccess access, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        if (await sweeps.CreatorAsync(id, cancellationToken) is not { } creator) return SweepNotFound(id);
        if (!access.CanChange(user, creator.UserId))
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden",
                detail: $"Sweep {id} was started by {creator.Name ?? "someone before accounts existed"}; only they or an admin can cancel it.");
        return await sweeps.CancelAsync(id, cancellationToken, access.ActorOf(user)) is { } result ? TypedResults.Ok(result) : SweepNotFound(id);
    }

    static NotFound<ProblemDetails> SweepNotFound(long id) =>
        TypedResults.NotFound(new ProblemDetails { Status = StatusCodes.Status404NotFound, Title = "Not found", Detail = $"There is no sweep {id}." });
}
