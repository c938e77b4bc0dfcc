using TempBalance.Core.Training;

namespace TempBalance.Core.Tests.Training;

public class BatchLossCurveTests
{
    [Fact]
    public void Each_bucket_keeps_its_lowest_and_highest_loss_in_batch_order_at_their_place_in_training()
    {
        // Epoch 3 of 10 batches in 2 buckets: batches 1-5 and 6-10.
        var curve = new BatchLossCurve(epoch: 3, batchesPerEpoch: 10, buckets: 2);
        double[] losses = [2.0, 1.5, 3.0, 1.0, 1.8, /* second bucket */ 0.9, 0.4, 0.7, 0.8, 0.6];
        var completed = losses.Select((loss, i) => curve.Add(i + 1, loss)).ToList();

        Assert.Equal([false, false, false, false, true, false, false, false, false, true], completed);
        // First bucket: the maximum (batch 3) comes before the minimum (batch 4); second: the maximum is batch 6,
        // the minimum batch 7. Positions: epoch 3 starts at 2.0, batch b of 10 sits at 2 + b / 10.
        Assert.Equal(
            [new BatchLossPoint(2.3, 3.0), new BatchLossPoint(2.4, 1.0), new BatchLossPoint(2.6, 0.9), new BatchLossPoint(2.7, 0.4)],
            curve.Points.Select(p => new BatchLossPoint(Math.Round(p.Epoch, 12), p.Loss)));
    }

    [Fact]
    public void A_bucket_whose_lowest_and_highest_are_one_batch_gives_one_point()
    {
        var curve = new BatchLossCurve(epoch: 1, batchesPerEpoch: 4, buckets: 25);

        Assert.Equal(4, curve.Buckets); // never more buckets than batches
        for (var b = 1; b <= 4; b++) Assert.True(curve.Add(b, 1.0 / b));
        Assert.Equal([0.25, 0.5, 0.75, 1.0], curve.Points.Select(p => p.Epoch));
        Assert.Equal([1.0, 0.5, 1.0 / 3, 0.25], curve.Points.Select(p => p.Loss));
    }

    [Fact]
    public void Buckets_split_an_uneven_epoch_into_nearly_equal_runs_and_the_last_ends_at_the_epoch_end()
    {
        var curve = new BatchLossCurve(epoch: 1, batchesPerEpoch: 469, buckets: 25);
        var ends = new List<int>();
        for (var b = 1; b <= 469; b++)
            if (curve.Add(b, Math.Sin(b)))
                ends.Add(b);

        Assert.Equal(25, ends.Count);
        Assert.Equal(469, ends[^1]);
        var sizes = ends.Zip([0, .. ends], (end, start) => end - start).ToList();
        Assert.InRange(sizes.Min(), 18, 19);
        Assert.InRange(sizes.Max(), 18, 19);
        Assert.InRange(curve.Points.Count, 26, 50);
        Assert.InRange(curve.Points.Max(p => p.Epoch), 1 - 19.0 / 469, 1.0); // within the last bucket
        Assert.True(curve.Points.Zip(curve.Points.Skip(1)).All(pair => pair.First.Epoch < pair.Second.Epoch), "points in batch order");
    }

    [Fact]
    public void Rejects_batches_outside_the_epoch()
    {
        var curve = new BatchLossCurve(epoch: 1, batchesPerEpoch: 4);
        Assert.Throws<ArgumentOutOfRangeException>(() => curve.Add(0, 1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => curve.Add(5, 1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchLossCurve(epoch: 0, batchesPerEpoch: 4));
    }
}
