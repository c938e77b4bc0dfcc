using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.EntityFrameworkCore;
using TempBalance.Core.Diagnosis;
using TempBalance.Core.Spectral;
using TempBalance.Web.Data;
using TempBalance.Web.Diagnoses;

namespace TempBalance.Web.Tests.Backend;

/// <summary>
/// /api/diagnoses with Core's fixture models: an upload is analysed in the background and its layers carry Core's
/// metrics; bad files are 400 problem+json naming the file, an upload over the limit 413, and a problem found only
/// by the job fails that diagnosis (or that tensor) and nothing else.
/// </summary>
public sealed class DiagnosesApiTests(DiagnosisTestApp app) : IClassFixture<DiagnosisTestApp>
{
    HttpClient Client => app.Client;

    static void SameAsCore(DiagnosisReport core, DiagnosisDetails web)
    {
        Assert.Equal(core.Layers.Select(l => l.Name), web.Layers.Select(l => l.Name));
        foreach (var (c, w) in core.Layers.Zip(web.Layers))
        {
            Assert.Equal(c.EigenvalueCount, w.EigsNum);
            Assert.Equal(c.Alpha, w.Alpha);
            Assert.Equal(c.AlphaWeighted, w.AlphaWeighted);
            Assert.Equal(c.LogSpectralNorm, w.LogSpectralNorm);
            Assert.Equal(c.LogNorm, w.LogNorm);
            Assert.Equal(c.LogAlphaNorm, w.LogAlphaNorm);
            Assert.Equal(c.StableRank, w.StableRank);
            Assert.Equal(c.MatrixEntropy, w.MatrixEntropy);
            Assert.Equal(c.NumSpikes, w.NumSpikes);
            Assert.Equal(c.Xmin, w.Xmin);
            Assert.Equal(c.Verdict, w.Verdict);
            Assert.Equal(string.Join("x", c.Shape), w.Shape);
        }
        Assert.Equal(core.Summary.Describe(), web.Summary.Summary);
        Assert.Equal(core.Summary.MeanAlpha, web.Summary.MeanAlpha);
    }

    [Fact]
    public async Task A_safetensors_upload_is_analysed_in_the_background_with_the_metrics_Core_gives()
    {
        var id = await Client.UploadAsync(DiagnosisFiles.Form("model.safetensors"));
        var details = await Client.WaitForDiagnosisAsync(id);

        Assert.Equal(DiagnosisStatus.Completed, details.Summary.Status);
        SameAsCore(ModelDiagnosis.Analyze(DiagnosisFiles.Fixture("model.safetensors")), details);
        Assert.Equal(["fc1.weight", "fc2.weight", "conv.weight", "attn.c_attn.weight", "tiny.weight"], details.Layers.Select(l => l.Name));
        var fc1 = details.Layers[0];
        Assert.InRange(fc1.Alpha!.Value, 1.5, 4);
        Assert.Equal(HtsrVerdict.TooFewEigenvalues, details.Layers.Single(l => l.Name == "tiny.weight").Verdict);
        Assert.Equal(3, details.SkippedCount);
        Assert.Equal("model.safetensors", details.Summary.FileName);

        // The list has it, and one layer's ESD comes with its fit.
        var list = await Client.GetJsonAsync<List<DiagnosisSummaryView>>("/api/diagnoses");
        Assert.Contains(list, d => d.Id == id && d.LayerCount == 5);
        var spectrum = await Client.GetJsonAsync<DiagnosisSpectrum>($"/api/diagnoses/{id}/layers/0/spectrum");
        Assert.Equal(fc1.EigsNum, spectrum.Counts.Sum());
        Assert.Equal(spectrum.Counts.Length + 1, spectrum.Log10BinEdges.Length);
        Assert.Equal(fc1.Xmin, spectrum.Layer.Xmin);
        using var missing = await Client.GetAsync($"/api/diagnoses/{id}/layers/99/spectrum");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Options_on_the_form_reach_the_analysis_a_pt_with_FARMS_and_split_fused_matrices()
    {
        var id = await Client.UploadAsync(DiagnosisFiles.Form("model.pt", ("farms", "true"), ("splitParts", "3"), ("filter", "attn.*"), ("filter", "fc1.*"), ("fit", "ks")));
        var details = await Client.WaitForDiagnosisAsync(id);

        Assert.Equal(DiagnosisStatus.Completed, details.Summary.Status);
        var options = new DiagnosisOptions
        {
            Farms = true,
            Fit = Core.Scheduling.XminRule.Ks,
            Include = ["attn.*", "fc1.*"],
            SplitFused = [.. FusedSplit.DefaultPatterns.Select(p => new FusedSplit(3, p))],
        };
        SameAsCore(ModelDiagnosis.Analyze(DiagnosisFiles.Fixture("model.pt"), options), details);
        Assert.Equal(["fc1.weight", "attn.c_attn.weight[0]", "attn.c_attn.weight[1]", "attn.c_attn.weight[2]"], details.Layers.Select(l => l.Name));
        Assert.True(details.Settings.Farms);
        Assert.Contains("FARMS alpha", details.Summary.Options);
    }

    [Fact]
    public async Task A_zipped_sharded_model_folder_is_read_through_its_index()
    {
        var id = await Client.UploadAsync(DiagnosisFiles.Form(DiagnosisFiles.Zip(DiagnosisFiles.Fixture("sharded")), "sharded.zip"));
        var details = await Client.WaitForDiagnosisAsync(id);

        Assert.Equal(DiagnosisStatus.Completed, details.Summary.Status);
        SameAsCore(ModelDiagnosis.Analyze(DiagnosisFiles.Fixture("sharded")), details);
        Assert.Equal(5, details.Layers.Count);
    }

    [Theory]
    [InlineData("truncated.safetensors", "truncated: tensor 'fc2.weight' ends at byte 4096 of the data")]
    [InlineData("bad_header_length.safetensors", "wrong safetensors header length")]
    [InlineData("unknown_dtype.safetensors", "tensor 'fc2.weight': unknown dtype 'F7'")]
    [InlineData("malicious_system.pt", "the pickle asks for the Python global 'posix.system'")]
    [InlineData("truncated.pt", "truncated or corrupt zip archive")]
    public async Task A_bad_file_is_a_400_naming_the_file_and_the_problem_and_nothing_is_stored(string file, string problem)
    {
        var before = await CountAsync();
        using var response = await Client.PostAsync("/api/diagnoses", DiagnosisFiles.Form(file));
        var detail = await ProblemDetailAsync(response, HttpStatusCode.BadRequest);

        Assert.StartsWith($"{file}: ", detail);
        Assert.Contains(problem, detail);
        Assert.DoesNotContain('\n', detail);
        Assert.DoesNotContain(app.DataDirectory, detail);
        Assert.Equal(before, await CountAsync());
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(app.DataDirectory, "diagnoses", "incoming")));
    }

    [Fact]
    public async Task A_zip_missing_a_shard_is_a_400_naming_the_shard()
    {
        using var response = await Client.PostAsync("/api/diagnoses", DiagnosisFiles.Form(DiagnosisFiles.Zip(DiagnosisFiles.Fixture("sharded_missing")), "broken.zip"));
        var detail = await ProblemDetailAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("broken.zip/model.safetensors.index.json: shard 'model-00002-of-00002.safetensors' is missing (4 tensor(s) listed in it)", detail);
    }

    [Fact]
    public async Task An_upload_over_the_limit_is_a_413_and_leaves_nothing_behind()
    {
        var big = new byte[DiagnosisTestApp.MaxUploadBytes + 1];
        using var response = await Client.PostAsync("/api/diagnoses", DiagnosisFiles.Form(big, "huge.safetensors"));
        var detail = await ProblemDetailAsync(response, (HttpStatusCode)413);
        Assert.Contains("larger than this server accepts (97.7 KB, TempBalance:Diagnosis:MaxUploadBytes)", detail);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(app.DataDirectory, "diagnoses", "incoming")));

        // A body announced far beyond the limit is refused before it is read: with "Expect: 100-continue" the client
        // waits for the server's go-ahead, and gets the 413 instead (without it, it would still be writing the body
        // when the server closes the connection).
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/diagnoses") { Content = DiagnosisFiles.Form(new byte[3 * DiagnosisTestApp.MaxUploadBytes], "huger.pt") };
        request.Headers.ExpectContinue = true;
        using var announced = await Client.SendAsync(request);
        Assert.Contains("TempBalance:Diagnosis:MaxUploadBytes", await ProblemDetailAsync(announced, (HttpStatusCode)413));
    }

    [Theory]
    [InlineData("fit", "hill", "Unknown xmin rule 'hill'")]
    [InlineData("xminPos", "abc", "'abc' is not a whole number.")]
    [InlineData("farms", "yes", "'yes' is not true or false.")]
    [InlineData("splitParts", "1", "splitParts must be between 2 and 64")]
    [InlineData("depth", "3", "Unknown field 'depth'")]
    public async Task A_bad_option_is_a_400_naming_its_field(string field, string value, string message)
    {
        using var response = await Client.PostAsync("/api/diagnoses", DiagnosisFiles.Form("model.safetensors", (field, value)));
        var body = await ProblemBodyAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains(message, body.GetProperty("errors").GetProperty(field)[0].GetString());
    }

    [Fact]
    public async Task A_file_of_another_kind_or_no_file_is_a_400()
    {
        using var text = await Client.PostAsync("/api/diagnoses", DiagnosisFiles.Form([1, 2, 3], "notes.txt"));
        Assert.StartsWith("notes.txt: not a model file this server reads", await ProblemDetailAsync(text, HttpStatusCode.BadRequest));
        using var json = await Client.PostAsync("/api/diagnoses", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Contains("multipart/form-data", await ProblemDetailAsync(json, HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task A_problem_found_only_by_the_job_fails_that_diagnosis_or_that_tensor_and_nothing_else()
    {
        // Stored directly, past the upload's checks: the job meets the problems itself.
        var failed = await StoreQueuedAsync("truncated.safetensors");
        var partial = await StoreQueuedAsync("unknown_dtype.safetensors");
        var job = app.App.Services.GetRequiredService<DiagnosisJob>();
        await job.RunAsync(failed, CancellationToken.None);
        await job.RunAsync(partial, CancellationToken.None);

        var failure = await Client.GetJsonAsync<DiagnosisDetails>($"/api/diagnoses/{failed}");
        Assert.Equal(DiagnosisStatus.Failed, failure.Summary.Status);
        Assert.Equal("truncated.safetensors: truncated: tensor 'fc2.weight' ends at byte 4096 of the data, the file holds 4044 data bytes", failure.Summary.ErrorMessage);

        var rest = await Client.GetJsonAsync<DiagnosisDetails>($"/api/diagnoses/{partial}");
        Assert.Equal(DiagnosisStatus.Completed, rest.Summary.Status);
        Assert.Equal("tiny.weight", Assert.Single(rest.Layers).Name);
        Assert.Equal(["unknown_dtype.safetensors: tensor 'fc2.weight': unknown dtype 'F7'"], rest.InputErrors);

        // The server still answers uploads.
        var id = await Client.UploadAsync(DiagnosisFiles.Form("half.safetensors"));
        Assert.Equal(DiagnosisStatus.Completed, (await Client.WaitForDiagnosisAsync(id)).Summary.Status);
    }

    [Fact]
    public async Task Two_diagnoses_compare_layer_by_layer_and_one_is_deleted_with_its_files()
    {
        var before = await Client.UploadAsync(DiagnosisFiles.Form("model.safetensors"));
        var after = await Client.UploadAsync(DiagnosisFiles.Form("half.safetensors"));
        var a = await Client.WaitForDiagnosisAsync(before);
        var b = await Client.WaitForDiagnosisAsync(after);

        var comparison = await Client.GetJsonAsync<DiagnosisComparison>($"/api/diagnoses/compare?before={before}&after={after}");
        var fc1 = Assert.Single(comparison.Layers, l => l.Name == "fc1.weight");
        Assert.Equal(a.Layers.Single(l => l.Name == "fc1.weight").Alpha, fc1.AlphaBefore);
        Assert.Equal(b.Layers.Single(l => l.Name == "fc1.weight").Alpha, fc1.AlphaAfter);
        Assert.Equal(fc1.AlphaAfter - fc1.AlphaBefore, fc1.Delta);
        Assert.Equal(b.Layers.Count(l => a.Layers.Any(x => x.Name == l.Name)), comparison.Matched);

        Assert.True(Directory.Exists(Path.Combine(app.DataDirectory, "diagnoses", before.ToString())));
        using (var deleted = await Client.DeleteAsync($"/api/diagnoses/{before}")) Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        using (var gone = await Client.GetAsync($"/api/diagnoses/{before}")) Assert.Equal($"There is no diagnosis {before}.", await ProblemDetailAsync(gone, HttpStatusCode.NotFound));
        Assert.False(Directory.Exists(Path.Combine(app.DataDirectory, "diagnoses", before.ToString())));
        await using var db = await app.App.Services.GetRequiredService<IDbContextFactory<TempBalanceDbContext>>().CreateDbContextAsync();
        Assert.False(await db.DiagnosisLayers.AnyAsync(l => l.DiagnosisId == before));
    }

    [Fact]
    public async Task At_start_a_diagnosis_left_running_is_analysed_again()
    {
        var id = await StoreQueuedAsync("model.safetensors");
        await using (var db = await app.App.Services.GetRequiredService<IDbContextFactory<TempBalanceDbContext>>().CreateDbContextAsync())
            await db.Diagnoses.Where(d => d.Id == id).ExecuteUpdateAsync(u => u.SetProperty(d => d.Status, DiagnosisStatus.Running).SetProperty(d => d.LayersDone, 2));
        using (var stillRunning = await Client.DeleteAsync($"/api/diagnoses/{id}")) await ProblemDetailAsync(stillRunning, HttpStatusCode.Conflict);

        await app.App.Services.GetRequiredService<DiagnosisService>().RecoverAsync();
        var details = await Client.WaitForDiagnosisAsync(id);
        Assert.Equal(DiagnosisStatus.Completed, details.Summary.Status);
        Assert.Equal(5, details.Layers.Count);
    }

    [Fact]
    public async Task The_multipart_upload_is_still_refused_from_another_site_and_other_endpoints_still_take_only_JSON()
    {
        var before = await CountAsync();
        using var fromOrigin = new HttpRequestMessage(HttpMethod.Post, "/api/diagnoses") { Content = DiagnosisFiles.Form("model.safetensors") };
        fromOrigin.Headers.Add("Origin", "http://evil.example");
        Assert.Contains("http://evil.example", await ProblemDetailAsync(await Client.SendAsync(fromOrigin), HttpStatusCode.Forbidden));
        using var fromSite = new HttpRequestMessage(HttpMethod.Post, "/api/diagnoses") { Content = DiagnosisFiles.Form("model.safetensors") };
        fromSite.Headers.Add("Sec-Fetch-Site", "cross-site");
        await ProblemDetailAsync(await Client.SendAsync(fromSite), HttpStatusCode.Forbidden);
        Assert.Equal(before, await CountAsync());

        using var runs = await Client.PostAsync("/api/runs", DiagnosisFiles.Form("model.safetensors"));
        await ProblemDetailAsync(runs, HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task The_endpoints_are_in_the_OpenAPI_document_with_the_upload_form()
    {
        using var document = JsonDocument.Parse(await Client.GetStringAsync("/openapi/v1.json"));
        var paths = document.RootElement.GetProperty("paths");
        foreach (var path in new[] { "/api/diagnoses", "/api/diagnoses/{id}", "/api/diagnoses/{id}/layers/{layer}/spectrum", "/api/diagnoses/compare" })
            Assert.True(paths.TryGetProperty(path, out _), $"{path} is not in the OpenAPI document");
        var form = paths.GetProperty("/api/diagnoses").GetProperty("post").GetProperty("requestBody").GetProperty("content").GetProperty("multipart/form-data").GetProperty("schema");
        Assert.Equal("binary", form.GetProperty("properties").GetProperty("file").GetProperty("format").GetString());
        Assert.True(form.GetProperty("properties").TryGetProperty("splitParts", out _));
        Assert.True(paths.GetProperty("/api/diagnoses").GetProperty("post").GetProperty("responses").TryGetProperty("202", out _));
        Assert.True(paths.GetProperty("/api/diagnoses/{id}").TryGetProperty("delete", out _));
    }

    [Fact]
    public void The_upload_limit_is_checked_at_start()
    {
        var validation = new TempBalanceWebOptionsValidation();
        var failures = validation.Validate(null, new TempBalanceWebOptions { Diagnosis = new DiagnosisLimits { MaxUploadBytes = 0 } }).Failures!;
        Assert.Contains("TempBalance:Diagnosis:MaxUploadBytes is 0; use a size in bytes from 1024", Assert.Single(failures));
        Assert.True(validation.Validate(null, new TempBalanceWebOptions { Diagnosis = new DiagnosisLimits { MaxUploadBytes = 1024 } }).Succeeded);
    }

    async Task<long> StoreQueuedAsync(string fixture)
    {
        await using var db = await app.App.Services.GetRequiredService<IDbContextFactory<TempBalanceDbContext>>().CreateDbContextAsync();
        var diagnosis = new Diagnosis { FileName = fixture, OptionsJson = "{}", Status = DiagnosisStatus.Queued, CreatedAt = DateTime.UtcNow };
        db.Diagnoses.Add(diagnosis);
        await db.SaveChangesAsync();
        var folder = Path.Combine(app.DataDirectory, "diagnoses", diagnosis.Id.ToString());
        Directory.CreateDirectory(folder);
        File.Copy(DiagnosisFiles.Fixture(fixture), Path.Combine(folder, fixture));
        return diagnosis.Id;
    }

    async Task<int> CountAsync() => (await Client.GetJsonAsync<List<DiagnosisSummaryView>>("/api/diagnoses")).Count;

    static async Task<string> ProblemDetailAsync(HttpResponseMessage response, HttpStatusCode status) =>
        (await ProblemBodyAsync(response, status)).GetProperty("detail").GetString()!;

    /// <summary>Asserts the status and problem+json; returns the body.</summary>
    static async Task<JsonElement> ProblemBodyAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(body).RootElement;
    }
}
