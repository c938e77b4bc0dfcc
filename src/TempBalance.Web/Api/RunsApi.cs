using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using TempBalance.Core.Training;
using TempBalance.Web.Auth;
using TempBalance.Web.Data;
using TempBalance.Web.Runs;

namespace TempBalance.Web.Api;

/// <summary>The runs HTTP API under /api: create, list, read metrics, export, cancel, resume, download the checkpoint.</summary>
public static class RunsApi
{
    public static IEndpointRouteBuilder MapRunsApi(this IEndpointRouteBuilder app)
    {
        // Reading needs the viewer role, creating the researcher role; changing a run is for its creator or an
        // admin (RunChangeFilter). Without accounts (auth mode none) every policy passes.
        var api = app.MapGroup("/api").WithTags("Runs")
            .RequireAuthorization(Roles.CanRead)
            .AddEndpointFilter(async (context, next) => AsProblemJson(await next(context)));

        api.MapGet("/runs", ListRuns)
            .WithSummary("A page of runs, filtered and sorted on the server")
            .WithDescription("Besides the parameters below, each hyperparameter key filters on that setting: "
                + string.Join(", ", Hyperparameters.All.Select(h => h.Key))
                + ", e.g. ?lr=0.01,0.05&optimizer=sgd&subset=none. A run passes when it has one of the listed values, or lies in a range a..b (either end open).")
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                operation.Parameters ??= [];
                foreach (var hyperparameter in Hyperparameters.All)
                {
                    operation.Parameters.Add(new Microsoft.OpenApi.OpenApiParameter
                    {
                        Name = hyperparameter.Key,
                        In = Microsoft.OpenApi.ParameterLocation.Query,
                        Description = $"{hyperparameter.Description} Filter: {hyperparameter.FilterSyntax}.",
                        Schema = new Microsoft.OpenApi.OpenApiSchema { Type = Microsoft.OpenApi.JsonSchemaType.String },
                    });
                }
                return Task.CompletedTask;
            });
        api.MapPost("/runs", CreateRuns)
            .RequireAuthorization(Roles.CanCreate)
            .Accepts<NewRunRequest>("application/json")
            .RequireRateLimiting(RunCreationRateLimit.Policy)
            .WithSummary("Queue a run, or a group of runs (compareWithBaseline, seeds)");
        api.MapPost("/quickstart", QuickStart)
            .RequireAuthorization(Roles.CanCreate)
            .RequireRateLimiting(RunCreationRateLimit.Policy)
            .WithSummary("Queue a short Fashion-MNIST baseline-vs-TempBalance comparison");
        api.MapGet("/runs/{id:long}", GetRun)
            .WithSummary("One run: summary, config, notes, heartbeat, live sequence number, whether a checkpoint exists");
        api.MapPatch("/runs/{id:long}", UpdateRun)
            .AddEndpointFilter<RunChangeFilter>()
            .Accepts<RunAnnotations>("application/json")
            .WithSummary("Change a run's name, tags or notes, or archive it (archived: true) or bring it back (false)");
        api.MapDelete("/runs/{id:long}", DeleteRun)
            .AddEndpointFilter<RunChangeFilter>()
            .WithSummary("Delete a finished run with its metrics and files (409 while it is queued or running: cancel it first)");
        api.MapGet("/runs/{id:long}/system", GetSystemMetrics)
            .WithSummary("CPU, memory and (on CUDA) GPU use of the training process, sampled with each heartbeat");
        api.MapGet("/runs/{id:long}/epochs", GetEpochs)
            .WithSummary("Per-epoch metrics; sinceEpoch returns only later epochs (refetch after a missed live message)");
        api.MapGet("/runs/{id:long}/layers", GetLayers)
            .WithSummary("Per-layer metrics of one epoch (epoch), of the epochs after sinceEpoch, or of all epochs");
        api.MapGet("/runs/{id:long}/spectrum", GetSpectrum)
            .WithSummary("The ESD histogram and power-law fit of one layer at one epoch");
        api.MapGet("/runs/{id:long}/export", Export)
            .WithSummary("format=json: config, summary, epochs (with their batch losses) and layers; format=csv: the epochs table (table=batches: the batch losses, table=layers: the layers table)");
        api.MapPost("/runs/{id:long}/cancel", Cancel)
            .AddEndpointFilter<RunChangeFilter>()
            .WithSummary("Cancel a queued run at once, or a running one at its next batch (409 when it has finished)");
        api.MapPost("/runs/{id:long}/resume", Resume)
            .AddEndpointFilter<RunChangeFilter>()
            .WithSummary("Queue a cancelled, failed or interrupted run again; it continues from its last checkpoint");
        api.MapGet("/runs/{id:long}/audit", GetAudit)
            .WithSummary("The run's audit trail: who created, cancelled, resumed, edited it, and the app's own state changes, oldest first");
        api.MapGet("/runs/{id:long}/checkpoint", DownloadCheckpoint)
            .WithSummary("The run's checkpoint after its last epoch (model, optimizer, random states), as tempbalance analyze reads it");
        return app;
    }

    static async Task<Results<Ok<RunPage>, ValidationProblem>> ListRuns(
        HttpRequest request, RunService runs, CancellationToken cancellationToken,
        int page = 1, int pageSize = 25, string? sort = null, bool desc = true, string? status = null,
        string? method = null, string? model = null, string? dataset = null, string? search = null, string? tag = null,
        Guid? group = null, string? archived = null)
    {
        var errors = new Dictionary<string, string[]>();
        if (page < 1) errors["page"] = ["page starts at 1."];
        if (pageSize is < 1 or > RunQuery.MaxPageSize) errors["pageSize"] = [$"pageSize must be between 1 and {RunQuery.MaxPageSize}."];
        var sortBy = RunSort.Created;
        if (sort is not null && !(Enum.TryParse(sort, ignoreCase: true, out sortBy) && !int.TryParse(sort, out _)))
            errors["sort"] = [$"Unknown sort '{sort}'. Choose one of: {string.Join(", ", Enum.GetNames<RunSort>().Select(JsonNamingPolicy.CamelCase.ConvertName))}."];
        var statuses = new List<RunStatus>();
        foreach (var name in (status ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (Enum.TryParse<RunStatus>(name, ignoreCase: true, out var parsed) && !int.TryParse(name, out _)) statuses.Add(parsed);
            else errors["status"] = [$"Unknown status '{name}'. Choose from: {string.Join(", ", Enum.GetNames<RunStatus>())} (comma-separated)."];
        }
        var archivedFilter = ArchivedFilter.Exclude;
        if (archived is not null && !(Enum.TryParse(archived, ignoreCase: true, out archivedFilter) && Enum.IsDefined(archivedFilter) && !int.TryParse(archived, out _)))
            errors["archived"] = [$"Unknown value '{archived}'. Choose one of: exclude (default), include, only."];
        var filters = new List<HyperparameterFilter>();
        foreach (var hyperparameter in Hyperparameters.All)
        {
            // The same key twice (?lr=0.01&lr=0.05) means either value, as "0.01,0.05" does; a range stands alone.
            var given = request.Query.FirstOrDefault(q => string.Equals(q.Key, hyperparameter.Key, StringComparison.OrdinalIgnoreCase)).Value;
            if (given.Count == 0) continue;
            if (hyperparameter.Parse(string.Join(",", given.Where(v => v is not null)), out var error) is { } filter) filters.Add(filter);
            else errors[hyperparameter.Key] = [error!];
        }
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var query = new RunQuery
        {
            Archived = archivedFilter,
            Page = page,
            PageSize = pageSize,
            Sort = sortBy,
            Descending = desc,
            Statuses = statuses,
            Method = method,
            Model = model,
            Dataset = dataset,
            Search = search,
            Tag = tag,
            GroupId = group,
            Filters = filters,
        };
        return TypedResults.Ok(await runs.ListAsync(query, cancellationToken));
    }

    public sealed record CreatedRuns(IReadOnlyList<long> Ids, Guid? GroupId);

    // The body is read here rather than bound, so a malformed value becomes a 400 naming its field.
    static async Task<Results<Created<CreatedRuns>, ValidationProblem, ProblemHttpResult>> CreateRuns(HttpRequest request, RunService runs, RunAccess access, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var (node, error) = await JsonErrors.ReadBodyAsync(request, cancellationToken);
        if (error is not null) return error;
        // A body without a config would otherwise train the default run on a whole dataset.
        if (node is JsonObject requestObject && !requestObject.Any(p => string.Equals(p.Key, "config", StringComparison.OrdinalIgnoreCase)))
            return JsonErrors.Invalid("config", "A training config is required: { \"config\": { \"model\": \"smallcnn\", \"dataset\": \"fashion-mnist\", \"method\": \"baseline\", \"epochs\": 10 } }.");
        NewRunRequest? body;
        try
        {
            if (node is JsonObject expand) RunJson.ExpandConfig(expand);
            body = node.Deserialize<NewRunRequest>(RunJson.StrictOptions);
        }
        catch (JsonException ex)
        {
            return JsonErrors.Invalid(ex);
        }
        if (body is null)
            return JsonErrors.Invalid("body", "Send a JSON object: { \"config\": { ... }, \"tags\": [], \"seeds\": 1 }.");
        return await Create(body, runs, access.ActorOf(user), cancellationToken);
    }

    static Task<Results<Created<CreatedRuns>, ValidationProblem, ProblemHttpResult>> QuickStart(RunService runs, RunAccess access, ClaimsPrincipal user, CancellationToken cancellationToken) =>
        Create(RunPresets.QuickStart, runs, access.ActorOf(user), cancellationToken);

    static async Task<Results<Created<CreatedRuns>, ValidationProblem, ProblemHttpResult>> Create(NewRunRequest body, RunService runs, RunActor actor, CancellationToken cancellationToken)
    {
        var result = await runs.CreateAsync(body, cancellationToken, actor);
        if (result.QueueFull)
            return TypedResults.Problem(title: "Too many runs queued", detail: string.Join(" ", result.Errors.Values.SelectMany(m => m)),
                statusCode: StatusCodes.Status429TooManyRequests);
        if (!result.Succeeded) return TypedResults.ValidationProblem(result.Errors);
        return TypedResults.Created($"/api/runs/{result.RunIds[0]}", new CreatedRuns(result.RunIds, result.GroupId));
    }

    static async Task<Results<Ok<RunDetails>, NotFound<ProblemDetails>>> GetRun(long id, RunService runs, CancellationToken cancellationToken) =>
        await runs.GetAsync(id, cancellationToken) is { } run ? TypedResults.Ok(run) : RunNotFound(id);

    /// <summary>What PATCH changes; a field left out (or null) stays as it is; an empty name restores the default one.</summary>
    public sealed record RunAnnotations(IReadOnlyList<string?>? Tags, string? Notes, string? Name = null, bool? Archived = null);

    // Read strictly, like a new run: an unknown property ("tagz") is a 400 naming it, not a silent no-op.
    static async Task<Results<NoContent, NotFound<ProblemDetails>, ValidationProblem>> UpdateRun(long id, HttpRequest request, RunService runs, RunAccess access, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var (node, error) = await JsonErrors.ReadBodyAsync(request, cancellationToken);
        if (error is not null) return error;
        RunAnnotations? body;
        try
        {
            body = node.Deserialize<RunAnnotations>(RunJson.StrictOptions);
        }
        catch (JsonException ex)
        {
            return JsonErrors.Invalid(ex);
        }
        if (body is null) return JsonErrors.Invalid("body", "Send a JSON object such as { \"tags\": [\"a\"], \"notes\": \"...\" }.");
        var errors = RunRequestValidation.ValidateAnnotations(body.Tags, body.Notes, body.Name);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        return await runs.UpdateAnnotationsAsync(id, body.Tags, body.Notes, cancellationToken, body.Name, body.Archived, access.ActorOf(user)) ? TypedResults.NoContent() : RunNotFound(id);
    }

    static async Task<Results<NoContent, NotFound<ProblemDetails>, Conflict<ProblemDetails>>> DeleteRun(long id, RunService runs, RunAccess access, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var result = await runs.DeleteAsync(id, cancellationToken, access.ActorOf(user));
        return result.Outcome switch
        {
            RunTransitionOutcome.Done => TypedResults.NoContent(),
            RunTransitionOutcome.NotFound => RunNotFound(id),
            _ => TypedResults.Conflict(new ProblemDetails
            {
                Status = StatusCodes.Status409Conflict,
                Title = "Cannot delete",
                Detail = result.Message,
                Extensions = { ["runStatus"] = result.Status?.ToString() },
            }),
        };
    }

    static async Task<Results<Ok<IReadOnlyList<SystemSample>>, NotFound<ProblemDetails>>> GetSystemMetrics(long id, RunService runs, CancellationToken cancellationToken) =>
        await runs.GetSystemMetricsAsync(id, cancellationToken: cancellationToken) is { } samples ? TypedResults.Ok(samples) : RunNotFound(id);

    static async Task<Results<Ok<IReadOnlyList<EpochPoint>>, NotFound<ProblemDetails>>> GetEpochs(
        long id, RunService runs, CancellationToken cancellationToken, int? sinceEpoch = null) =>
        await runs.GetEpochsAsync(id, sinceEpoch, cancellationToken) is { } epochs ? TypedResults.Ok(epochs) : RunNotFound(id);

    static async Task<Results<Ok<IReadOnlyList<LayerPoint>>, NotFound<ProblemDetails>>> GetLayers(
        long id, RunService runs, CancellationToken cancellationToken, int? epoch = null, int? sinceEpoch = null) =>
        await runs.GetLayersAsync(id, epoch, sinceEpoch, cancellationToken) is { } layers ? TypedResults.Ok(layers) : RunNotFound(id);

    static async Task<Results<Ok<SpectrumView>, NotFound<ProblemDetails>>> GetSpectrum(
        long id, int epoch, int layer, RunService runs, CancellationToken cancellationToken)
    {
        if (await runs.GetSpectrumAsync(id, epoch, layer, cancellationToken) is { } spectrum) return TypedResults.Ok(spectrum);
        return await runs.GetAsync(id, cancellationToken) is null
            ? RunNotFound(id)
            : NotFound($"Run {id} has no spectrum for layer {layer} at epoch {epoch}.");
    }

    public sealed record RunExportDocument(RunDetails Run, IReadOnlyList<EpochPoint> Epochs, IReadOnlyList<LayerPoint> Layers);

    static async Task<IResult> Export(long id, RunService runs, CancellationToken cancellationToken, string format = "json", string table = "epochs")
    {
        var errors = new Dictionary<string, string[]>();
        format = format.ToLowerInvariant();
        table = table.ToLowerInvariant();
        if (format is not ("json" or "csv")) errors["format"] = [$"Unknown format '{format}'; use csv or json."];
        if (table is not ("epochs" or "batches" or "layers")) errors["table"] = [$"Unknown table '{table}'; use epochs, batches or layers (csv only)."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var run = await runs.GetAsync(id, cancellationToken);
        if (run is null) return RunNotFound(id);
        var epochs = await runs.GetEpochsAsync(id, cancellationToken: cancellationToken) ?? [];
        if (format == "csv")
        {
            var csv = table switch
            {
                "layers" => RunExport.LayersCsv(await runs.GetLayersAsync(id, cancellationToken: cancellationToken) ?? []),
                "batches" => ResultsWriter.BatchLossesCsv(epochs.SelectMany(e => e.BatchLosses)),
                _ => RunExport.EpochsCsv(run.Config, epochs),
            };
            return TypedResults.File(System.Text.Encoding.UTF8.GetBytes(csv), "text/csv", $"run-{id}-{table}.csv");
        }
        var layers = await runs.GetLayersAsync(id, cancellationToken: cancellationToken) ?? [];
        var json = JsonSerializer.SerializeToUtf8Bytes(new RunExportDocument(run, epochs, layers), RunJson.Options);
        return TypedResults.File(json, "application/json", $"run-{id}.json");
    }

    static async Task<Results<Ok<RunTransition>, NotFound<ProblemDetails>, Conflict<ProblemDetails>>> Cancel(long id, RunService runs, RunAccess access, ClaimsPrincipal user, CancellationToken cancellationToken) =>
        Transition(id, await runs.CancelAsync(id, cancellationToken, access.ActorOf(user)), "Cannot cancel");

    static async Task<Results<Ok<RunTransition>, NotFound<ProblemDetails>, Conflict<ProblemDetails>>> Resume(long id, RunService runs, RunAccess access, ClaimsPrincipal user, CancellationToken cancellationToken) =>
        Transition(id, await runs.ResumeAsync(id, cancellationToken, access.ActorOf(user)), "Cannot resume");

    static async Task<Results<Ok<IReadOnlyList<AuditEntryView>>, NotFound<ProblemDetails>>> GetAudit(long id, RunService runs, CancellationToken cancellationToken) =>
        await runs.GetAuditAsync(id, cancellationToken) is { } entries ? TypedResults.Ok(entries) : RunNotFound(id);

    static Results<Ok<RunTransition>, NotFound<ProblemDetails>, Conflict<ProblemDetails>> Transition(long id, RunTransition transition, string title) =>
        transition.Outcome switch
        {
            RunTransitionOutcome.Done => TypedResults.Ok(transition),
            RunTransitionOutcome.NotFound => RunNotFound(id),
            _ => TypedResults.Conflict(new ProblemDetails
            {
                Status = StatusCodes.Status409Conflict,
                Title = title,
                Detail = transition.Message,
                Extensions = { ["runStatus"] = transition.Status?.ToString() },
            }),
        };

    static async Task<Results<PhysicalFileHttpResult, NotFound<ProblemDetails>>> DownloadCheckpoint(long id, RunService runs, CancellationToken cancellationToken)
    {
        if (await runs.GetAsync(id, cancellationToken) is null) return RunNotFound(id);
        return runs.CheckpointFile(id) is { } path
            ? TypedResults.PhysicalFile(path, "application/octet-stream", $"run-{id}-checkpoint.bin")
            : NotFound($"Run {id} has no checkpoint yet; one is written after each epoch.");
    }

    /// <summary>
    /// Sends a 404 or 409 ProblemDetails as application/problem+json (RFC 9457), like validation problems; the
    /// endpoints keep returning the typed NotFound and Conflict results, which describe them in the OpenAPI document.
    /// </summary>
    static object? AsProblemJson(object? result) => (result is INestedHttpResult nested ? nested.Result : result) switch
    {
        NotFound<ProblemDetails> { Value: { } problem } => TypedResults.Problem(problem),
        Conflict<ProblemDetails> { Value: { } problem } => TypedResults.Problem(problem),
        _ => result,
    };

    static NotFound<ProblemDetails> RunNotFound(long id) => NotFound($"There is no run {id}.");

    static NotFound<ProblemDetails> NotFound(string detail) =>
        TypedResults.NotFound(new ProblemDetails { Status = StatusCodes.Status404NotFound, Title = "Not found", Detail = detail });
}
