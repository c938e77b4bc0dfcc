using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace TempBalance.Core.Training;

/// <summary>
/// Reads a config as "its preset, with what the JSON says on top": the preset named by "method" gives every field
/// the JSON leaves out. A request of {"method": "lars", "epochs": 5} trains LARS as the paper did, and configs
/// stored before recipes had parts ({"method": "baseline", ...}, no "tempBalance.enabled") keep their meaning.
/// </summary>
public static class TrainingConfigJson
{
    /// <summary>
    /// The config object with the fields its preset sets and it lacks filled in, and "method" spelled as the preset's
    /// canonical name. Names match case-insensitively; objects merge field by field; anything else, an explicit
    /// null included (for example "snr": null, SNR off), replaces the preset's value. Without a known preset (a
    /// missing, "custom" or unknown method), the object is returned as it is.
    /// </summary>
    public static JsonObject Expand(JsonObject config, JsonSerializerOptions options)
    {
        var methodNode = Get(config, nameof(TrainingConfig.Method), out var methodKey);
        // A method left out is the default preset; "method": null is kept, for the validator to report.
        string? method = methodNode is JsonValue value && value.TryGetValue<string>(out var text) ? text : methodKey is null ? RecipePresets.Default : null;
        if (RecipePresets.Find(method) is not { } preset) return config;

        var merged = (JsonObject)JsonSerializer.SerializeToNode(RecipePresets.ConfigOf(preset), Plain(options))!;
        Overlay(merged, config);
        if (methodKey is not null) merged.Remove(methodKey);
        Set(merged, nameof(TrainingConfig.Method), JsonValue.Create(preset.Name), options);
        return merged;
    }

    static void Overlay(JsonObject target, JsonObject source)
    {
        foreach (var (key, node) in source.ToList())
        {
            var existing = Get(target, key, out var targetKey);
            if (existing is JsonObject into && node is JsonObject from)
            {
                Overlay(into, from);
                continue;
            }
            if (targetKey is not null) target.Remove(targetKey);
            target[key] = node?.DeepClone();
        }
    }

    static JsonNode? Get(JsonObject obj, string name, out string? key)
    {
        foreach (var (k, node) in obj)
            if (string.Equals(k, name, StringComparison.OrdinalIgnoreCase))
            {
                key = k;
                return node;
            }
        key = null;
        return null;
    }

    static void Set(JsonObject obj, string property, JsonNode? node, JsonSerializerOptions options) =>
        obj[options.PropertyNamingPolicy?.ConvertName(property) ?? property] = node;

    /// <summary>Options without <see cref="Converter"/>, for the plain (de)serialisation it wraps.</summary>
    static JsonSerializerOptions Plain(JsonSerializerOptions options) => PlainOptions.GetValue(options, outer =>
    {
        var inner = new JsonSerializerOptions(outer);
        for (int i = inner.Converters.Count - 1; i >= 0; i--)
            if (inner.Converters[i] is Converter) inner.Converters.RemoveAt(i);
        return inner;
    });

    static readonly ConditionalWeakTable<JsonSerializerOptions, JsonSerializerOptions> PlainOptions = new();

    /// <summary>Reads configs through <see cref="Expand"/>; add it to the options that read stored configs.</summary>
    public sealed class Converter : JsonConverter<TrainingConfig>
    {
        public override TrainingConfig? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (JsonNode.Parse(ref reader) is not JsonObject config) throw new JsonException("A training config must be a JSON object.");
            return Expand(config, options).Deserialize<TrainingConfig>(Plain(options));
        }

        public override void Write(Utf8JsonWriter writer, TrainingConfig value, JsonSerializerOptions options) =>
            JsonSerializer.Serialize(writer, value, Plain(options));
    }
}
