using System.Net;
using System.Net.Sockets;
using TempBalance.Core.Data;

namespace TempBalance.Core.Tests.Data;

public sealed class DatasetDownloaderTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("tb-download-").FullName;
    readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(10) };

    public void Dispose()
    {
        http.Dispose();
        Directory.Delete(root, recursive: true);
    }

    static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    [Fact]
    public async Task Without_network_the_error_names_the_files_and_where_to_put_them()
    {
        var error = await Assert.ThrowsAsync<IOException>(() =>
            DatasetDownloader.DownloadAsync("svhn", root, http, $"http://127.0.0.1:{FreePort()}/"));
        Assert.Contains("train_32x32.mat", error.Message);
        Assert.Contains("test_32x32.mat", error.Message);
        Assert.Contains(Path.Combine(root, "svhn"), error.Message);
        Assert.False(File.Exists(Path.Combine(root, "svhn", "train_32x32.mat")));
    }

    [Fact]
    public async Task A_file_with_the_wrong_checksum_is_refused_and_not_kept()
    {
        int port = FreePort();
        using var server = new HttpListener();
        server.Prefixes.Add($"http://127.0.0.1:{port}/");
        server.Start();
        var serving = Task.Run(async () =>
        {
            var context = await server.GetContextAsync();
            context.Response.OutputStream.Write("not the real file"u8);
            context.Response.Close();
        });

        var error = await Assert.ThrowsAsync<IOException>(() =>
            DatasetDownloader.DownloadAsync("mnist", root, http, $"http://127.0.0.1:{port}/"));
        await serving;
        Assert.Contains("checksum mismatch", error.Message);
        Assert.Contains("f68b3c2dcbeaaa9fbdd348bbdeb94873", error.Message);
        Assert.Empty(Directory.GetFiles(Path.Combine(root, "mnist")));
    }

    [Fact]
    public async Task A_dataset_already_present_is_not_fetched()
    {
        // Both SVHN files are in place; the base URL refuses connections, so any fetch would throw.
        Directory.CreateDirectory(Path.Combine(root, "svhn"));
        foreach (var file in new[] { "train_32x32.mat", "test_32x32.mat" }) File.WriteAllBytes(Path.Combine(root, "svhn", file), [0]);
        var location = await DatasetDownloader.DownloadAsync("svhn", root, http, "http://127.0.0.1:1/");
        Assert.True(location.Found);
    }
}
