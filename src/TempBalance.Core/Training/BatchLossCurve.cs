namespace TempBalance.Core.Training;

/// <summary>
/// One point of the training loss between epoch ends. <see cref="Epoch"/> is the position in training in
/// epochs: batch b of B in epoch e sits at (e - 1) + b / B, so an epoch's last batch sits at e, where that
/// epoch's mean training loss is drawn.
/// </summary>
public readonly record struct BatchLossPoint(double Epoch, double Loss);

/// <summary>
/// The batch losses of one epoch, reduced to a few points that keep their shape: the epoch's batches are split
/// into <see cref="Buckets"/> runs of consecutive batches, and each run keeps its lowest and its highest loss, in
/// batch order. Spikes and dips survive, which means or samples would hide, and an epoch costs at most
/// 2 x Buckets points however many batches it has.
/// </summary>
public sealed class BatchLossCurve
{
    public const int DefaultBuckets = 25;

    readonly int _epoch;
    readonly int _batches;
    readonly List<BatchLossPoint> _points = [];
    int _bucket;
    (int Batch, double Loss)? _min, _max;

    public BatchLossCurve(int epoch, int batchesPerEpoch, int buckets = DefaultBuckets)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(epoch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchesPerEpoch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(buckets, 1);
        _epoch = epoch;
        _batches = batchesPerEpoch;
        Buckets = Math.Min(buckets, batchesPerEpoch);
    }

    public int Buckets { get; }

    /// <summary>The points of the buckets completed so far (all of them once the epoch's last batch is added).</summary>
    public IReadOnlyList<BatchLossPoint> Points => _points;

    /// <summary>Adds batch <paramref name="batch"/> (1-based, in order); true when it completed a bucket.</summary>
    public bool Add(int batch, double loss)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(batch, _batches);
        if (_min is null || loss < _min.Value.Loss) _min = (batch, loss);
        if (_max is null || loss > _max.Value.Loss) _max = (batch, loss);
        if (batch < BucketEnd(_bucket)) return false;

        var (first, second) = _min.Value.Batch <= _max.Value.Batch ? (_min.Value, _max.Value) : (_max.Value, _min.Value);
        _points.Add(At(first));
        if (second.Batch != first.Batch) _points.Add(At(second));
        _min = _max = null;
        _bucket++;
        return true;
    }

    // Bucket k ends at the batch where the k+1-th of Buckets equal shares of the epoch is reached.
    int BucketEnd(int bucket) => (int)((long)(bucket + 1) * _batches / Buckets);

    BatchLossPoint At((int Batch, double Loss) batch) => new(_epoch - 1 + (double)batch.Batch / _batches, batch.Loss);
}
