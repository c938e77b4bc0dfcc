using static TorchSharp.torch;

namespace TempBalance.Core.Data;

/// <summary>Images as one uint8 tensor [N, C, H, W] and their labels as int64 [N].</summary>
public sealed class ImageData(Tensor images, Tensor labels) : IDisposable
{
    public Tensor Images { get; } = images;
    public Tensor Labels { get; } = labels;
    public long Count => Labels.shape[0];

    public static ImageData FromBytes(byte[] pixels, long[] labels, int channels, int height, int width)
    {
        long count = labels.Length;
        if (pixels.LongLength != count * channels * height * width)
            throw new InvalidDataException($"{pixels.LongLength} pixel bytes do not make {count} images of {channels}x{height}x{width}.");
        return new ImageData(tensor(pixels, [count, channels, height, width], ScalarType.Byte), tensor(labels, ScalarType.Int64));
    }

    /// <summary>The first <paramref name="count"/> images (all when there are fewer); this instance is disposed unless it is what is returned.</summary>
    public ImageData Take(long count)
    {
        if (count >= Count) return this;
        var taken = new ImageData(Images[..(int)count].clone(), Labels[..(int)count].clone());
        Dispose();
        return taken;
    }

    /// <summary>A copy of the first <paramref name="count"/> images (all when null or there are fewer); this instance is kept.</summary>
    public ImageData CopyOfFirst(long? count)
    {
        long n = Math.Min(count ?? Count, Count);
        return new ImageData(Images[..(int)n].clone(), Labels[..(int)n].clone());
    }

    /// <summary>These images on <paramref name="device"/>; this instance is disposed unless it is what is returned.</summary>
    public ImageData To(Device device)
    {
        if (Images.device == device) return this;
        var moved = new ImageData(Images.to(device), Labels.to(device));
        Dispose();
        return moved;
    }

    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}

/// <summary>A dataset's training and test images, and the per-channel mean and std to normalise them with.</summary>
public sealed class DatasetSplits(DatasetInfo info, ImageData train, ImageData test, float[] mean, float[] std) : IDisposable
{
    public DatasetInfo Info { get; } = info;
    public ImageData Train { get; private set; } = train;
    public ImageData Test { get; private set; } = test;
    public float[] Mean { get; } = mean;
    public float[] Std { get; } = std;

    public void MoveTo(Device device)
    {
        Train = Train.To(device);
        Test = Test.To(device);
    }

    public void Dispose()
    {
        Train.Dispose();
        Test.Dispose();
    }
}
