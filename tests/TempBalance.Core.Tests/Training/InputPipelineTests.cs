using TempBalance.Core.Data;
using TempBalance.Core.Training;
using static TorchSharp.torch;

namespace TempBalance.Core.Tests.Training;

public class InputPipelineTests
{
    // 8 colour images whose pixel value encodes (image, row, column), so a crop's offset can be read back.
    static DatasetSplits PositionImages(int count = 8)
    {
        var info = DatasetCatalog.Get("cifar10");
        var pixels = new byte[count * 3 * 32 * 32];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)(1 + (i % 1024 / 32 * 7 + i % 32 * 3) % 250); // depends on row and column, never 0
        var labels = Enumerable.Range(0, count).Select(i => (long)i).ToArray();
        return new DatasetSplits(info, ImageData.FromBytes(pixels, labels, 3, 32, 32), ImageData.FromBytes(pixels, labels, 3, 32, 32), [0f, 0f, 0f], [1f, 1f, 1f]);
    }

    [Fact]
    public void Shuffling_is_a_permutation_fixed_by_the_seed()
    {
        using var pipeline = new InputPipeline(PositionImages(), CPU, augment: false);
        using var g1 = new Generator(7);
        using var g2 = new Generator(7);
        var a = pipeline.Shuffle(g1).data<long>().ToArray();
        var b = pipeline.Shuffle(g2).data<long>().ToArray();
        Assert.Equal(a, b);
        Assert.Equal(Enumerable.Range(0, 8).Select(i => (long)i), a.Order());
        Assert.NotEqual(a, pipeline.Shuffle(g1).data<long>().ToArray());
    }

    [Fact]
    public void Random_crops_are_shifted_windows_of_the_zero_padded_image_and_some_are_mirrored()
    {
        using var data = PositionImages(64);
        var original = data.Train.Images.to(ScalarType.Float32).div(255);
        using var pipeline = new InputPipeline(data, CPU, augment: true);
        using var generator = new Generator(3);
        using var order = arange(64);
        var (images, labels) = pipeline.TrainBatch(order, 0, 64, generator);
        Assert.Equal([64L, 3L, 32L, 32L], images.shape);

        var padded = nn.functional.pad(original, [4, 4, 4, 4]);
        int shifted = 0, mirrored = 0;
        for (int n = 0; n < 64; n++)
        {
            var image = images[n];
            var match = (from dy in Enumerable.Range(0, 9)
                         from dx in Enumerable.Range(0, 9)
                         from flip in new[] { false, true }
                         let window = padded[labels[n].item<long>(), .., dy..(dy + 32), dx..(dx + 32)]
                         where (flip ? window.flip(2) : window).allclose(image)
                         select (dy, dx, flip)).FirstOrDefault((-1, -1, false));
            Assert.NotEqual(-1, match.Item1);
            if (match.Item1 != 4 || match.Item2 != 4) shifted++;
            if (match.Item3) mirrored++;
        }
        Assert.InRange(shifted, 40, 64);
        Assert.InRange(mirrored, 16, 48);
    }

    [Fact]
    public void Batches_are_normalised_per_channel()
    {
        var info = DatasetCatalog.Get("cifar10");
        var pixels = Enumerable.Repeat((byte)255, 2 * 3 * 32 * 32).ToArray();
        using var data = new DatasetSplits(info, ImageData.FromBytes(pixels, [0, 1], 3, 32, 32), ImageData.FromBytes(pixels, [0, 1], 3, 32, 32),
            [0.5f, 0.25f, 0f], [0.5f, 0.25f, 2f]);
        using var pipeline = new InputPipeline(data, CPU, augment: false);
        var (images, _) = pipeline.TestBatch(0, 2);
        Assert.Equal([1f, 3f, 0.5f], images[0, .., 0, 0].data<float>().ToArray());
    }

    [Fact]
    public void Without_normalisation_pixels_stay_in_the_unit_range()
    {
        var info = DatasetCatalog.Get("fashion-mnist");
        byte[] pixels = [0, 51, 255, 102];
        using var data = new DatasetSplits(info, ImageData.FromBytes(pixels, [3], 1, 2, 2), ImageData.FromBytes(pixels, [3], 1, 2, 2), [0.286f], [0.353f]);
        using var pipeline = new InputPipeline(data, CPU, augment: false, normalise: false);
        using var order = arange(1);
        using var generator = new Generator(1);
        var (train, _) = pipeline.TrainBatch(order, 0, 1, generator);
        Assert.Equal([0f, 0.2f, 1f, 0.4f], train.flatten().data<float>().ToArray());
        Assert.Equal([0f, 0.2f, 1f, 0.4f], pipeline.TestBatch(0, 1).Images.flatten().data<float>().ToArray());
    }
}
