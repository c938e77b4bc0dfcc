using System.Text.Json;
using System.Text.Json.Serialization;
using TempBalance.Core.Training;

namespace TempBalance.Web.Data;

/// <summary>The one JSON shape used for configs in the database, the HTTP API and exports: camelCase, enums as names.</summary>
public static class RunJson
{
    public static readonly JsonSerializerOptions Options = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        options.NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals;
        return options;
    }

    /// <summary>For request bodies: an unknown property is an error naming it (a typo such as "epoch" would otherwise be silently ignored).</summary>
    public static readonly JsonSerializerOptions StrictOptions = new(Options) { UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow };

    public static string SerializeConfig(TrainingConfig config) => JsonSerializer.Serialize(config, Options);

    public static TrainingConfig DeserializeConfig(string json) =>
        JsonSerializer.Deserialize<TrainingConfig>(json, Options)
        ?? throw new InvalidDataException("A run's stored config is empty.");
}
