using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using TempBalance.Web.Data;

namespace TempBalance.Web.Api;

/// <summary>Request bodies read as JSON, and the 400s for those that do not read.</summary>
public static class JsonErrors
{
    /// <summary>
    /// A request's JSON body read strictly (<see cref="RunJson.StrictOptions"/>), or the 400 that says why it is
    /// none: an empty body, malformed JSON, a repeated property, a body that is not JSON.
    /// </summary>
    public static async Task<(JsonNode Node, ValidationProblem? Error)> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        try
        {
            var node = await request.ReadFromJsonAsync<JsonNode>(RunJson.StrictOptions, cancellationToken);
            return node is null ? (null!, Invalid("body", "The body is empty; send a JSON object.")) : (node, null);
        }
        catch (JsonException ex)
        {
            return (null!, Invalid(ex));
        }
        catch (ArgumentException ex) when (ex.Message.StartsWith("An item with the same key", StringComparison.Ordinal))
        {
            // Reading a JsonNode, System.Text.Json adds each property to a dictionary and a repeated one fails there,
            // whatever AllowDuplicateProperties says; the message names the key but not its path.
            var key = ex.Message.Split("Key: ") is [_, var rest] ? rest.Split(' ')[0] : "?";
            return (null!, Invalid("body", $"The request names '{key}' more than once in one object; send each property once."));
        }
        catch (InvalidOperationException ex) when (!request.HasJsonContentType())
        {
            return (null!, Invalid("body", ex.Message));
        }
    }

    /// <summary>The 400 for a body that does not read: the field its path names, and what is wrong.</summary>
    public static ValidationProblem Invalid(JsonException ex) =>
        Invalid(ex.Path is { Length: > 2 } path ? path.TrimStart('$', '.') : "body", Message(ex));

    public static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] });

    /// <summary>System.Text.Json's message names .NET types and positions; keep the part that says what is wrong.</summary>
    public static string Message(JsonException ex)
    {
        var message = ex.Message;
        int cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }
}
