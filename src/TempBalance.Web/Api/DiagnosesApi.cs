using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Microsoft.OpenApi;
using TempBalance.Web.Auth;
using TempBalance.Web.Diagnoses;

namespace TempBalance.Web.Api;

/// <summary>
/// Model diagnoses under /api/diagnoses: upload a checkpoint (multipart, streamed to disk) to queue its HT-SR
/// analysis, list them, read one with its layers and a layer's spectrum, compare two, delete one.
/// </summary>
public static class DiagnosesApi
{
    public const string Path = "/api/diagnoses";

    /// <summary>Room for the multipart framing and the option fields on top of the file's own limit.</summary>
    public const long FormOverheadBytes = 64 * 1024;

    const int MaxFieldBytes = 4096;

    /// <summary>The upload (a multipart POST to <see cref="Path"/>): the one API request with a form body and its own size limit.</summary>
    public static bool IsUpload(HttpRequest request) =>
        HttpMethods.IsPost(request.Method) && request.Path.Equals(Path, StringComparison.OrdinalIgnoreCase) && IsMultipart(request.ContentType);

    static bool IsMultipart(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var type) && type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase);

    public static IEndpointRouteBuilder MapDiagnosesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup(Path).WithTags("Diagnoses").RequireAuthorization(Roles.CanRead);

        api.MapPost("", Upload)
            .RequireAuthorization(Roles.CanCreate)
            .WithSummary("Upload a model (multipart/form-data) and queue its HT-SR diagnosis")
            .WithDescription("The part 'file' holds a .safetensors, .pt/.pth/.bin (torch.save zip), .npy or this project's checkpoint.bin, "
                + "or a .zip of a Hugging Face model folder (sharded safetensors with their index). It is streamed to disk; its headers are read "
                + "at once, so a truncated or corrupt file, a wrong safetensors header length, an unknown dtype or a pickle that asks for code "
                + "is a 400 naming the file and the problem, and a file over TempBalance:Diagnosis:MaxUploadBytes a 413. Answers 202 with the "
                + "diagnosis's id and its address in Location; poll it until its status is completed or failed.")
            .Produces<CreatedDiagnosis>(StatusCodes.Status202Accepted)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                operation.RequestBody = UploadForm();
                return Task.CompletedTask;
            });
        api.MapGet("", List).WithSummary("Every diagnosis, newest first: status, file, summary line, mean alpha");
        api.MapGet("/{id:long}", Get).WithSummary("One diagnosis: status (with a one-line error when failed), options, summary and every layer's metrics and verdict");
        api.MapGet("/{id:long}/layers/{layer:int}/spectrum", GetSpectrum)
            .WithSummary("One layer's ESD: log10 histogram edges and counts, with the layer's power-law fit (alpha, xmin)");
        api.MapGet("/compare", Compare)
            .WithSummary("Two diagnoses side by side (before, after): layers matched by name with alpha in each and the change");
        api.MapDelete("/{id:long}", Delete)
            .AddEndpointFilter<DiagnosisChangeFilter>()
            .WithSummary("Delete a completed or failed diagnosis with its layers and file (409 while queued or running)");
        return app;
    }

    static OpenApiRequestBody UploadForm()
    {
        static OpenApiSchema Field(JsonSchemaType type, string description, string? format = null) => new() { Type = type, Description = description, Format = format };
        var form = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Required = new HashSet<string> { "file" },
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["file"] = Field(JsonSchemaType.String, "The model file (.safetensors, .pt, .pth, .bin, .npy) or a .zip of a model folder.", "binary"),
                ["fit"] = Field(JsonSchemaType.String, "xmin rule: median (default, the TempBalance paper), ks (WeightWatcher's) or peak."),
                ["xminPos"] = Field(JsonSchemaType.Integer, "Median rule: xmin index = floor(N / xminPos); default 2."),
                ["farms"] = Field(JsonSchemaType.Boolean, "Alpha from FARMS (fixed-aspect-ratio windows), comparable across layer shapes."),
                ["filterZeros"] = Field(JsonSchemaType.Boolean, "Drop eigenvalues <= 1e-5 before the fit (with fit=ks: WeightWatcher's fit)."),
                ["filter"] = Field(JsonSchemaType.String, "Analyse only tensors whose full name matches this glob ('*' any text, '?' one character); repeatable."),
                ["splitParts"] = Field(JsonSchemaType.Integer, "Split fused matrices (GPT-2's c_attn) into this many equal parts along their long side."),
                ["splitPattern"] = Field(JsonSchemaType.String, "Which matrices to split (a glob); default: *c_attn.weight, *qkv*, *query_key_value*, *W_pack*."),
                ["minEigenvalues"] = Field(JsonSchemaType.Integer, "Layers with fewer eigenvalues get no verdict; default 10."),
            },
        };
        return new OpenApiRequestBody
        {
            Required = true,
            Content = new Dictionary<string, OpenApiMediaType> { ["multipart/form-data"] = new() { Schema = form } },
        };
    }

    static async Task<IResult> Upload(HttpRequest request, DiagnosisService diagnoses, RunAccess access, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var uploads = diagnoses.Uploads;
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type) || !IsMultipart(request.ContentType)
            || HeaderUtilities.RemoveQuotes(type.Boundary) is not { Length: > 0 } boundary)
            return Invalid("file", "Send the model as multipart/form-data with the file in a part named 'file'.");
        if (request.ContentLength > uploads.MaxUploadBytes + FormOverheadBytes)
            return TooLarge($"The upload ({DiagnosisUploads.Size(request.ContentLength.Value)}) is larger than this server accepts ({DiagnosisUploads.Size(uploads.MaxUploadBytes)}, TempBalance:Diagnosis:MaxUploadBytes).");

        StoredUpload? upload = null;
        var fields = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        try
        {
            var reader = new MultipartReader(boundary.ToString(), request.Body) { BodyLengthLimit = null };
            while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)) continue;
                var name = HeaderUtilities.RemoveQuotes(disposition.Name).ToString();
                if (disposition.IsFileDisposition())
                {
                    if (name != "file") return Invalid(name, $"Send the model in the part named 'file', not '{name}'.");
                    if (upload is not null) return Invalid("file", "Send one file; a model folder goes as a .zip.");
                    var fileName = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).ToString();
                    upload = await uploads.ReceiveAsync(fileName, section.Body, cancellationToken: cancellationToken);
                }
                else
                {
                    if (!fields.TryGetValue(name, out var values)) fields[name] = values = [];
                    values.Add(await ReadFieldAsync(section.Body, name, cancellationToken));
                }
            }
            if (upload is null) return Invalid("file", "No file: send the model in a multipart part named 'file'.");
            var settings = DiagnosisSettings.FromForm(fields, out var errors);
            if (errors.Count > 0) return TypedResults.ValidationProblem(errors, detail: errors.First().Value[0]);
            var created = await diagnoses.CreateAsync(upload, settings, access.ActorOf(user), cancellationToken);
            upload = null;
            return TypedResults.Accepted($"{Path}/{created.Id}", created);
        }
        catch (DiagnosisUploadException e)
        {
            return e.Status == StatusCodes.Status413PayloadTooLarge ? TooLarge(e.Message) : Invalid(e.Field, e.Message);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge($"The upload is larger than this server accepts ({DiagnosisUploads.Size(uploads.MaxUploadBytes)}, TempBalance:Diagnosis:MaxUploadBytes).");
        }
        catch (InvalidDataException e)
        {
            return Invalid("body", $"The multipart body could not be read: {e.Message}");
        }
        finally
        {
            if (upload is not null) DiagnosisUploads.Discard(upload.Folder);
        }
    }

    /// <summary>An option field's text, refused past a few KB (options are short; a file belongs in the file part).</summary>
    static async Task<string> ReadFieldAsync(Stream body, string name, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxFieldBytes + 1];
        int total = 0, read;
        while (total < buffer.Length && (read = await body.ReadAsync(buffer.AsMemory(total), cancellationToken)) > 0) total += read;
        if (total > MaxFieldBytes) throw new DiagnosisUploadException(StatusCodes.Status400BadRequest, name, $"The field '{name}' is longer than {MaxFieldBytes} bytes.");
        return Encoding.UTF8.GetString(buffer, 0, total);
    }

    static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }, detail: message);

    static ProblemHttpResult TooLarge(string message) =>
        TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Upload too large", detail: message);

    static async Task<Ok<IReadOnlyList<DiagnosisSummaryView>>> List(DiagnosisService diagnoses, CancellationToken cancellationToken) =>
        TypedResults.Ok(await diagnoses.ListAsync(cancellationToken));

    static async Task<Results<Ok<DiagnosisDetails>, ProblemHttpResult>> Get(long id, DiagnosisService diagnoses, CancellationToken cancellationToken) =>
        await diagnoses.GetAsync(id, cancellationToken) is { } details ? TypedResults.Ok(details) : NotFound(id);

    static async Task<Results<Ok<DiagnosisSpectrum>, ProblemHttpResult>> GetSpectrum(long id, int layer, DiagnosisService diagnoses, CancellationToken cancellationToken)
    {
        if (await diagnoses.GetSpectrumAsync(id, layer, cancellationToken) is { } spectrum) return TypedResults.Ok(spectrum);
        return await diagnoses.GetAsync(id, cancellationToken) is null ? NotFound(id) : Problem(StatusCodes.Status404NotFound, "Not found", $"Diagnosis {id} has no layer {layer}.");
    }

    static async Task<Results<Ok<DiagnosisComparison>, ProblemHttpResult>> Compare(long before, long after, DiagnosisService diagnoses, CancellationToken cancellationToken)
    {
        if (await diagnoses.CompareAsync(before, after, cancellationToken) is { } comparison) return TypedResults.Ok(comparison);
        return NotFound(await diagnoses.GetAsync(before, cancellationToken) is null ? before : after);
    }

    static async Task<Results<NoContent, ProblemHttpResult>> Delete(long id, DiagnosisService diagnoses, CancellationToken cancellationToken) =>
        await diagnoses.DeleteAsync(id, cancellationToken) switch
        {
            DiagnosisDeletion.Deleted => TypedResults.NoContent(),
            DiagnosisDeletion.NotFound => NotFound(id),
            _ => Problem(StatusCodes.Status409Conflict, "Still running", $"Diagnosis {id} is queued or running; delete it once it has completed or failed."),
        };

    static ProblemHttpResult NotFound(long id) => Problem(StatusCodes.Status404NotFound, "Not found", $"There is no diagnosis {id}.");

    static ProblemHttpResult Problem(int status, string title, string detail) => TypedResults.Problem(statusCode: status, title: title, detail: detail);
}

/// <summary>DELETE of a diagnosis: its creator (a researcher) or an admin (<see cref="RunAccess.CanChange"/>).</summary>
public sealed class DiagnosisChangeFilter(DiagnosisService diagnoses) : OwnedChangeFilter
{
    protected override Task<RunChangeCheck> CheckAsync(ClaimsPrincipal user, long id, CancellationToken cancellationToken) =>
        diagnoses.CheckChangeAsync(user, id, cancellationToken);

    protected override string Forbidden(long id) =>
        $"Diagnosis {id} was created by someone else; researchers delete their own diagnoses, admins any.";
}
