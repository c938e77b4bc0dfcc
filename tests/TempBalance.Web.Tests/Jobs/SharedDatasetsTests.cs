using TempBalance.Core.Data;
using TempBalance.Web.Jobs;

namespace TempBalance.Web.Tests.Jobs;

public sealed class SharedDatasetsTests : IDisposable
{
    readonly string _root = Directory.CreateTempSubdirectory("tb-shared-datasets-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    string Folder => Path.Combine(_root, "fashion-mnist");

    void WriteFashionMnist(int train = 8)
    {
        Directory.CreateDirectory(Folder);
        void Images(string file, int n) => IdxFile.Write(Path.Combine(Folder, file), [n, 28, 28], [.. Enumerable.Range(0, n * 784).Select(i => (byte)(i % 251))], gzip: false);
        void Labels(string file, int n) => IdxFile.Write(Path.Combine(Folder, file), [n], [.. Enumerable.Range(0, n).Select(i => (byte)(i % 10))], gzip: false);
        Images("train-images-idx3-ubyte", train);
        Labels("train-labels-idx1-ubyte", train);
        Images("t10k-images-idx3-ubyte", 4);
        Labels("t10k-labels-idx1-ubyte", 4);
    }

    [Fact]
    public async Task Runs_read_the_files_once_while_they_keep_coming_and_the_memory_is_given_back_when_none_has_for_a_while()
    {
        using var datasets = new SharedDatasets(TimeProvider.System, TimeSpan.FromMilliseconds(300));
        WriteFashionMnist(train: 8);
        using (var first = datasets.Load("fashion-mnist", _root, subset: 6))
            Assert.Equal(6L, first.Train.Count);
        // Other files now: a run that reads them sees 5 training images.
        WriteFashionMnist(train: 5);

        // The next run, within the idle time, gets the dataset as it was read.
        using (var second = datasets.Load("fashion-mnist", _root))
            Assert.Equal((8L, 4L), (second.Train.Count, second.Test.Count));
        Assert.True(datasets.Holding);

        // No run for longer than that: the dataset is dropped, and the next run reads the files again.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (datasets.Holding && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.False(datasets.Holding, "the datasets were still held 10 s after the last run read them");
        using var third = datasets.Load("fashion-mnist", _root);
        Assert.Equal(5L, third.Train.Count);
    }

    [Fact]
    public void A_run_that_keeps_its_copy_is_not_touched_when_the_node_gives_the_originals_back()
    {
        var datasets = new SharedDatasets(TimeProvider.System, TimeSpan.FromHours(1));
        WriteFashionMnist();
        using var copy = datasets.Load("fashion-mnist", _root);
        datasets.Dispose();
        Assert.Equal((byte)(5 * 784 % 251), copy.Train.Images[5, 0, 0, 0].item<byte>());
        Assert.Throws<ObjectDisposedException>(() => datasets.Load("fashion-mnist", _root));
    }
}
