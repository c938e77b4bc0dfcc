using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using TempBalance.Core.Training;

namespace TempBalance.Web.Data;

/// <summary>The one JSON shape used for configs in the database, the HTTP API and exports: camelCase, enums as names.</summary>
public static class RunJson
{
    public static readonly JsonSerializerOptions Options = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false));
        options.Converters.Add(new TrainingConfigJson.Converter());
        options.NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals;
        return options;
    }

    /// <summary>
    /// For request bodies: an unknown property is an error naming it (a typo such as "epoch" would otherwise be
    /// silently ignored). Configs are read plainly: <see cref="ExpandConfig"/> fills them from their preset first,
    /// so that an error's path still names the field ("config.epochs").
    /// </summary>
    public static readonly JsonSerializerOptions StrictOptions = Strict();

    static JsonSerializerOptions Strict()
    {
        var options = new JsonSerializerOptions(Options) { UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow };
        options.Converters.Remove(options.Converters.Single(c => c is TrainingConfigJson.Converter));
        return options;
    }

    /// <summary>A request whose "config" object names a preset gets the preset's values for the fields it leaves out.</summary>
    public static void ExpandConfig(JsonObject request, string property = "config")
    {
        foreach (var (key, node) in request.ToList())
            if (string.Equals(key, property, StringComparison.OrdinalIgnoreCase) && node is JsonObject config)
                request[key] = TrainingConfigJson.Expand(config, Options);
    }

    public static string SerializeConfig(TrainingConfig config) => JsonSerializer.Serialize(config, Options);

    public static TrainingConfig DeserializeConfig(string json) =>
        JsonSerializer.Deserialize<TrainingConfig>(json, Options)
        ?? throw new InvalidDataException("A run's stored config is empty.");
}
