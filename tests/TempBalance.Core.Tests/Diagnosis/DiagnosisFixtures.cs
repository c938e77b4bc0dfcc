using System.Text.Json;
using TempBalance.Core.Diagnosis;

namespace TempBalance.Core.Tests.Diagnosis;

/// <summary>The files make_diagnosis_fixtures.py writes, copied next to the tests, and its golden values.</summary>
public static class DiagnosisFixtures
{
    public static string Path(params string[] parts) => System.IO.Path.Combine([AppContext.BaseDirectory, "Diagnosis", "fixtures", .. parts]);

    static readonly Lazy<JsonDocument> GoldenDocument = new(() => JsonDocument.Parse(File.ReadAllText(Path("goldens.json"))));

    /// <summary>Golden metrics of one layer ("layers") or of the float16/bfloat16 copies ("half").</summary>
    public static JsonElement Golden(string layer, string group = "layers") => GoldenDocument.Value.RootElement.GetProperty(group).GetProperty(layer);

    public static double Number(this JsonElement golden, string field) => golden.GetProperty(field).GetDouble();

    /// <summary>The layers every format holds (the 1-D bias, the embedding and the counter are skipped).</summary>
    public static readonly string[] AnalysedLayers = ["fc1.weight", "fc2.weight", "conv.weight", "attn.c_attn.weight", "tiny.weight"];

    public static DiagnosedLayer Layer(this DiagnosisReport report, string name) => Assert.Single(report.Layers, l => l.Name == name);

    /// <summary>|actual - expected| &lt;= tolerance * |expected|.</summary>
    public static void Relative(double expected, double? actual, double tolerance, string what)
    {
        Assert.True(actual.HasValue, $"{what}: no value");
        double error = Math.Abs(actual!.Value - expected);
        Assert.True(error <= tolerance * Math.Abs(expected), $"{what}: expected {expected:R}, got {actual:R} (relative error {error / Math.Abs(expected):E2})");
    }
}
