using System.Text.Json;
using System.Text.Json.Nodes;
using TempBalance.Web.Data;

namespace TempBalance.Web.Live;

/// <summary>
/// A run update as JSON for the channel between nodes: <c>{"origin": node id, "kind": "EpochCompleted",
/// "update": {...}}</c>, the update in the same camelCase form the hub and the API send.
/// </summary>
public static class RunUpdateCodec
{
    public static string Encode(string origin, RunUpdate update) => new JsonObject
    {
        ["origin"] = origin,
        ["kind"] = RunUpdate.KindOf(update),
        ["update"] = JsonSerializer.SerializeToNode(update, update.GetType(), RunJson.Options),
    }.ToJsonString();

    /// <summary>The sender and the update; throws <see cref="JsonException"/> for a message this version cannot read.</summary>
    public static (string Origin, RunUpdate Update) Decode(string message)
    {
        var envelope = JsonNode.Parse(message) ?? throw new JsonException("An empty run update message.");
        var kind = (string?)envelope["kind"] ?? throw new JsonException("A run update message without a kind.");
        if (!RunUpdate.Kinds.TryGetValue(kind, out var type)) throw new JsonException($"Unknown run update kind '{kind}'.");
        var update = (RunUpdate?)envelope["update"].Deserialize(type, RunJson.Options) ?? throw new JsonException("A run update message without an update.");
        return ((string?)envelope["origin"] ?? "", update);
    }
}
