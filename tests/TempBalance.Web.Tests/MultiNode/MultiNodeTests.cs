using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Npgsql;
using TempBalance.Web.Data;
using TempBalance.Web.Runs;
using TempBalance.Web.Tests.Backend;
using TempBalance.Web.Tests.Browser;
using Xunit.Abstractions;

namespace TempBalance.Web.Tests.MultiNode;

/// <summary>
/// The deployment past one machine, for real on this one: a private PostgreSQL and Redis, one web process and two
/// worker processes of the app's build output sharing one run store. Two runs train at once on different workers
/// while a browser on the web node watches both live; one worker is killed with SIGKILL in the middle of its run,
/// the other run is cancelled from the web node, and the killed worker's run finishes on the other worker from
/// its last checkpoint with every epoch stored exactly once.
/// </summary>
[Collection(TrainingCollection.Name)]
public sealed partial class MultiNodeTests(PostgresServer postgres, RedisServer redis, ITestOutputHelper output)
    : IClassFixture<PostgresServer>, IClassFixture<RedisServer>
{
    const int Epochs = 6;

    // Short timeouts so a dead worker's run moves on within seconds: its heartbeat is stale after 15 s, and the
    // queue hands its job to another worker after 20 s without a renewal. (5 s was too short for a heartbeat on
    // this 2-core machine under a load of 20: the sweeper marked live runs Interrupted.)
    static readonly string[] Timeouts =
    [
        "--TempBalance:HeartbeatInterval=00:00:01", "--TempBalance:StaleRunTimeout=00:00:15", "--TempBalance:SweepInterval=00:00:02",
        "--TempBalance:Queue:InvisibilityTimeout=00:00:20", "--TempBalance:Queue:PollInterval=00:00:01",
    ];

    [MultiNodeFact]
    [Trait("Category", "Browser")]
    public async Task Two_workers_train_two_runs_the_web_node_shows_both_live_and_a_killed_workers_run_finishes_on_the_other()
    {
        var clock = Stopwatch.StartNew();
        var store = TempBalanceAppFactory.CreateDataDirectory();
        string[] shared =
        [
            "--TempBalance:Database=postgres", $"--ConnectionStrings:TempBalance={postgres.ConnectionString}",
            $"--TempBalance:Redis={redis.ConnectionString}", .. Timeouts,
        ];
        AppProcess? web = null, first = null, second = null;
        bool passed = false;
        try
        {
            web = await AppProcess.StartAsync([.. shared, "--TempBalance:Role=web"], store, readyPath: "/health/live");

            // The runs are queued before any worker serves and their pages are open before either trains, so a fast
            // machine cannot finish them unwatched. The run to be killed has 6 epochs of 256 batches; the run to be
            // cancelled is long enough never to finish first on any machine.
            static object Run(int epochs, int seed) => new
            {
                config = new { model = "mlp", dataset = "synthetic", epochs, subset = 4096, batchSize = 16, widthFactor = 1.0, device = "cpu", seed },
                name = "multi-node",
            };
            long killedRun = (await web.Client.CreateRunsAsync(Run(Epochs, seed: 1))).Single();
            long cancelledRun = (await web.Client.CreateRunsAsync(Run(500, seed: 2))).Single();
            long[] ids = [killedRun, cancelledRun];

            // A browser on the web node follows both runs: live batch figures and epoch counts that go up without a reload.
            using var playwright = await Playwright.CreateAsync();
            await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = "/usr/bin/chromium",
                Headless = true,
                Args = BrowserFixture.ChromiumArgs,
            });
            var pages = new List<IPage>();
            foreach (var id in ids)
            {
                var page = await browser.NewPageAsync(new BrowserNewPageOptions { BaseURL = web.Client.BaseAddress!.ToString() });
                await BrowserSteps.Open(page, $"/runs/{id}");
                await page.Locator("[data-interactive='true']").WaitForAsync(new() { Timeout = 60_000 });
                await Assertions.Expect(page.GetByTestId("progress-text")).ToContainTextAsync("waiting for a worker");
                pages.Add(page);
            }
            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: both runs queued, their pages open");

            // One job at a time per worker, so two runs need both workers.
            var workers = await Task.WhenAll(
                AppProcess.StartAsync([.. shared, "--TempBalance:Role=worker", "--TempBalance:Workers=1"], store),
                AppProcess.StartAsync([.. shared, "--TempBalance:Role=worker", "--TempBalance:Workers=1"], store));
            (first, second) = (workers[0], workers[1]);
            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: two workers serve");

            // Freeze the first run's worker (SIGSTOP) as soon as an epoch of it is stored: however fast the machine,
            // the run is caught in the middle and stays there while the rest is checked, until its worker is killed.
            await using var db = new NpgsqlConnection(postgres.ConnectionString);
            await db.OpenAsync();
            var beforeKill = await web.Client.WaitForRunAsync(killedRun, r => r.Summary.CompletedEpochs >= 1 || r.Summary.Status.IsFinished(),
                TimeSpan.FromSeconds(120), poll: TimeSpan.FromMilliseconds(50));
            var killed = (await ProcessingServersAsync(db)).GetValueOrDefault(killedRun) == first.Process.Id ? first : second;
            var survivor = killed == first ? second : first;
            await SignalAsync(killed.Process, "STOP");
            Assert.True(beforeKill.Summary.Status == RunStatus.Running, $"run {killedRun} is {beforeKill.Summary.Status} before the kill: make its runs longer");

            // Each node says what it is; a worker serves no pages or API, and the web node trains nothing itself.
            using (var ready = JsonDocument.Parse(await survivor.Client.GetStringAsync("/health/ready")))
            {
                Assert.Equal("worker", ready.RootElement.GetProperty("role").GetString());
                Assert.Equal("Healthy", ready.RootElement.GetProperty("checks").GetProperty("redis").GetProperty("status").GetString());
            }
            Assert.Equal(System.Net.HttpStatusCode.NotFound, (await survivor.Client.GetAsync("/api/runs")).StatusCode);
            Assert.Equal(System.Net.HttpStatusCode.NotFound, (await survivor.Client.GetAsync("/")).StatusCode);
            await WaitUntilAsync(async () =>
            {
                using var ready = JsonDocument.Parse(await web.Client.GetStringAsync("/health/ready"));
                return ready.RootElement.GetProperty("role").GetString() == "web"
                       && ready.RootElement.GetProperty("checks").GetProperty("training-queue").GetProperty("description").GetString()!.StartsWith("2 server(s) with 2 worker(s)", StringComparison.Ordinal);
            }, TimeSpan.FromSeconds(30), "the web node's /health/ready never counted the two workers' job servers");

            // Both runs train, each on its own worker (the Hangfire server that took its job names the process).
            Dictionary<long, int> trainedBy = [];
            await WaitUntilAsync(async () => (trainedBy = await ProcessingServersAsync(db)).Count == 2, TimeSpan.FromSeconds(60),
                "both runs were not taken by workers");
            Assert.Equal(killed.Process.Id, trainedBy[killedRun]);
            Assert.Equal(survivor.Process.Id, trainedBy[cancelledRun]);
            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: run {killedRun} on process {killed.Process.Id} (frozen after {beforeKill.Summary.CompletedEpochs} epochs), run {cancelledRun} on process {survivor.Process.Id}");

            // The other run's page follows it live: finished epochs and batch figures (which come only from live
            // batch messages; nothing stored has them) without a reload. The frozen run's page is checked when the
            // run has moved to the other worker and finished.
            await WaitUntilAsync(async () => await EpochsShownAsync(pages[1]) >= 1, TimeSpan.FromSeconds(60),
                $"the page of run {cancelledRun} on the web node never showed a finished epoch without a reload");
            await Assertions.Expect(pages[1].GetByTestId("batch-metrics")).ToBeVisibleAsync(new() { Timeout = 60_000 });
            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: the running run's page shows epochs and batches live");

            killed.Process.Kill();
            await killed.Process.WaitForExitAsync();
            var storedBeforeKill = await web.Client.GetJsonAsync<List<EpochPoint>>($"/api/runs/{killedRun}/epochs");
            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: SIGKILL to process {killed.Process.Id} with {storedBeforeKill.Count - 1} of {Epochs} epochs stored");

            // Cancel the other run from the web node: its worker stops it, and is then free for the killed worker's run.
            var cancelClock = Stopwatch.StartNew();
            using (var cancel = await web.Client.PostAsync($"/api/runs/{cancelledRun}/cancel", null))
                Assert.True(cancel.IsSuccessStatusCode, $"cancel: {(int)cancel.StatusCode}");
            var cancelled = await web.Client.WaitForRunAsync(cancelledRun, r => r.Summary.Status.IsFinished(), TimeSpan.FromSeconds(30));
            Assert.Equal(RunStatus.Cancelled, cancelled.Summary.Status);
            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: run {cancelledRun} cancelled {cancelClock.Elapsed.TotalSeconds:0.00} s after the request");

            // Meanwhile the sweeper may mark it Interrupted (no heartbeat); the job the queue hands on claims it from there.
            var done = await web.Client.WaitForRunAsync(killedRun, r => r.Summary.Status.IsFinished() && r.Summary.Status != RunStatus.Interrupted, TimeSpan.FromSeconds(240));
            Assert.True(done.Summary.Status == RunStatus.Completed, $"{done.Summary.Status}: {done.Summary.ErrorMessage}\n{survivor.Output}");
            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: run {killedRun} completed on the other worker");

            // Every epoch exactly once, in the API and in the table; those stored before the kill were not trained again.
            var epochs = await web.Client.GetJsonAsync<List<EpochPoint>>($"/api/runs/{killedRun}/epochs");
            Assert.Equal(Enumerable.Range(0, Epochs + 1), epochs.Select(e => e.Epoch));
            Assert.Equal(Enumerable.Range(0, Epochs + 1), await EpochRowsAsync(db, killedRun));
            foreach (var stored in storedBeforeKill)
                Assert.Equal(stored.TrainLoss, epochs[stored.Epoch].TrainLoss);
            Assert.Equal(Epochs, done.Summary.CompletedEpochs);
            // Its job went to the surviving worker, which claimed the run again.
            var servers = await ProcessingHistoryAsync(db, killedRun);
            Assert.Equal([killed.Process.Id, survivor.Process.Id], servers.Distinct());
            var audit = await web.Client.GetJsonAsync<List<JsonElement>>($"/api/runs/{killedRun}/audit");
            Assert.Equal(2, audit.Count(a => a.GetProperty("action").GetString() == "claim"));

            // The page opened before the kill followed the run to its end.
            await Assertions.Expect(pages[0].GetByTestId("status")).ToHaveTextAsync("completed", new() { Timeout = 30_000 });
            await Assertions.Expect(pages[0].Locator("body")).ToContainTextAsync($"{Epochs} of {Epochs} epochs · best");
            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: done");
            passed = true;
        }
        finally
        {
            // What each node logged, to tell a slow machine from a fault.
            if (!passed)
                foreach (var (name, app) in new[] { ("web", web), ("first worker", first), ("second worker", second) })
                    if (app is not null) output.WriteLine($"--- {name} (process {app.Process.Id}):\n{Tail(app.Output)}\n{Tail(app.Errors)}");
            foreach (var app in new[] { web, first, second })
                if (app is not null) await app.DisposeAsync();
            TempBalanceAppFactory.DeleteDataDirectory(store);
        }
    }

    [MultiNodeFact]
    public async Task A_worker_started_before_the_web_node_waits_for_its_migrations_and_then_serves()
    {
        // A database of its own, empty: nothing has migrated it yet.
        await using (var db = new NpgsqlConnection(postgres.ConnectionString))
        {
            await db.OpenAsync();
            await using var create = new NpgsqlCommand("CREATE DATABASE waiting", db);
            await create.ExecuteNonQueryAsync();
        }
        var connection = postgres.ConnectionString.Replace("Database=postgres", "Database=waiting", StringComparison.Ordinal);
        var store = TempBalanceAppFactory.CreateDataDirectory();
        string[] shared = ["--TempBalance:Database=postgres", $"--ConnectionStrings:TempBalance={connection}", $"--TempBalance:Redis={redis.ConnectionString}"];
        var worker = AppProcess.StartAsync([.. shared, "--TempBalance:Role=worker"], store);
        AppProcess? web = null;
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(8));
            Assert.False(worker.IsCompleted, "The worker served before any node had migrated the database.");
            await using (var db = new NpgsqlConnection(connection))
            {
                await db.OpenAsync();
                await using var tables = new NpgsqlCommand("SELECT count(*) FROM information_schema.tables WHERE table_name = 'Runs'", db);
                Assert.Equal(0L, (long)(await tables.ExecuteScalarAsync())!);
            }

            web = await AppProcess.StartAsync([.. shared, "--TempBalance:Role=web"], store, readyPath: "/health/live");
            var started = await worker.WaitAsync(TimeSpan.FromSeconds(60));
            using var ready = JsonDocument.Parse(await started.Client.GetStringAsync("/health/ready"));
            Assert.Equal("worker", ready.RootElement.GetProperty("role").GetString());
        }
        finally
        {
            if (web is not null) await web.DisposeAsync();
            if (!worker.IsCompleted) await Task.WhenAny(worker, Task.Delay(TimeSpan.FromSeconds(90)));
            if (worker.IsCompletedSuccessfully) await worker.Result.DisposeAsync();
            TempBalanceAppFactory.DeleteDataDirectory(store);
        }
    }

    static string Tail(string log) => log.Length <= 6000 ? log : log[^6000..];

    static async Task<int> EpochsShownAsync(IPage page)
    {
        var text = await page.GetByTestId("progress-text").InnerTextAsync();
        return EpochsOf().Match(text) is { Success: true } match ? int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }

    /// <summary>Run id -> process id of the worker whose Hangfire server is processing its job now.</summary>
    static async Task<Dictionary<long, int>> ProcessingServersAsync(NpgsqlConnection db)
    {
        var rows = await QueryAsync(db, "SELECT j.arguments, s.data FROM hangfire.job j JOIN hangfire.state s ON s.id = j.stateid WHERE j.statename = 'Processing'");
        return rows.ToDictionary(r => r.RunId, r => r.ProcessId);
    }

    /// <summary>The worker processes that took a run's job, in order.</summary>
    static async Task<List<int>> ProcessingHistoryAsync(NpgsqlConnection db, long runId) =>
        (await QueryAsync(db, "SELECT j.arguments, s.data FROM hangfire.job j JOIN hangfire.state s ON s.jobid = j.id WHERE s.name = 'Processing' ORDER BY s.id"))
        .Where(r => r.RunId == runId).Select(r => r.ProcessId).ToList();

    static async Task<List<(long RunId, int ProcessId)>> QueryAsync(NpgsqlConnection db, string sql)
    {
        await using var command = new NpgsqlCommand(sql, db);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(long, int)>();
        while (await reader.ReadAsync())
        {
            var runId = long.Parse(JsonDocument.Parse(reader.GetString(0)).RootElement[0].GetString()!, System.Globalization.CultureInfo.InvariantCulture);
            var serverId = JsonDocument.Parse(reader.GetString(1)).RootElement.GetProperty("ServerId").GetString()!;
            // The server name is "worker:{host}:{pid}"; Hangfire appends its own parts after it.
            rows.Add((runId, int.Parse(serverId.Split(':')[2], System.Globalization.CultureInfo.InvariantCulture)));
        }
        return rows;
    }

    static async Task<List<int>> EpochRowsAsync(NpgsqlConnection db, long runId)
    {
        await using var command = new NpgsqlCommand($"SELECT \"Epoch\" FROM \"EpochMetrics\" WHERE \"RunId\" = {runId} ORDER BY \"Epoch\"", db);
        await using var reader = await command.ExecuteReaderAsync();
        var epochs = new List<int>();
        while (await reader.ReadAsync()) epochs.Add(reader.GetInt32(0));
        return epochs;
    }

    static async Task SignalAsync(Process process, string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
        Assert.Equal(0, kill.ExitCode);
    }

    static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string failure)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"After {timeout.TotalSeconds:0} s: {failure}.");
            await Task.Delay(200);
        }
    }

    [GeneratedRegex(@"(\d+) of \d+ epochs")]
    private static partial Regex EpochsOf();
}
