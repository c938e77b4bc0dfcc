using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using TempBalance.Web.Data;

namespace TempBalance.Web.Api;

/// <summary>
/// Turns every exception an /api request ends with into application/problem+json: request errors that the
/// framework raises while binding (malformed query values, a body over the size limit, a wrong content type)
/// into the 4xx they mean, naming the parameter; a full or read-only data folder into 503; anything else into
/// a 500 that says nothing about the server's internals.
/// </summary>
public sealed partial class ApiExceptionHandler(IProblemDetailsService problems, ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (!context.Request.Path.StartsWithSegments("/api")) return false;
        var problem = Describe(exception);
        if (problem.Status >= 500) logger.LogError(exception, "{Method} {Path} failed", context.Request.Method, context.Request.Path);
        context.Response.StatusCode = problem.Status!.Value;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem, Exception = exception });
    }

    internal static ProblemDetails Describe(Exception exception)
    {
        if (exception is BadHttpRequestException bad) return Describe(bad);
        return StorageFaults.Classify(exception) switch
        {
            StorageFault.Full => Problem(StatusCodes.Status503ServiceUnavailable, "Storage full",
                "The server's data folder is full, so nothing can be stored until space is freed. Try again later."),
            StorageFault.ReadOnly or StorageFault.Unavailable => Problem(StatusCodes.Status503ServiceUnavailable, "Storage unavailable",
                "The server cannot write to its data folder at the moment. Try again later."),
            _ => Problem(StatusCodes.Status500InternalServerError, "Server error",
                "The server failed to answer this request; the error is in its log."),
        };
    }

    static ProblemDetails Describe(BadHttpRequestException bad)
    {
        if (bad.StatusCode == StatusCodes.Status413PayloadTooLarge)
            return Problem(bad.StatusCode, "Request body too large", "The request body is larger than this server accepts (TempBalance:Limits:MaxRequestBodyBytes).");
        if (bad.StatusCode == StatusCodes.Status415UnsupportedMediaType)
            return Problem(bad.StatusCode, "Unsupported media type", "Send the body as JSON with Content-Type: application/json.");
        if (bad.InnerException is JsonException json)
        {
            var field = json.Path is { Length: > 2 } path ? path.TrimStart('$', '.') : "body";
            return Validation(field, JsonErrors.Message(json));
        }
        if (FailedBinding().Match(bad.Message) is { Success: true } failed)
        {
            var type = failed.Groups["type"].Value.TrimEnd('?');
            var value = failed.Groups["value"].Value;
            if (value.Length > 60) value = value[..60] + "…";
            return Validation(failed.Groups["name"].Value, $"'{value}' is not {Describe(type)}.");
        }
        if (MissingParameter().Match(bad.Message) is { Success: true } missing)
            return Validation(missing.Groups["name"].Value, $"{missing.Groups["name"].Value} is required.");
        return Problem(bad.StatusCode, "Bad request", "The request could not be read; check its query values and body.");
    }

    static string Describe(string type) => type switch
    {
        "int" or "long" or "Int32" or "Int64" => "a whole number",
        "bool" or "Boolean" => "true or false",
        "Guid" => "a GUID such as 3f2504e0-4f89-41d3-9a0c-0305e82c3301",
        "double" or "Double" => "a number",
        _ => "a valid value",
    };

    static ProblemDetails Validation(string field, string message) =>
        new HttpValidationProblemDetails(new Dictionary<string, string[]> { [field] = [message] })
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "One or more validation errors occurred.",
        };

    static ProblemDetails Problem(int status, string title, string detail) => new() { Status = status, Title = title, Detail = detail };

    // RequestDelegateFactory's messages: 'Failed to bind parameter "int page" from "abc".'
    [GeneratedRegex(@"^Failed to bind parameter ""(?<type>[^""]+) (?<name>[^"" ]+)"" from ""(?<value>.*)""\.$")]
    private static partial Regex FailedBinding();

    // 'Required parameter "int epoch" was not provided from query string.'
    [GeneratedRegex(@"^Required parameter ""(?<type>[^""]+) (?<name>[^"" ]+)"" was not provided")]
    private static partial Regex MissingParameter();
}
