using TempBalance.Core.Data;
using static TorchSharp.torch;

namespace TempBalance.Core.Training;

/// <summary>
/// Batches from a dataset that lives on the training device as uint8 tensors. Shuffling, random crop
/// with padding, horizontal flip and normalisation run on whole batches on the device; the random
/// numbers come from one CPU generator, so a seed fixes every batch on any device. Without normalisation the
/// pixels stay in [0, 1].
/// </summary>
public sealed class InputPipeline : IDisposable
{
    public const int CropPadding = 4;

    readonly DatasetSplits data;
    readonly Device device;
    readonly Tensor mean;
    readonly Tensor std;

    public InputPipeline(DatasetSplits data, Device device, bool augment, bool normalise = true)
    {
        this.data = data;
        this.device = device;
        Augment = augment;
        Normalises = normalise;
        data.MoveTo(device);
        using var scope = NewDisposeScope();
        mean = tensor(data.Mean, device: device).view(1, -1, 1, 1).DetachFromDisposeScope();
        std = tensor(data.Std, device: device).view(1, -1, 1, 1).DetachFromDisposeScope();
    }

    public bool Augment { get; }
    public bool Normalises { get; }
    public long TrainCount => data.Train.Count;
    public long TestCount => data.Test.Count;

    public static int BatchCount(long images, int batchSize) => (int)((images + batchSize - 1) / batchSize);

    /// <summary>The order of the training images for one epoch.</summary>
    public Tensor Shuffle(Generator generator)
    {
        using var scope = NewDisposeScope();
        return randperm(TrainCount, generator: generator).to(device).MoveToOuterDisposeScope();
    }

    /// <summary>Training batch <paramref name="batch"/> of the epoch order, augmented when the pipeline augments.</summary>
    public (Tensor Images, Tensor Labels) TrainBatch(Tensor order, int batch, int batchSize, Generator generator)
    {
        var indices = order.narrow(0, (long)batch * batchSize, Math.Min(batchSize, TrainCount - (long)batch * batchSize));
        var images = data.Train.Images.index_select(0, indices).to(ScalarType.Float32).div_(255);
        if (Augment) images = CropAndFlip(images, generator);
        return (Normalise(images), data.Train.Labels.index_select(0, indices));
    }

    public (Tensor Images, Tensor Labels) TestBatch(int batch, int batchSize) =>
        Batch(data.Test, batch, batchSize);

    /// <summary>Training images without augmentation (for evaluating the initial weights).</summary>
    public (Tensor Images, Tensor Labels) PlainTrainBatch(int batch, int batchSize) =>
        Batch(data.Train, batch, batchSize);

    (Tensor Images, Tensor Labels) Batch(ImageData split, int batch, int batchSize)
    {
        long start = (long)batch * batchSize, length = Math.Min(batchSize, split.Count - start);
        var images = split.Images.narrow(0, start, length).to(ScalarType.Float32).div_(255);
        return (Normalise(images), split.Labels.narrow(0, start, length));
    }

    Tensor Normalise(Tensor images) => Normalises ? images.sub_(mean).div_(std) : images;

    /// <summary>
    /// Zero-pads every image by <see cref="CropPadding"/>, cuts a random window of the original size out of
    /// each (two gathers with per-image row and column offsets) and mirrors a random half of them.
    /// </summary>
    Tensor CropAndFlip(Tensor images, Generator generator)
    {
        long n = images.shape[0], c = images.shape[1], h = images.shape[2], w = images.shape[3];
        var offsets = randint(0, 2 * CropPadding + 1, [2, n], generator: generator).to(device);
        var flips = randint(0, 2, [n], generator: generator).to(device).to(ScalarType.Bool);

        var padded = nn.functional.pad(images, [CropPadding, CropPadding, CropPadding, CropPadding]);
        var rows = (offsets[0].unsqueeze(1) + arange(h, device: device)).view(n, 1, h, 1).expand(n, c, h, w + 2 * CropPadding);
        var cropped = padded.gather(2, rows);
        var columns = (offsets[1].unsqueeze(1) + arange(w, device: device)).view(n, 1, 1, w).expand(n, c, h, w);
        cropped = cropped.gather(3, columns);
        return where(flips.view(n, 1, 1, 1), cropped.flip(3), cropped);
    }

    public void Dispose()
    {
        mean.Dispose();
        std.Dispose();
        data.Dispose();
    }
}
