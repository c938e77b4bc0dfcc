namespace TempBalance.Core.Data;

/// <summary>Reads a dataset from its standard files into tensors.</summary>
public static class DatasetLoader
{
    // Per-channel mean and std of the training images (method doc §5 for the colour datasets).
    static readonly Dictionary<string, (float[] Mean, float[] Std)> Normalisation = new()
    {
        ["fashion-mnist"] = ([0.2860f], [0.3530f]),
        ["mnist"] = ([0.1307f], [0.3081f]),
        ["cifar10"] = ([0.4914f, 0.4822f, 0.4465f], [0.2023f, 0.1994f, 0.2010f]),
        ["cifar100"] = ([0.5071f, 0.4867f, 0.4408f], [0.2675f, 0.2565f, 0.2761f]),
        ["svhn"] = ([0.4377f, 0.4438f, 0.4728f], [0.1980f, 0.2010f, 0.1970f]),
        ["tinyimagenet"] = ([0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]),
        ["synthetic"] = ([0.5f], [0.25f]),
    };

    /// <summary>
    /// Loads the training and test split; <paramref name="subset"/> keeps the first N training images (and at most
    /// N test images, unless <paramref name="keepFullTestSet"/>). Fails with the missing files and where to put them.
    /// </summary>
    public static DatasetSplits Load(string name, string dataRoot, int? subset = null, bool keepFullTestSet = false)
    {
        var (info, train, test) = LoadAll(name, dataRoot);
        if (subset is int n)
        {
            train = train.Take(n);
            if (!keepFullTestSet) test = test.Take(n);
        }
        return Splits(info, train, test);
    }

    /// <summary>Every training and test image of the dataset, as its files hold them.</summary>
    internal static (DatasetInfo Info, ImageData Train, ImageData Test) LoadAll(string name, string dataRoot)
    {
        var location = DatasetCatalog.Locate(name, dataRoot);
        if (!location.Found) throw new FileNotFoundException(DatasetCatalog.MissingFilesMessage(location));
        var info = location.Dataset;
        var dir = location.Directory!;
        string File(string[] names) => DatasetCatalog.FilePath(dir, names);

        var (train, test) = info.Name switch
        {
            "fashion-mnist" or "mnist" => (ReadIdx(File(info.RequiredFiles[0]), File(info.RequiredFiles[1])),
                                           ReadIdx(File(info.RequiredFiles[2]), File(info.RequiredFiles[3]))),
            "cifar10" => (ReadCifar(info.RequiredFiles.Take(5).Select(File), 1), ReadCifar([File(info.RequiredFiles[5])], 1)),
            "cifar100" => (ReadCifar([File(info.RequiredFiles[0])], 2), ReadCifar([File(info.RequiredFiles[1])], 2)),
            "svhn" => (ReadSvhn(File(info.RequiredFiles[0])), ReadSvhn(File(info.RequiredFiles[1]))),
            "tinyimagenet" => TinyImageNetFolder.Read(dir),
            "synthetic" => SyntheticData.Create(info),
            _ => throw new ArgumentException($"No loader for dataset '{info.Name}'."),
        };
        return (info, train, test);
    }

    internal static DatasetSplits Splits(DatasetInfo info, ImageData train, ImageData test)
    {
        var (mean, std) = Normalisation[info.Name];
        return new DatasetSplits(info, train, test, mean, std);
    }

    static ImageData ReadIdx(string imagesPath, string labelsPath)
    {
        var (shape, pixels) = IdxFile.Read(imagesPath);
        var (labelShape, labels) = IdxFile.Read(labelsPath);
        if (shape.Length != 3 || labelShape.Length != 1 || labelShape[0] != shape[0])
            throw new InvalidDataException($"{imagesPath} [{string.Join(", ", shape)}] and {labelsPath} [{string.Join(", ", labelShape)}] are not N images with N labels.");
        return ImageData.FromBytes(pixels, labels.Select(l => (long)l).ToArray(), 1, shape[1], shape[2]);
    }

    static ImageData ReadCifar(IEnumerable<string> paths, int labelBytes)
    {
        var (pixels, labels) = CifarFile.Read(paths, labelBytes);
        return ImageData.FromBytes(pixels, labels, 3, 32, 32);
    }

    /// <summary>SVHN: X is 32x32x3xN uint8 (column-major), y is Nx1 with digit 0 stored as label 10.</summary>
    static ImageData ReadSvhn(string path)
    {
        var arrays = MatFile.Read(path);
        if (!arrays.TryGetValue("X", out var x) || !arrays.TryGetValue("y", out var y))
            throw new InvalidDataException($"{path} lacks the arrays X and y of SVHN's cropped-digit format.");
        if (x.Dimensions is not [32, 32, 3, var count] || y.Count != count)
            throw new InvalidDataException($"{path}: X is [{string.Join("x", x.Dimensions)}] and y has {y.Count} values; expected 32x32x3xN and N.");
        var labels = y.ToDoubles().Select(v => (long)v % 10).ToArray();
        // Column-major 32x32x3xN is row-major [N, 3, W, H]: swap the last two axes to get [N, 3, H, W].
        using var columnMajor = ImageData.FromBytes(x.ToBytes(), labels, 3, 32, 32);
        return new ImageData(columnMajor.Images.transpose(2, 3).contiguous(), columnMajor.Labels.clone());
    }
}
