using TempBalance.Core.Training;

namespace TempBalance.Web.Data;

/// <summary>
/// Packs an epoch's batch-loss curve as [point count][per point: place in training as float64, loss as float32]:
/// at most 50 points, 0.6 KB per epoch. The place stays exact (batch b of B), and the loss was a float32 in training.
/// </summary>
public static class BatchLossBlob
{
    public static byte[] Pack(int epoch, IReadOnlyList<BatchLossPoint> points)
    {
        using var stream = new MemoryStream(4 + 12 * points.Count);
        using var writer = new BinaryWriter(stream);
        writer.Write(points.Count);
        foreach (var point in points)
        {
            if (point.Epoch <= epoch - 1 || point.Epoch > epoch)
                throw new ArgumentException($"Point at {point.Epoch} lies outside epoch {epoch} ({epoch - 1} to {epoch}).", nameof(points));
            writer.Write(point.Epoch);
            writer.Write((float)point.Loss);
        }
        writer.Flush();
        return stream.ToArray();
    }

    public static BatchLossPoint[] Unpack(byte[] blob)
    {
        using var reader = new BinaryReader(new MemoryStream(blob));
        var points = new BatchLossPoint[reader.ReadInt32()];
        for (var i = 0; i < points.Length; i++)
        {
            var epoch = reader.ReadDouble();
            points[i] = new BatchLossPoint(epoch, reader.ReadSingle());
        }
        return points;
    }
}
