using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using TempBalance.Web.Data;
using TempBalance.Web.Runs;
using TempBalance.Web.Tests.Backend;

namespace TempBalance.Web.Tests.Hardening;

/// <summary>Faults of the data folder while the app runs, on a real (tmpfs) file system.</summary>
[Collection(TrainingCollection.Name)]
public sealed class DiskFullTests
{
    [MountFact]
    public async Task A_disk_that_fills_up_during_a_run_fails_that_run_keeps_the_others_and_shows_in_ready()
    {
        using var mount = new TmpfsMount(48 * 1024);
        await using var app = new TempBalanceAppFactory(mount.Path, new Dictionary<string, string?> { ["TempBalance:MinFreeSpaceMegabytes"] = "1" });
        using var client = app.StartAndCreateClient();

        // A run that completes while there is room: its checkpoint must survive what follows.
        var first = (await client.CreateRunsAsync(TrainedRunFixture.SmallRunRequest(1, subset: 128, method: "baseline"))).Single();
        await client.WaitForRunAsync(first, r => r.Summary.Status.IsFinished(), TimeSpan.FromSeconds(120));
        var firstCheckpoint = Path.Combine(mount.Path, "runs", first.ToString(System.Globalization.CultureInfo.InvariantCulture), "checkpoint.bin");
        var checkpointBytes = new FileInfo(firstCheckpoint).Length;
        var firstHash = SHA256.HashData(await File.ReadAllBytesAsync(firstCheckpoint));

        // Less room than a checkpoint takes (and than TempBalance:MinFreeSpaceMegabytes): the next run's epoch-0
        // checkpoint cannot be written; small database writes still can.
        Assert.True(checkpointBytes > 512 * 1024, $"a checkpoint of {checkpointBytes} bytes is too small for this test");
        mount.FillLeaving(256 * 1024);
        var second = (await client.CreateRunsAsync(TrainedRunFixture.SmallRunRequest(1, subset: 128, method: "baseline"))).Single();
        var failed = await client.WaitForRunAsync(second, r => r.Summary.Status.IsFinished(), TimeSpan.FromSeconds(120));

        Assert.Equal(RunStatus.Failed, failed.Summary.Status);
        Assert.StartsWith("The server's data folder is full (no space left on device)", failed.Summary.ErrorMessage);
        Assert.DoesNotContain(mount.Path, failed.Summary.ErrorMessage);
        var secondFolder = Path.Combine(mount.Path, "runs", second.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Empty(Directory.Exists(secondFolder) ? Directory.GetFiles(secondFolder, "*.tmp") : []);
        Assert.Equal(firstHash, SHA256.HashData(await File.ReadAllBytesAsync(firstCheckpoint)));
        Assert.Equal(RunStatus.Completed, (await client.GetJsonAsync<RunDetails>($"/api/runs/{first}")).Summary.Status);

        using var ready = await client.GetAsync("/health/ready");
        var body = await ready.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        using var report = JsonDocument.Parse(body);
        var folder = report.RootElement.GetProperty("checks").GetProperty("data-folder");
        Assert.Equal("Unhealthy", folder.GetProperty("status").GetString());
        Assert.Contains("TempBalance:DataDirectory", folder.GetProperty("description").GetString());
        Assert.Contains("less than TempBalance:MinFreeSpaceMegabytes (1 MB)", folder.GetProperty("description").GetString());
        Assert.Equal("Healthy", report.RootElement.GetProperty("checks").GetProperty("database").GetProperty("status").GetString());

        // Space again: ready again, and the failed run resumes and completes.
        File.Delete(Path.Combine(mount.Path, "filler"));
        using (var again = await client.GetAsync("/health/ready"))
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        using (var resume = await client.PostAsync($"/api/runs/{second}/resume", null))
            Assert.Equal(HttpStatusCode.OK, resume.StatusCode);
        var done = await client.WaitForRunAsync(second, r => r.Summary.Status.IsFinished(), TimeSpan.FromSeconds(120));
        Assert.Equal(RunStatus.Completed, done.Summary.Status);
    }

    [Fact]
    public void A_full_or_read_only_database_is_a_503_problem_that_names_no_path()
    {
        var full = Api.ApiExceptionHandler.Describe(new Microsoft.EntityFrameworkCore.DbUpdateException("x",
            new Microsoft.Data.Sqlite.SqliteException("SQLite Error 13: 'database or disk is full'.", 13)));
        Assert.Equal(503, full.Status);
        Assert.Equal("Storage full", full.Title);
        var readOnly = Api.ApiExceptionHandler.Describe(new UnauthorizedAccessException("Access to the path '/srv/tb/data/runs/5' is denied."));
        Assert.Equal(503, readOnly.Status);
        Assert.DoesNotContain("/srv", readOnly.Detail);
        var other = Api.ApiExceptionHandler.Describe(new InvalidOperationException("Sequence contains no elements at /srv/tb/x"));
        Assert.Equal(500, other.Status);
        Assert.DoesNotContain("/srv", other.Detail);
    }
}

/// <summary>The rate limit on run creation, on an app of its own (its limit would disturb other tests).</summary>
public sealed class RunCreationRateLimitTests
{
    [Fact]
    public async Task Requests_to_create_runs_beyond_the_limit_get_429_with_retry_after()
    {
        var data = TempBalanceAppFactory.CreateDataDirectory();
        try
        {
            await using var app = new TempBalanceAppFactory(data, new Dictionary<string, string?> { ["TempBalance:Limits:RunCreationsPerMinute"] = "2" });
            using var client = app.StartAndCreateClient();
            // Refused requests count too: the limit is on asking, so invalid bodies keep this test from training.
            var invalid = new StringContent("""{ "config": { "epochs": 0 } }""", Encoding.UTF8, "application/json");
            for (int i = 0; i < 2; i++)
                Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsync("/api/runs", invalid)).StatusCode);

            using var limited = await client.PostAsync("/api/quickstart", null);
            Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
            Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
            Assert.InRange(int.Parse(limited.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture), 1, 60);
            Assert.Contains("TempBalance:Limits:RunCreationsPerMinute", await limited.Content.ReadAsStringAsync());
            // Reading is not limited.
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/runs")).StatusCode);
        }
        finally
        {
            TempBalanceAppFactory.DeleteDataDirectory(data);
        }
    }
}
