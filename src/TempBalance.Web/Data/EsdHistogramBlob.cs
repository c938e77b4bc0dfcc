using TempBalance.Core.Training;

namespace TempBalance.Web.Data;

/// <summary>
/// Packs a histogram as [bin count][edges as float32][counts as int32]: about 0.5 KB for 60 bins, so
/// 40 layers x 200 epochs stay near 4 MB per run. float32 edges are far finer than a plot needs.
/// </summary>
public static class EsdHistogramBlob
{
    public static byte[] Pack(EsdHistogram histogram)
    {
        if (histogram.Log10BinEdges.Length != histogram.Counts.Length + 1 && histogram.Counts.Length > 0)
            throw new ArgumentException("A histogram needs one more edge than counts.", nameof(histogram));
        using var stream = new MemoryStream(4 + 4 * (histogram.Log10BinEdges.Length + histogram.Counts.Length));
        using var writer = new BinaryWriter(stream);
        writer.Write(histogram.Counts.Length);
        foreach (var edge in histogram.Log10BinEdges) writer.Write((float)edge);
        foreach (var count in histogram.Counts) writer.Write(count);
        writer.Flush();
        return stream.ToArray();
    }

    public static EsdHistogram Unpack(byte[] blob)
    {
        using var reader = new BinaryReader(new MemoryStream(blob));
        int bins = reader.ReadInt32();
        var edges = new double[bins == 0 ? 0 : bins + 1];
        for (int i = 0; i < edges.Length; i++) edges[i] = reader.ReadSingle();
        var counts = new int[bins];
        for (int i = 0; i < bins; i++) counts[i] = reader.ReadInt32();
        return new EsdHistogram(edges, counts);
    }
}
