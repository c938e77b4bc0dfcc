using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using TempBalance.Web.Data;
using TempBalance.Web.Diagnoses;

namespace TempBalance.Web.Tests.Backend;

/// <summary>The app (auth mode none) with a small upload limit, shared by a test class; and helpers to upload and wait.</summary>
public sealed class DiagnosisTestApp : IAsyncLifetime
{
    /// <summary>Larger than every fixture (27 KB at most), far smaller than the default.</summary>
    public const long MaxUploadBytes = 100_000;

    StartedApp _started = null!;

    public TempBalanceAppFactory App => _started.Factory;
    public HttpClient Client => _started.Client;
    public string DataDirectory => _started.DataDirectory;

    public Task InitializeAsync()
    {
        _started = new StartedApp(new Dictionary<string, string?>
        {
            ["TempBalance:Diagnosis:MaxUploadBytes"] = MaxUploadBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        return Task.CompletedTask;
    }

    public Task DisposeAsync() => _started.DisposeAsync().AsTask();
}

public static class DiagnosisFiles
{
    public static string Fixture(params string[] parts) => Path.Combine([AppContext.BaseDirectory, "Diagnosis", "fixtures", .. parts]);

    /// <summary>A multipart form with the file (under <paramref name="name"/>) and option fields.</summary>
    public static MultipartFormDataContent Form(byte[] bytes, string name, params (string Field, string Value)[] fields)
    {
        var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(file, "file", name);
        foreach (var (field, value) in fields) form.Add(new StringContent(value), field);
        return form;
    }

    public static MultipartFormDataContent Form(string fixture, params (string Field, string Value)[] fields) =>
        Form(File.ReadAllBytes(Fixture(fixture)), Path.GetFileName(fixture), fields);

    /// <summary>A zip of a folder's files (as a person zips a Hugging Face model folder: inside a folder of its own).</summary>
    public static byte[] Zip(string folder)
    {
        using var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var file in Directory.GetFiles(folder))
                zip.CreateEntryFromFile(file, $"{Path.GetFileName(folder)}/{Path.GetFileName(file)}");
        return memory.ToArray();
    }

    /// <summary>POSTs the form; asserts 202 with a Location and returns the new id.</summary>
    public static async Task<long> UploadAsync(this HttpClient client, MultipartFormDataContent form)
    {
        using var response = await client.PostAsync("/api/diagnoses", form);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"upload: {(int)response.StatusCode} {body}");
        var id = JsonDocument.Parse(body).RootElement.GetProperty("id").GetInt64();
        Assert.Equal($"/api/diagnoses/{id}", response.Headers.Location?.OriginalString);
        return id;
    }

    /// <summary>Polls until the diagnosis has completed or failed.</summary>
    public static async Task<DiagnosisDetails> WaitForDiagnosisAsync(this HttpClient client, long id, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var details = await client.GetJsonAsync<DiagnosisDetails>($"/api/diagnoses/{id}");
            if (details.Summary.Status is DiagnosisStatus.Completed or DiagnosisStatus.Failed) return details;
            if (DateTime.UtcNow > deadline) Assert.Fail($"Diagnosis {id} still {details.Summary.Status} after the timeout.");
            await Task.Delay(100);
        }
    }
}
