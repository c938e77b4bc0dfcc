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
        options.Converters.Add(new EnumWithChoicesConverter());
        options.Converters.Add(new TrainingConfigJson.Converter());
        options.NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals;
        return options;
    }

    /// <summary>
    /// For request bodies: an unknown or repeated property is an error naming it (a typo such as "epoch" would otherwise be
    /// silently ignored). Configs are read plainly: <see cref="ExpandConfig"/> fills them from their preset first,
    /// so that an error's path still names the field ("config.epochs").
    /// </summary>
    public static readonly JsonSerializerOptions StrictOptions = Strict();

    static JsonSerializerOptions Strict()
    {
        // A property named twice in one object is refused too: which value wins would otherwise depend on the reader.
        var options = new JsonSerializerOptions(Options) { UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow, AllowDuplicateProperties = false };
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

    /// <summary>
    /// Enums as camelCase names (read in any case, never as numbers); a value that is not a name is an error that
    /// lists the names, so a request with "optimizer": {"kind": "rmsprop"} learns what it may send.
    /// </summary>
    sealed class EnumWithChoicesConverter : JsonConverterFactory
    {
        readonly JsonStringEnumConverter _names = new(JsonNamingPolicy.CamelCase, allowIntegerValues: false);

        public override bool CanConvert(Type typeToConvert) => _names.CanConvert(typeToConvert);

        public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
            (JsonConverter)Activator.CreateInstance(typeof(Converter<>).MakeGenericType(typeToConvert), _names.CreateConverter(typeToConvert, options))!;

        sealed class Converter<T>(JsonConverter names) : JsonConverter<T> where T : struct, Enum
        {
            readonly JsonConverter<T> _names = (JsonConverter<T>)names;

            public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
            {
                var sent = reader.TokenType == JsonTokenType.String ? $"'{reader.GetString()}'" : reader.TokenType.ToString().ToLowerInvariant();
                try
                {
                    return _names.Read(ref reader, typeToConvert, options);
                }
                catch (JsonException)
                {
                    throw new JsonException($"Unknown value {sent}. Choose one of: {string.Join(", ", Enum.GetNames<T>().Select(JsonNamingPolicy.CamelCase.ConvertName))}.");
                }
            }

            public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => _names.Write(writer, value, options);

            public override T ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
                _names.ReadAsPropertyName(ref reader, typeToConvert, options);

            public override void WriteAsPropertyName(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
                _names.WriteAsPropertyName(writer, value, options);
        }
    }

    public static string SerializeConfig(TrainingConfig config) => JsonSerializer.Serialize(config, Options);

    public static TrainingConfig DeserializeConfig(string json) =>
        JsonSerializer.Deserialize<TrainingConfig>(json, Options)
        ?? throw new InvalidDataException("A run's stored config is empty.");
}
