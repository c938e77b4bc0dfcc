namespace TempBalance.Core.Data;

/// <summary>A dataset this project can load, the files it needs in its standard format, and where they come from.</summary>
public sealed record DatasetInfo(
    string Name,
    string Folder,
    int Channels,
    int ImageSize,
    int Classes,
    IReadOnlyList<string[]> RequiredFiles,
    string Source);

/// <summary>Where a dataset's files were found, or which are missing.</summary>
public sealed record DatasetLocation(DatasetInfo Dataset, string? Directory, IReadOnlyList<string> MissingFiles)
{
    public bool Found => Directory is not null;
}

/// <summary>
/// The datasets and where to look for them: {dataRoot}/{folder}, then the system location Debian's
/// dataset packages install to (/usr/share/datasets/{folder}).
/// </summary>
public static class DatasetCatalog
{
    public const string SystemDatasetsRoot = "/usr/share/datasets";

    // Each entry of RequiredFiles lists the accepted names of one file (plain or gzipped).
    static string[] Idx(string name) => [name, name + ".gz"];

    public static readonly IReadOnlyList<DatasetInfo> All =
    [
        new("fashion-mnist", "fashion-mnist", 1, 28, 10,
            [Idx("train-images-idx3-ubyte"), Idx("train-labels-idx1-ubyte"), Idx("t10k-images-idx3-ubyte"), Idx("t10k-labels-idx1-ubyte")],
            "apt-get install dataset-fashion-mnist, or the IDX files from github.com/zalandoresearch/fashion-mnist"),
        new("mnist", "mnist", 1, 28, 10,
            [Idx("train-images-idx3-ubyte"), Idx("train-labels-idx1-ubyte"), Idx("t10k-images-idx3-ubyte"), Idx("t10k-labels-idx1-ubyte")],
            "the four IDX files of yann.lecun.com/exdb/mnist"),
        new("cifar10", "cifar-10-batches-bin", 3, 32, 10,
            [["data_batch_1.bin"], ["data_batch_2.bin"], ["data_batch_3.bin"], ["data_batch_4.bin"], ["data_batch_5.bin"], ["test_batch.bin"]],
            "cifar-10-binary.tar.gz from www.cs.toronto.edu/~kriz/cifar.html, extracted"),
        new("cifar100", "cifar-100-binary", 3, 32, 100,
            [["train.bin"], ["test.bin"]],
            "cifar-100-binary.tar.gz from www.cs.toronto.edu/~kriz/cifar.html, extracted"),
        new("svhn", "svhn", 3, 32, 10,
            [["train_32x32.mat"], ["test_32x32.mat"]],
            "train_32x32.mat and test_32x32.mat from ufldl.stanford.edu/housenumbers"),
        new("tinyimagenet", "tiny-imagenet-200", 3, 64, 200,
            [["wnids.txt"], ["train"], ["val/val_annotations.txt"], ["val/images"]],
            "tiny-imagenet-200.zip from cs231n.stanford.edu, extracted"),
        new("synthetic", "", 1, 28, 10, [], "generated in memory; needs no files"),
    ];

    public static DatasetInfo Get(string name) =>
        All.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException(
            $"Unknown dataset '{name}'. Choose one of: {string.Join(", ", All.Select(d => d.Name))}.");

    /// <summary>The directories searched for a dataset, in order.</summary>
    public static IEnumerable<string> Candidates(DatasetInfo dataset, string dataRoot)
    {
        yield return Path.Combine(dataRoot, dataset.Folder);
        yield return Path.Combine(SystemDatasetsRoot, dataset.Folder);
    }

    public static DatasetLocation Locate(string name, string dataRoot)
    {
        var dataset = Get(name);
        if (dataset.RequiredFiles.Count == 0) return new DatasetLocation(dataset, "", []);
        IReadOnlyList<string>? firstMissing = null;
        foreach (var dir in Candidates(dataset, dataRoot))
        {
            var missing = dataset.RequiredFiles
                .Where(alternatives => !alternatives.Any(f => File.Exists(Path.Combine(dir, f)) || Directory.Exists(Path.Combine(dir, f))))
                .Select(alternatives => Path.Combine(dir, alternatives[0]))
                .ToList();
            if (missing.Count == 0) return new DatasetLocation(dataset, dir, []);
            firstMissing ??= missing;
        }
        return new DatasetLocation(dataset, null, firstMissing ?? []);
    }

    /// <summary>Names the files a dataset lacks and where they can go, for errors that say what to do.</summary>
    public static string MissingFilesMessage(DatasetLocation location)
    {
        var dataset = location.Dataset;
        if (location.Found) return $"Dataset '{dataset.Name}' is complete in {location.Directory}.";
        var folders = string.Join(" or ", location.MissingFiles.Select(f => Path.GetDirectoryName(f)).Distinct()
            .Concat([Path.Combine(SystemDatasetsRoot, dataset.Folder)]).Distinct());
        return $"Dataset '{dataset.Name}' is missing {string.Join(", ", location.MissingFiles)}. " +
               $"Put its files into {folders} (source: {dataset.Source}).";
    }

    /// <summary>The path of one required file in a located dataset directory, whichever accepted name exists.</summary>
    public static string FilePath(string directory, string[] alternatives) =>
        alternatives.Select(f => Path.Combine(directory, f)).FirstOrDefault(p => File.Exists(p) || Directory.Exists(p))
        ?? throw new FileNotFoundException($"Missing {Path.Combine(directory, alternatives[0])}.");

    /// <summary>The data root: TEMPBALANCE_DATA_ROOT, else ./data.</summary>
    public static string DefaultDataRoot() =>
        Environment.GetEnvironmentVariable("TEMPBALANCE_DATA_ROOT") is { Length: > 0 } root
            ? root
            : Path.GetFullPath("data");
}
