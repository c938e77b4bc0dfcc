using SkiaSharp;
using TempBalance.Core.Data;
using static TorchSharp.torch;

namespace TempBalance.Core.Tests.Data;

/// <summary>Each reader on small files written in the real format, with pixel values that reveal any mix-up of axes.</summary>
public sealed class DatasetReaderTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("tb-data-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    // Pixel value of image n, channel c, row r, column x in the test images.
    static byte Pixel(int n, int c, int r, int x) => (byte)((n * 31 + c * 70 + r * 5 + x * 3) % 256);

    [Theory]
    [InlineData("fashion-mnist", true)]
    [InlineData("mnist", false)]
    public void Idx_files_gzipped_or_not_give_images_and_labels(string name, bool gzip)
    {
        var dir = Directory.CreateDirectory(Path.Combine(root, name)).FullName;
        void Images(string file, int n) => IdxFile.Write(Path.Combine(dir, file + (gzip ? ".gz" : "")), [n, 28, 28],
            Enumerable.Range(0, n * 784).Select(i => Pixel(i / 784, 0, i % 784 / 28, i % 28)).ToArray(), gzip);
        void Labels(string file, int n) => IdxFile.Write(Path.Combine(dir, file + (gzip ? ".gz" : "")), [n],
            Enumerable.Range(0, n).Select(i => (byte)(i % 10)).ToArray(), gzip);
        Images("train-images-idx3-ubyte", 5);
        Labels("train-labels-idx1-ubyte", 5);
        Images("t10k-images-idx3-ubyte", 3);
        Labels("t10k-labels-idx1-ubyte", 3);

        using var data = DatasetLoader.Load(name, root);
        Assert.Equal([5L, 1L, 28L, 28L], data.Train.Images.shape);
        Assert.Equal([0L, 1, 2], data.Test.Labels.data<long>().ToArray());
        Assert.Equal(Pixel(4, 0, 27, 1), data.Train.Images[4, 0, 27, 1].item<byte>());
        Assert.Equal(Pixel(2, 0, 3, 20), data.Test.Images[2, 0, 3, 20].item<byte>());
    }

    void WriteFashionMnist(int trainCount, int testCount)
    {
        var dir = Directory.CreateDirectory(Path.Combine(root, "fashion-mnist")).FullName;
        void Images(string file, int n) => IdxFile.Write(Path.Combine(dir, file + ".gz"), [n, 28, 28],
            Enumerable.Range(0, n * 784).Select(i => Pixel(i / 784, 0, i % 784 / 28, i % 28)).ToArray(), gzip: true);
        void Labels(string file, int n) => IdxFile.Write(Path.Combine(dir, file + ".gz"), [n],
            Enumerable.Range(0, n).Select(i => (byte)(i % 10)).ToArray(), gzip: true);
        Images("train-images-idx3-ubyte", trainCount);
        Labels("train-labels-idx1-ubyte", trainCount);
        Images("t10k-images-idx3-ubyte", testCount);
        Labels("t10k-labels-idx1-ubyte", testCount);
    }

    [Fact]
    public void A_dataset_cache_reads_the_files_once_and_gives_each_caller_its_own_copy_with_its_subset()
    {
        using var cache = new DatasetCache();
        // A corrupt file: the error is the loader's, and it is not remembered once the file is mended.
        WriteFashionMnist(6, 4);
        var images = Path.Combine(root, "fashion-mnist", "train-images-idx3-ubyte.gz");
        var good = File.ReadAllBytes(images);
        File.WriteAllBytes(images, good[..(good.Length / 2)]);
        Assert.ThrowsAny<Exception>(() => cache.Load("fashion-mnist", root));
        File.WriteAllBytes(images, good);

        var first = cache.Load("fashion-mnist", root, subset: 3);
        Directory.Delete(Path.Combine(root, "fashion-mnist"), recursive: true); // later loads cannot read the files again
        using var full = cache.Load("Fashion-MNIST", root);
        using var keepTest = cache.Load("fashion-mnist", root, subset: 2, keepFullTestSet: true);

        Assert.Equal([3L, 1, 28, 28], first.Train.Images.shape);
        Assert.Equal(3L, first.Test.Count);
        Assert.Equal((6L, 4L), (full.Train.Count, full.Test.Count));
        Assert.Equal((2L, 4L), (keepTest.Train.Count, keepTest.Test.Count));
        Assert.Equal(Pixel(5, 0, 27, 1), full.Train.Images[5, 0, 27, 1].item<byte>());
        Assert.Equal([0L, 1, 2, 3], full.Test.Labels.data<long>().ToArray());
        Assert.Equal(new float[] { 0.2860f }, full.Mean);
        // A copy is the caller's: disposing it leaves the cache's and the other callers' images intact.
        first.Dispose();
        using var again = cache.Load("fashion-mnist", root, subset: 3);
        Assert.Equal(Pixel(2, 0, 3, 20), again.Train.Images[2, 0, 3, 20].item<byte>());
        Assert.Equal(Pixel(1, 0, 3, 20), keepTest.Train.Images[1, 0, 3, 20].item<byte>());
    }

    [Fact]
    public void An_idx_file_with_more_data_than_its_header_promises_is_refused()
    {
        var path = Path.Combine(root, "long-idx");
        File.WriteAllBytes(path, [0, 0, 8, 1, 0, 0, 0, 2, 1, 2, 3]);
        var error = Assert.Throws<InvalidDataException>(() => IdxFile.Read(path));
        Assert.Contains("promises 2 values", error.Message);
        Assert.Contains("more than that", error.Message);
    }

    [Fact]
    public void A_truncated_idx_file_is_refused_with_its_path()
    {
        var path = Path.Combine(root, "bad-idx");
        File.WriteAllBytes(path, [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28, 1, 2, 3]);
        var error = Assert.Throws<InvalidDataException>(() => IdxFile.Read(path));
        Assert.Contains(path, error.Message);
    }

    static byte[] CifarPixels(int count) => Enumerable.Range(0, count * CifarFile.PixelBytes)
        .Select(i => Pixel(i / 3072, i % 3072 / 1024, i % 1024 / 32, i % 32)).ToArray();

    [Fact]
    public void Cifar10_binary_batches_give_planar_rgb_images_and_labels()
    {
        var dir = Directory.CreateDirectory(Path.Combine(root, "cifar-10-batches-bin")).FullName;
        for (int b = 1; b <= 5; b++) CifarFile.Write(Path.Combine(dir, $"data_batch_{b}.bin"), CifarPixels(2), [(byte)b, (byte)(b + 1)], 1);
        CifarFile.Write(Path.Combine(dir, "test_batch.bin"), CifarPixels(3), [7, 8, 9], 1);

        using var data = DatasetLoader.Load("cifar10", root);
        Assert.Equal([10L, 3L, 32L, 32L], data.Train.Images.shape);
        Assert.Equal([1L, 2, 2, 3, 3, 4, 4, 5, 5, 6], data.Train.Labels.data<long>().ToArray());
        Assert.Equal(Pixel(2, 2, 31, 4), data.Test.Images[2, 2, 31, 4].item<byte>());
        Assert.Equal(3, data.Mean.Length);
    }

    [Fact]
    public void Cifar100_uses_the_fine_label()
    {
        var dir = Directory.CreateDirectory(Path.Combine(root, "cifar-100-binary")).FullName;
        CifarFile.Write(Path.Combine(dir, "train.bin"), CifarPixels(2), [42, 99], 2);
        CifarFile.Write(Path.Combine(dir, "test.bin"), CifarPixels(1), [13], 2);
        using var data = DatasetLoader.Load("cifar100", root);
        Assert.Equal([42L, 99], data.Train.Labels.data<long>().ToArray());
        Assert.Equal(Pixel(1, 1, 7, 9), data.Train.Images[1, 1, 7, 9].item<byte>());
    }

    static MatFileWriter.Variable SvhnImages(int count)
    {
        // MATLAB order: X(row, column, channel, image), first index fastest.
        var x = new byte[32 * 32 * 3 * count];
        for (int n = 0; n < count; n++)
            for (int c = 0; c < 3; c++)
                for (int col = 0; col < 32; col++)
                    for (int row = 0; row < 32; row++)
                        x[row + 32 * col + 1024 * c + 3072 * n] = Pixel(n, c, row, col);
        return new("X", [32, 32, 3, count], MatFileWriter.UInt8Class, MatFileWriter.MiUInt8, x);
    }

    static MatFileWriter.Variable SvhnLabels(params double[] labels) =>
        new("y", [labels.Length, 1], MatFileWriter.DoubleClass, MatFileWriter.MiDouble,
            labels.SelectMany(BitConverter.GetBytes).ToArray());

    [Fact]
    public void Svhn_mat_files_plain_and_compressed_give_row_major_images_and_digit_0_for_label_10()
    {
        var dir = Directory.CreateDirectory(Path.Combine(root, "svhn")).FullName;
        // -v6 style (plain elements) for training, -v7 style (zlib-compressed) for test, plus a variable to skip.
        MatFileWriter.Write(Path.Combine(dir, "train_32x32.mat"), [(SvhnImages(3), false), (SvhnLabels(10, 1, 9), false)]);
        MatFileWriter.Write(Path.Combine(dir, "test_32x32.mat"),
            [(new MatFileWriter.Variable("note", [1, 2], MatFileWriter.DoubleClass, MatFileWriter.MiDouble, new byte[16]), true),
             (SvhnImages(2), true), (SvhnLabels(3, 10), true)]);

        using var data = DatasetLoader.Load("svhn", root);
        Assert.Equal([3L, 3L, 32L, 32L], data.Train.Images.shape);
        Assert.Equal([0L, 1, 9], data.Train.Labels.data<long>().ToArray());
        Assert.Equal([3L, 0], data.Test.Labels.data<long>().ToArray());
        Assert.Equal(Pixel(2, 1, 5, 17), data.Train.Images[2, 1, 5, 17].item<byte>());
        Assert.Equal(Pixel(1, 2, 30, 2), data.Test.Images[1, 2, 30, 2].item<byte>());
    }

    [Fact]
    public void Mat_reader_reads_small_elements_and_refuses_other_formats()
    {
        var path = Path.Combine(root, "small.mat");
        MatFileWriter.Write(path, [(new MatFileWriter.Variable("v", [1, 3], MatFileWriter.UInt8Class, MatFileWriter.MiUInt8, [4, 5, 6]), false)]);
        var arrays = MatFile.Read(path);
        Assert.Equal([4.0, 5, 6], arrays["v"].ToDoubles());

        var hdf5 = Path.Combine(root, "v73.mat");
        File.WriteAllBytes(hdf5, new byte[200]);
        Assert.Contains("-v7.3", Assert.Throws<InvalidDataException>(() => MatFile.Read(hdf5)).Message);
    }

    [Fact]
    public void Tiny_imagenet_folders_decode_jpegs_with_classes_in_sorted_wnid_order()
    {
        var dir = Directory.CreateDirectory(Path.Combine(root, "tiny-imagenet-200")).FullName;
        File.WriteAllLines(Path.Combine(dir, "wnids.txt"), ["n02", "n01"]);
        var colours = new Dictionary<string, SKColor> { ["n01"] = new(200, 30, 30), ["n02"] = new(20, 40, 220) };
        void Jpeg(string path, SKColor colour)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using var bitmap = new SKBitmap(64, 64);
            bitmap.Erase(colour);
            using var file = File.Create(path);
            bitmap.Encode(file, SKEncodedImageFormat.Jpeg, 95);
        }
        foreach (var (wnid, colour) in colours)
            for (int i = 0; i < 2; i++) Jpeg(Path.Combine(dir, "train", wnid, "images", $"{wnid}_{i}.JPEG"), colour);
        Jpeg(Path.Combine(dir, "val", "images", "val_0.JPEG"), colours["n02"]);
        File.WriteAllLines(Path.Combine(dir, "val", "val_annotations.txt"), ["val_0.JPEG\tn02\t0\t0\t63\t63"]);

        using var data = DatasetLoader.Load("tinyimagenet", root);
        Assert.Equal([4L, 3L, 64L, 64L], data.Train.Images.shape);
        Assert.Equal([0L, 0, 1, 1], data.Train.Labels.data<long>().ToArray());
        Assert.Equal([1L], data.Test.Labels.data<long>().ToArray());
        var red = data.Train.Images[0, .., 10, 10].to(ScalarType.Int32).data<int>().ToArray();
        Assert.InRange(red[0], 190, 210);
        Assert.InRange(red[2], 20, 40);
        var blue = data.Test.Images[0, .., 33, 33].to(ScalarType.Int32).data<int>().ToArray();
        Assert.InRange(blue[2], 210, 230);
    }

    [Fact]
    public void Missing_files_are_named_with_where_to_put_them()
    {
        var error = Assert.Throws<FileNotFoundException>(() => DatasetLoader.Load("cifar100", root));
        Assert.Contains(Path.Combine(root, "cifar-100-binary", "train.bin"), error.Message);
        Assert.Contains(Path.Combine(root, "cifar-100-binary", "test.bin"), error.Message);
        Assert.Contains("cifar-100-binary.tar.gz", error.Message);
    }

    [Fact]
    public void Synthetic_data_is_the_same_for_the_same_seed_and_subset_takes_the_first_images()
    {
        using var a = DatasetLoader.Load("synthetic", root, subset: 100);
        using var b = DatasetLoader.Load("synthetic", root);
        Assert.Equal(100, a.Train.Count);
        Assert.Equal(SyntheticData.TrainCount, b.Train.Count);
        Assert.True(a.Train.Images.eq(b.Train.Images[..100]).all().item<bool>());
    }
}
