using TempBalance.Core.Training;
using TempBalance.Web.Data;

namespace TempBalance.Web.Tests.Data;

public class BatchLossBlobTests
{
    [Fact]
    public void A_late_epochs_curve_comes_back_at_its_batches_exact_places_and_float32_losses()
    {
        // Epoch 200 of 391 batches.
        BatchLossPoint[] points = [new(199 + 1.0 / 391, 2.302585), new(199 + 17.0 / 391, 0.0123456789), new(200, 1e-5)];

        var blob = BatchLossBlob.Pack(200, points);
        var back = BatchLossBlob.Unpack(blob);

        Assert.Equal(4 + 12 * points.Length, blob.Length);
        Assert.Equal(points.Length, back.Length);
        for (var i = 0; i < points.Length; i++)
        {
            Assert.Equal(points[i].Epoch, back[i].Epoch);
            Assert.Equal((double)(float)points[i].Loss, back[i].Loss);
        }
    }

    [Fact]
    public void A_point_outside_its_epoch_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => BatchLossBlob.Pack(3, [new BatchLossPoint(3.5, 1.0)]));
        Assert.Contains("outside epoch 3 (2 to 3)", error.Message);
        Assert.Throws<ArgumentException>(() => BatchLossBlob.Pack(3, [new BatchLossPoint(2.0, 1.0)]));
        Assert.Empty(BatchLossBlob.Unpack(BatchLossBlob.Pack(3, [])));
    }
}
