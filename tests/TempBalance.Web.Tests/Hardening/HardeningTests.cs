using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TempBalance.Web.Data;
using TempBalance.Web.Runs;
using TempBalance.Web.Tests.Backend;
using TempBalance.Web.Tests.Lifecycle;

namespace TempBalance.Web.Tests.Hardening;

/// <summary>
/// One app that trains nothing (its runs are stored directly, never queued for a job), probed the way the
/// probe of 2026-12-01 did (docs: probe-findings D1-D15): every bad request must be a 4xx problem+json.
/// </summary>
public sealed class QuietApp : IAsyncLifetime
{
    StartedApp _started = null!;

    public string DatasetRoot { get; } = Directory.CreateTempSubdirectory("tempbalance-empty-datasets-").FullName;
    public string DataDirectory => _started.DataDirectory;
    public TempBalanceAppFactory App => _started.Factory;
    public HttpClient Client => _started.Client;

    public Task InitializeAsync()
    {
        _started = new StartedApp(new Dictionary<string, string?>
        {
            ["TempBalance:DatasetRoot"] = DatasetRoot,
            ["TempBalance:Limits:RunCreationsPerMinute"] = "1000",
        });
        return Task.CompletedTask;
    }

    /// <summary>A run stored in the given state and not queued for any job.</summary>
    public async Task<long> AddRunAsync(RunStatus status)
    {
        await using var db = await App.Services.GetRequiredService<IDbContextFactory<TempBalanceDbContext>>().CreateDbContextAsync();
        var run = Run.For(LifecycleHarness.Config(2), status, DateTime.UtcNow);
        db.Runs.Add(run);
        await db.SaveChangesAsync();
        return run.Id;
    }

    public async Task<RunStatus> StatusOfAsync(long id) => (await Client.GetJsonAsync<RunDetails>($"/api/runs/{id}")).Summary.Status;

    public async Task DisposeAsync()
    {
        await _started.DisposeAsync();
        Directory.Delete(DatasetRoot, recursive: true);
    }
}

public sealed class HardeningTests(QuietApp app) : IClassFixture<QuietApp>
{
    readonly HttpClient _client = app.Client;

    [Theory]
    [InlineData("""{ "config": { "model": null } }""", "config.model")]
    [InlineData("""{ "config": { "method": null } }""", "config.method")]
    [InlineData("""{ "config": { "device": null } }""", "config.device")]
    [InlineData("""{ "config": { "tempBalance": null }, "compareWithBaseline": true }""", "config.tempBalance")]
    [InlineData("""{ "config": { "schedule": null } }""", "config.schedule")]
    [InlineData("""{ "config": { "method": "baseline" }, "tags": null, "notes": null, "groupName": null, "seeds": 1, "tagz": 1 }""", "tagz")]
    [InlineData("""{ "config": { "method": "baseline" }, "tags": [null] }""", "tags")]
    [InlineData("""{ "tags": [] }""", "config")]
    [InlineData("""{ "config": null }""", "config")]
    [InlineData("""{ "config": { "method": "tb", "tempBalance": { "fit": 99 } } }""", "config.tempBalance.fit")]
    [InlineData("""{ "config": { "method": "tb", "tempBalance": { "assign": -7 } } }""", "config.tempBalance.assign")]
    [InlineData("""{ "config": { "method": "tb", "tempBalance": { "metric": 42 } } }""", "config.tempBalance.metric")]
    [InlineData("""{ "config": { "method": "tb", "tempBalance": { "maxRatio": "Infinity" } } }""", "config.tempBalance.maxRatio")]
    [InlineData("""{ "config": { "method": "baseline", "epochs": 2147483647 } }""", "config.epochs")]
    [InlineData("""{ "config": { "method": "baseline", "widthFactor": 1e6 } }""", "config.widthFactor")]
    [InlineData("""{ "config": { "method": "baseline", "batchSize": 1000000 } }""", "config.batchSize")]
    [InlineData("""{ "config": { "method": "baseline", "subset": 2000000000 } }""", "config.subset")]
    [InlineData("""{ "config": { "method": "baseline", "seed": 2147483647 }, "seeds": 2 }""", "seeds")]
    [InlineData("""{ "config": { "method": "baseline" }, "seeds": 21 }""", "seeds")]
    [InlineData("""{ "config": { "method": "baseline" }, "config": { "method": "tb" } }""", "body")]
    [InlineData("""{ "config": { "method": "baseline", "epochs": 1, "epochs": 2 } }""", "body")]
    public async Task Bad_run_requests_are_400_problems_naming_the_field(string body, string field)
    {
        using var response = await _client.PostAsync("/api/runs", Json(body));
        await AssertValidationProblemAsync(response, field);
        Assert.Equal(0, (await _client.GetJsonAsync<RunPage>("/api/runs?status=queued")).TotalCount);
    }

    [Fact]
    public async Task A_body_over_the_size_limit_is_413_with_or_without_a_length()
    {
        const int limit = 1024 * 1024; // TempBalance:Limits:MaxRequestBodyBytes, its default
        var big = Encoding.UTF8.GetBytes("{ \"config\": { \"method\": \"baseline\" }, \"notes\": \"" + new string('x', limit + 1024) + "\" }");
        // The server answers 413 and closes the connection without reading the rest; a client still sending may then
        // see the connection reset before it reads the answer. So these requests send no more than the server reads
        // and then read its answer. With a length, it refuses before reading any of the body.
        var withLength = await RawPostAsync("/api/runs", $"Content-Length: {big.Length}", []);
        AssertRawProblem(withLength, 413);

        // Without one (chunked), it finds out while reading: a little more than the limit, then nothing.
        var chunked = await RawPostAsync("/api/runs", "Transfer-Encoding: chunked", big);
        AssertRawProblem(chunked, 413);
    }

    /// <summary>
    /// A JSON POST over a plain socket: the head with <paramref name="framing"/>, then <paramref name="body"/> in 64 KB
    /// chunks when the framing is chunked (without the last, empty chunk); returns all the server answers until it closes.
    /// </summary>
    async Task<string> RawPostAsync(string path, string framing, byte[] body)
    {
        var address = app.App.BaseAddress;
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(address.Host, address.Port);
        using var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"POST {path} HTTP/1.1\r\nHost: {address.Authority}\r\nContent-Type: application/json\r\n{framing}\r\n\r\n"));
        for (int offset = 0; offset < body.Length; offset += 64 * 1024)
        {
            int size = Math.Min(64 * 1024, body.Length - offset);
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"{size:x}\r\n"));
            await stream.WriteAsync(body.AsMemory(offset, size));
            await stream.WriteAsync("\r\n"u8.ToArray());
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var answer = new MemoryStream();
        await stream.CopyToAsync(answer, timeout.Token);
        return Encoding.UTF8.GetString(answer.ToArray());
    }

    static void AssertRawProblem(string answer, int status)
    {
        Assert.StartsWith($"HTTP/1.1 {status} ", answer, StringComparison.Ordinal);
        Assert.Contains("Content-Type: application/problem+json", answer, StringComparison.OrdinalIgnoreCase);
        Assert.Contains($"\"status\":{status}", answer, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/api/runs?page=abc", "page")]
    [InlineData("/api/runs?group=notaguid", "group")]
    [InlineData("/api/runs?desc=maybe", "desc")]
    [InlineData("/api/runs?sort=999", "sort")]
    [InlineData("/api/runs/1/epochs?sinceEpoch=abc", "sinceEpoch")]
    [InlineData("/api/runs/1/spectrum?epoch=1", "layer")]
    public async Task Malformed_query_values_are_400_problems_naming_the_parameter(string url, string parameter)
    {
        using var response = await _client.GetAsync(url);
        await AssertValidationProblemAsync(response, parameter);
    }

    [Fact]
    public async Task A_page_past_the_end_is_empty_not_page_one()
    {
        await app.AddRunAsync(RunStatus.Completed);
        var page = await _client.GetJsonAsync<RunPage>("/api/runs?page=2147483647&pageSize=500&archived=include");
        Assert.Empty(page.Items);
        Assert.Equal(2147483647, page.Page);
    }

    [Fact]
    public async Task Patch_is_strict_and_its_errors_are_problems()
    {
        var id = await app.AddRunAsync(RunStatus.Completed);
        using (var typo = await _client.PatchAsync($"/api/runs/{id}", Json("""{ "tagz": ["a"] }""")))
            await AssertValidationProblemAsync(typo, "tagz");
        using (var nullTag = await _client.PatchAsync($"/api/runs/{id}", Json("""{ "tags": [null] }""")))
            await AssertValidationProblemAsync(nullTag, "tags");
        using (var malformed = await _client.PatchAsync($"/api/runs/{id}", Json("""{ "tags": [""")))
            await AssertValidationProblemAsync(malformed, "body");
        using (var text = await _client.PatchAsync($"/api/runs/{id}", new StringContent("""{ "notes": "x" }""", Encoding.UTF8, "text/plain")))
            await AssertProblemAsync(text, HttpStatusCode.UnsupportedMediaType);
        using (var ok = await _client.PatchAsync($"/api/runs/{id}", Json("""{ "tags": ["kept"] }""")))
            Assert.Equal(HttpStatusCode.NoContent, ok.StatusCode);
        Assert.Equal(["kept"], (await _client.GetJsonAsync<RunDetails>($"/api/runs/{id}")).Summary.Tags);
    }

    [Theory]
    [InlineData("POST", "cancel")]
    [InlineData("POST", "resume")]
    [InlineData("DELETE", "")]
    [InlineData("POST", "quickstart")]
    public async Task A_cross_site_form_post_changes_nothing(string method, string action)
    {
        var id = await app.AddRunAsync(action == "resume" ? RunStatus.Cancelled : action == "" ? RunStatus.Completed : RunStatus.Queued);
        var url = action == "quickstart" ? "/api/quickstart" : action == "" ? $"/api/runs/{id}" : $"/api/runs/{id}/{action}";
        var before = await app.StatusOfAsync(id);

        using var form = new HttpRequestMessage(new HttpMethod(method), url) { Content = new FormUrlEncodedContent([]) };
        form.Headers.Add("Origin", "http://evil.example");
        using var refused = await _client.SendAsync(form);
        await AssertProblemAsync(refused, HttpStatusCode.Forbidden);

        // Fetch metadata says the same without an Origin; a form without either is still no JSON.
        using var fetch = new HttpRequestMessage(new HttpMethod(method), url);
        fetch.Headers.Add("Sec-Fetch-Site", "cross-site");
        await AssertProblemAsync(await _client.SendAsync(fetch), HttpStatusCode.Forbidden);
        using var bareForm = new HttpRequestMessage(new HttpMethod(method), url) { Content = new FormUrlEncodedContent([]) };
        await AssertProblemAsync(await _client.SendAsync(bareForm), HttpStatusCode.UnsupportedMediaType);

        Assert.Equal(before, await app.StatusOfAsync(id));
        Assert.Equal(0, (await _client.GetJsonAsync<RunPage>("/api/runs?tag=quickstart")).TotalCount);
    }

    [Fact]
    public async Task The_apps_own_pages_and_clients_without_an_origin_may_change_state()
    {
        var id = await app.AddRunAsync(RunStatus.Queued);
        using var sameOrigin = new HttpRequestMessage(HttpMethod.Post, $"/api/runs/{id}/cancel");
        sameOrigin.Headers.Add("Origin", app.App.BaseAddress.GetLeftPart(UriPartial.Authority));
        sameOrigin.Headers.Add("Sec-Fetch-Site", "same-origin");
        using var cancelled = await _client.SendAsync(sameOrigin);
        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        using var resumed = await _client.PostAsync($"/api/runs/{id}/resume", null);
        Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
        await _client.PostAsync($"/api/runs/{id}/cancel", null);
    }

    [Fact]
    public async Task The_hub_refuses_other_origins_and_runs_that_do_not_exist()
    {
        using var negotiate = new HttpRequestMessage(HttpMethod.Post, "/hubs/training/negotiate?negotiateVersion=1");
        negotiate.Headers.Add("Origin", "http://evil.example");
        await AssertProblemAsync(await _client.SendAsync(negotiate), HttpStatusCode.Forbidden);
        using var blazor = new HttpRequestMessage(HttpMethod.Post, "/_blazor/negotiate?negotiateVersion=1");
        blazor.Headers.Add("Origin", "http://evil.example");
        await AssertProblemAsync(await _client.SendAsync(blazor), HttpStatusCode.Forbidden);

        await using var hub = app.App.CreateHubConnection();
        await hub.StartAsync();
        var missing = await Assert.ThrowsAsync<HubException>(() => hub.InvokeAsync<long>("JoinRun", 999999L));
        Assert.Contains("There is no run 999999", missing.Message);
        var id = await app.AddRunAsync(RunStatus.Completed);
        Assert.True(await hub.InvokeAsync<long>("JoinRun", id) >= 0);
    }

    [Fact]
    public async Task Responses_carry_security_headers_and_no_server_header()
    {
        using var page = await _client.GetAsync("/");
        Assert.False(page.Headers.Contains("Server"), "Server: " + string.Join(",", page.Headers.TryGetValues("Server", out var v) ? v : []));
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("same-origin", page.Headers.GetValues("Referrer-Policy").Single());
        var csp = page.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("default-src 'self'", csp);
        Assert.Contains("object-src 'none'", csp);
        Assert.Contains("frame-ancestors 'self'", csp);
        Assert.DoesNotContain("unsafe-eval", csp);
        // The inline import map carries this response's nonce, and only the import map is inline.
        var nonce = System.Text.RegularExpressions.Regex.Match(csp, "'nonce-([^']+)'").Groups[1].Value;
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains($"<script type=\"importmap\" nonce=\"{nonce}\">", html);

        using var api = await _client.GetAsync("/api/runs");
        Assert.Equal("nosniff", api.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.False(api.Headers.Contains("Server"));

        // Only the third-party pages get more: inline scripts for the job dashboard, and eval for the API reference.
        using var dashboard = await _client.GetAsync("/hangfire");
        var dashboardPolicy = dashboard.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("script-src 'self' 'unsafe-inline';", dashboardPolicy);
        Assert.DoesNotContain("unsafe-eval", dashboardPolicy);
        using var reference = await _client.GetAsync("/scalar/");
        Assert.Contains("script-src 'self' 'unsafe-inline' 'unsafe-eval';", reference.Headers.GetValues("Content-Security-Policy").Single());
    }

    [Fact]
    public async Task The_dashboard_refuses_requests_a_proxy_forwarded_and_its_stats_url_is_no_500()
    {
        using (var local = await _client.GetAsync("/hangfire"))
            Assert.Equal(HttpStatusCode.OK, local.StatusCode);
        using var forwarded = new HttpRequestMessage(HttpMethod.Get, "/hangfire");
        forwarded.Headers.Add("X-Forwarded-For", "127.0.0.1");
        using (var response = await _client.SendAsync(forwarded))
            Assert.True(response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden, $"{response.StatusCode}");
        using (var stats = await _client.GetAsync("/hangfire/stats"))
            Assert.Equal(HttpStatusCode.MethodNotAllowed, stats.StatusCode);
    }

    [Fact]
    public async Task An_unknown_run_or_sweep_page_is_a_404_with_the_not_found_page()
    {
        foreach (var page in new[] { "/runs/99999999", "/sweeps/99999999" })
        {
            using var response = await _client.GetAsync(page);
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{page}: {response.StatusCode}");
            Assert.Contains("There is no page at this address.", await response.Content.ReadAsStringAsync());
        }
        var id = await app.AddRunAsync(RunStatus.Completed);
        using var known = await _client.GetAsync($"/runs/{id}");
        Assert.Equal(HttpStatusCode.OK, known.StatusCode);
    }

    [Fact]
    public async Task Dataset_errors_name_folders_relative_to_the_dataset_root()
    {
        using var response = await _client.PostAsync("/api/runs", Json("""{ "config": { "method": "baseline", "model": "resnet18", "dataset": "cifar100" } }"""));
        var message = (await AssertValidationProblemAsync(response, "config.dataset"))[0];
        Assert.DoesNotContain(app.DatasetRoot, message);
        Assert.DoesNotContain("/usr/share", message);
        Assert.Matches(@"missing cifar-?100[\w-]*/", message);
    }

    [Fact]
    public async Task Unknown_api_paths_and_wrong_methods_are_problems()
    {
        await AssertProblemAsync(await _client.GetAsync("/api/no-such-endpoint"), HttpStatusCode.NotFound);
        await AssertProblemAsync(await _client.PutAsync("/api/runs", Json("{}")), HttpStatusCode.MethodNotAllowed);
    }

    [Fact]
    public async Task Health_live_and_ready_report_each_check()
    {
        using var live = await _client.GetAsync("/health/live");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        using var ready = await _client.GetAsync("/health/ready");
        var body = await ready.Content.ReadAsStringAsync();
        Assert.True(ready.StatusCode == HttpStatusCode.OK, body);
        using var json = JsonDocument.Parse(body);
        var checks = json.RootElement.GetProperty("checks");
        Assert.Equal(["data-folder", "database", "training-queue"], checks.EnumerateObject().Select(c => c.Name).Order());
        Assert.Equal("all", json.RootElement.GetProperty("role").GetString());
        Assert.All(checks.EnumerateObject(), c => Assert.Equal("Healthy", c.Value.GetProperty("status").GetString()));
        Assert.DoesNotContain(app.DataDirectory, body);
    }

    static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode} (expected {(int)status}): {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(body);
        Assert.Equal((int)status, problem.RootElement.GetProperty("status").GetInt32());
    }

    static async Task<string[]> AssertValidationProblemAsync(HttpResponseMessage response, string field)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(body);
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty(field, out var messages), $"no error for '{field}' in {body}");
        var texts = messages.EnumerateArray().Select(m => m.GetString()!).ToArray();
        Assert.True(texts.Length > 0 && texts[0].Length > 10, body);
        return texts;
    }
}
