using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace TempBalance.Core.Data;

/// <summary>
/// Fetches a dataset from its canonical public location into {dataRoot}, checking each archive's MD5 (the
/// checksums torchvision publishes), and unpacks it into the layout <see cref="DatasetCatalog"/> expects.
/// Without network access it fails with the files to fetch by hand and where to put them.
/// </summary>
public static class DatasetDownloader
{
    /// <summary>One file to fetch: its URL (relative to the dataset's base URL), MD5 and how to unpack it.</summary>
    public sealed record Download(string RelativeUrl, string Md5, Unpack Unpack);

    public enum Unpack { None, TarGz, Zip }

    public sealed record Source(string BaseUrl, IReadOnlyList<Download> Files);

    public static readonly IReadOnlyDictionary<string, Source> Sources = new Dictionary<string, Source>
    {
        ["fashion-mnist"] = new("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        [
            new("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d", Unpack.None),
            new("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe", Unpack.None),
            new("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79", Unpack.None),
            new("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310", Unpack.None),
        ]),
        ["mnist"] = new("https://ossci-datasets.s3.amazonaws.com/mnist/",
        [
            new("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873", Unpack.None),
            new("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432", Unpack.None),
            new("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3", Unpack.None),
            new("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c", Unpack.None),
        ]),
        ["cifar10"] = new("https://www.cs.toronto.edu/~kriz/", [new("cifar-10-binary.tar.gz", "c32a1d4ab5d03f1284b67883e8d87530", Unpack.TarGz)]),
        ["cifar100"] = new("https://www.cs.toronto.edu/~kriz/", [new("cifar-100-binary.tar.gz", "03b5dce01913d631647c71ecec9e9cb8", Unpack.TarGz)]),
        ["svhn"] = new("http://ufldl.stanford.edu/housenumbers/",
        [
            new("train_32x32.mat", "e26dedcc434d2e4c54c9b2d4a06d8373", Unpack.None),
            new("test_32x32.mat", "eb5a983be6a315427106f1b164d9cef3", Unpack.None),
        ]),
        ["tinyimagenet"] = new("http://cs231n.stanford.edu/", [new("tiny-imagenet-200.zip", "90528d7ca1a48142e341f4ef8d21d0de", Unpack.Zip)]),
    };

    /// <summary>
    /// Downloads what <paramref name="name"/> lacks. <paramref name="baseUrl"/> replaces the canonical
    /// location (a mirror). Throws <see cref="IOException"/> naming the files and folder when it cannot.
    /// </summary>
    public static async Task<DatasetLocation> DownloadAsync(string name, string dataRoot, HttpClient http, string? baseUrl = null, CancellationToken cancellationToken = default)
    {
        var location = DatasetCatalog.Locate(name, dataRoot);
        if (location.Found) return location;
        var dataset = location.Dataset;
        if (!Sources.TryGetValue(dataset.Name, out var source))
            throw new IOException($"Dataset '{dataset.Name}' cannot be downloaded. {DatasetCatalog.MissingFilesMessage(location)}");

        // Archives unpack into their own folder under the data root; single files go straight into the dataset folder.
        var folder = Path.Combine(dataRoot, dataset.Folder);
        Directory.CreateDirectory(folder);
        foreach (var file in source.Files)
        {
            var url = new Uri(new Uri(baseUrl ?? source.BaseUrl), file.RelativeUrl);
            var target = Path.Combine(folder, file.RelativeUrl);
            try
            {
                await FetchAsync(http, url, target, file.Md5, cancellationToken);
                if (file.Unpack == Unpack.TarGz)
                {
                    await using (var archive = File.OpenRead(target))
                    await using (var gzip = new GZipStream(archive, CompressionMode.Decompress))
                        await TarFile.ExtractToDirectoryAsync(gzip, dataRoot, overwriteFiles: true, cancellationToken);
                    File.Delete(target);
                }
                else if (file.Unpack == Unpack.Zip)
                {
                    ZipFile.ExtractToDirectory(target, dataRoot, overwriteFiles: true);
                    File.Delete(target);
                }
            }
            catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException or InvalidDataException)
            {
                throw new IOException(
                    $"Could not download {url} ({e.Message}). Without network access, fetch {string.Join(", ", source.Files.Select(f => new Uri(new Uri(baseUrl ?? source.BaseUrl), f.RelativeUrl)))} " +
                    $"by hand ({dataset.Source}) and put them into {folder}" +
                    (source.Files.Any(f => f.Unpack != Unpack.None) ? $", extracted into {dataRoot}." : ".") +
                    $" {DatasetCatalog.MissingFilesMessage(location)}", e);
            }
        }
        return DatasetCatalog.Locate(name, dataRoot);
    }

    static async Task FetchAsync(HttpClient http, Uri url, string target, string md5, CancellationToken cancellationToken)
    {
        var temp = target + ".part";
        using (var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken))
        {
            response.EnsureSuccessStatusCode();
            await using var file = File.Create(temp);
            await response.Content.CopyToAsync(file, cancellationToken);
        }
        string actual;
        await using (var file = File.OpenRead(temp))
            actual = Convert.ToHexStringLower(await MD5.HashDataAsync(file, cancellationToken));
        if (actual != md5)
        {
            File.Delete(temp);
            throw new InvalidDataException($"checksum mismatch: MD5 {actual}, expected {md5}");
        }
        File.Move(temp, target, overwrite: true);
    }
}
