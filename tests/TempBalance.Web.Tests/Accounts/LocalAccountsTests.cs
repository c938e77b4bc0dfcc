using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using TempBalance.Web.Auth;
using TempBalance.Web.Data;
using TempBalance.Web.Runs;
using TempBalance.Web.Tests.Backend;

namespace TempBalance.Web.Tests.Accounts;

// Hangfire logs through the host that started last; a host stopped by a parallel test class would break this
// app's job enqueues, so these classes run one at a time with the other hosts that enqueue.
[Collection(TrainingCollection.Name)]
public sealed class LocalAccountsTests(LocalAccountsApp app) : IClassFixture<LocalAccountsApp>
{
    static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string title)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal((int)status, problem.RootElement.GetProperty("status").GetInt32());
        Assert.Equal(title, problem.RootElement.GetProperty("title").GetString());
    }

    [Fact]
    public async Task The_api_without_a_token_is_401_problem_json_and_with_one_200()
    {
        using var anonymous = await app.Anonymous.GetAsync("/api/runs");
        await AssertProblemAsync(anonymous, HttpStatusCode.Unauthorized, "Sign-in required");
        Assert.Contains("Bearer", anonymous.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);

        using var viewer = await app.Viewer.Client.GetAsync("/api/runs");
        Assert.Equal(HttpStatusCode.OK, viewer.StatusCode);

        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/api/runs");
        wrong.Headers.Authorization = new("Bearer", PersonalTokens.Prefix + "not-a-token");
        await AssertProblemAsync(await app.Anonymous.SendAsync(wrong), HttpStatusCode.Unauthorized, "Sign-in required");
    }

    [Fact]
    public async Task A_revoked_token_is_401_and_only_its_hash_is_stored()
    {
        var tokens = app.App.Services.GetRequiredService<PersonalTokens>();
        var (token, secret) = await tokens.CreateAsync(app.Viewer.UserId, "to revoke");
        using var client = new HttpClient { BaseAddress = app.App.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new("Bearer", secret);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/runs")).StatusCode);

        var listed = (await tokens.ListAsync(app.Viewer.UserId)).Single(t => t.Id == token.Id);
        Assert.True(secret.StartsWith(listed.Prefix, StringComparison.Ordinal) && listed.Prefix.Length < secret.Length);
        Assert.NotNull(listed.LastUsedAt);
        using (var scope = app.App.Services.CreateScope())
        {
            var row = scope.ServiceProvider.GetRequiredService<TempBalanceDbContext>().ApiTokens.Single(t => t.Id == token.Id);
            Assert.Equal(PersonalTokens.Hash(secret), row.TokenHash);
            Assert.DoesNotContain(secret[PersonalTokens.Prefix.Length..], row.TokenHash, StringComparison.Ordinal);
        }

        Assert.False(await tokens.RevokeAsync(app.Alice.UserId, token.Id)); // not Alice's token
        Assert.True(await tokens.RevokeAsync(app.Viewer.UserId, token.Id));
        await AssertProblemAsync(await client.GetAsync("/api/runs"), HttpStatusCode.Unauthorized, "Sign-in required");
    }

    [Fact]
    public async Task A_viewer_cannot_create_runs_and_a_researcher_can()
    {
        const string body = """{ "config": { "model": "smallcnn", "dataset": "synthetic", "method": "baseline", "epochs": 1, "subset": 64, "batchSize": 16, "device": "cpu" } }""";
        await AssertProblemAsync(await app.Viewer.Client.PostAsync("/api/runs", Json(body)), HttpStatusCode.Forbidden, "Not allowed");
        await AssertProblemAsync(await app.Viewer.Client.PostAsync("/api/quickstart", null), HttpStatusCode.Forbidden, "Not allowed");

        using var created = await app.Alice.Client.PostAsync("/api/runs", Json(body));
        var id = (await ApiClient.ReadCreatedIdsAsync(created)).Single();
        Assert.Equal(HttpStatusCode.OK, (await app.Alice.Client.PostAsync($"/api/runs/{id}/cancel", null)).StatusCode);
        var run = await app.Alice.Client.GetJsonAsync<RunDetails>($"/api/runs/{id}");
        Assert.Equal(app.Alice.Email, run.CreatedBy);
        Assert.Equal(app.Alice.UserId, run.CreatedByUserId);
    }

    [Fact]
    public async Task A_researcher_changes_only_their_own_runs_and_an_admin_any()
    {
        long bobs = await app.AddRunAsync(app.Bob);
        await AssertProblemAsync(await app.Alice.Client.PostAsync($"/api/runs/{bobs}/cancel", null), HttpStatusCode.Forbidden, "Not allowed");
        await AssertProblemAsync(await app.Alice.Client.PatchAsync($"/api/runs/{bobs}", Json("""{ "notes": "mine now" }""")), HttpStatusCode.Forbidden, "Not allowed");
        await AssertProblemAsync(await app.Alice.Client.DeleteAsync($"/api/runs/{bobs}"), HttpStatusCode.Forbidden, "Not allowed");
        await AssertProblemAsync(await app.Viewer.Client.PostAsync($"/api/runs/{bobs}/cancel", null), HttpStatusCode.Forbidden, "Not allowed");
        Assert.Equal(RunStatus.Queued, (await app.Bob.Client.GetJsonAsync<RunDetails>($"/api/runs/{bobs}")).Summary.Status);

        Assert.Equal(HttpStatusCode.OK, (await app.Bob.Client.PostAsync($"/api/runs/{bobs}/cancel", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.Bob.Client.PostAsync($"/api/runs/{bobs}/resume", null)).StatusCode);

        long before = await app.AddRunAsync(owner: null); // from before accounts: admins only
        await AssertProblemAsync(await app.Bob.Client.PostAsync($"/api/runs/{before}/cancel", null), HttpStatusCode.Forbidden, "Not allowed");
        Assert.Equal(HttpStatusCode.OK, (await app.Admin.Client.PostAsync($"/api/runs/{before}/cancel", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.Admin.Client.PostAsync($"/api/runs/{bobs}/cancel", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Admin.Client.PostAsync("/api/runs/999999/cancel", null)).StatusCode);
    }

    [Fact]
    public async Task Creating_cancelling_and_editing_are_in_the_audit_trail_with_who_did_them()
    {
        long id = await app.AddRunAsync(app.Alice);
        Assert.Equal(HttpStatusCode.NoContent, (await app.Alice.Client.PatchAsync($"/api/runs/{id}", Json("""{ "tags": ["lr", "sweep"], "name": "lr sweep 1" }"""))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.Admin.Client.PostAsync($"/api/runs/{id}/cancel", null)).StatusCode);
        // An edit that changes nothing is not an entry.
        Assert.Equal(HttpStatusCode.NoContent, (await app.Alice.Client.PatchAsync($"/api/runs/{id}", Json("""{ "tags": ["lr", "sweep"], "notes": "" }"""))).StatusCode);

        var audit = await app.Viewer.Client.GetJsonAsync<List<AuditEntryView>>($"/api/runs/{id}/audit");
        Assert.Equal(
            [(app.Alice.Email, "edit", "tags: lr, sweep; renamed to 'lr sweep 1'"), (LocalAccountsApp.AdminEmail, "cancel", "Queued -> Cancelled")],
            audit.Select(a => (a.Actor, a.Action, a.Details)));
        Assert.All(audit, a => Assert.InRange(a.At, DateTime.UtcNow.AddMinutes(-1), DateTime.UtcNow));

        // A run created through the service records its creator and a "created" entry.
        var created = await app.App.Services.GetRequiredService<RunService>().CreateAsync(
            new NewRunRequest { Config = Lifecycle.LifecycleHarness.Config(1) }, actor: new RunActor(app.Bob.Email, UserId: app.Bob.UserId));
        var newId = created.RunIds.Single();
        await app.Bob.Client.PostAsync($"/api/runs/{newId}/cancel", null);
        var trail = await app.Bob.Client.GetJsonAsync<List<AuditEntryView>>($"/api/runs/{newId}/audit");
        Assert.Equal(("created", app.Bob.Email), (trail[0].Action, trail[0].Actor));
        Assert.Contains(trail, a => a.Action == "cancel" && a.Actor == app.Bob.Email);
    }

    [Fact]
    public async Task The_hub_negotiate_needs_a_sign_in()
    {
        using var anonymous = await app.Anonymous.PostAsync("/hubs/training/negotiate?negotiateVersion=1", null);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using var viewer = await app.Viewer.Client.PostAsync("/hubs/training/negotiate?negotiateVersion=1", null);
        Assert.Equal(HttpStatusCode.OK, viewer.StatusCode);
        // Browsers' WebSockets carry the token in the query.
        using var query = await app.Anonymous.PostAsync($"/hubs/training/negotiate?negotiateVersion=1&access_token={app.Viewer.Token}", null);
        Assert.Equal(HttpStatusCode.OK, query.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Anonymous.PostAsync("/_blazor/negotiate?negotiateVersion=1", null)).StatusCode);
    }

    [Fact]
    public async Task Hangfire_is_for_admins_only()
    {
        Assert.Equal(HttpStatusCode.Forbidden, (await app.Alice.Client.GetAsync("/hangfire")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await app.Viewer.Client.GetAsync("/hangfire")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.Admin.Client.GetAsync("/hangfire")).StatusCode);
        using var browser = app.CreateBrowser();
        using var anonymous = await browser.GetAsync("/hangfire");
        Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
        Assert.StartsWith("/account/login", anonymous.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_first_admin_comes_from_the_settings()
    {
        using var scope = app.App.Services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        var admins = await users.GetUsersInRoleAsync(Roles.Admin);
        Assert.Equal([LocalAccountsApp.AdminEmail], admins.Select(a => a.Email));
        Assert.True(await users.CheckPasswordAsync(admins[0], LocalAccountsApp.AdminPassword));
        Assert.Null(app.App.Services.GetRequiredService<FirstAdmin>().SetupToken);
    }

    [Fact]
    public async Task Pages_send_a_browser_to_sign_in_and_the_form_post_sets_the_cookie()
    {
        using var browser = app.CreateBrowser();
        using var page = await browser.GetAsync("/queue");
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.Equal("/account/login?ReturnUrl=%2Fqueue", page.Headers.Location!.PathAndQuery);

        using var signedIn = await LocalAccountsApp.SignInAsync(browser, app.Viewer.Email, LocalAccountsApp.Password, "/queue");
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.Equal("/queue", signedIn.Headers.Location!.OriginalString);
        var cookie = Assert.Single(signedIn.Headers.GetValues("Set-Cookie"), c => c.StartsWith(".TempBalance.SignIn=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);

        using var queue = await browser.GetAsync("/queue");
        Assert.Equal(HttpStatusCode.OK, queue.StatusCode);
        // The cookie works for the API too, but a browser's cross-site post is still refused (CSRF guard).
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/api/runs")).StatusCode);
        // A return address on another site is not followed.
        using var other = app.CreateBrowser();
        using var elsewhere = await LocalAccountsApp.SignInAsync(other, app.Viewer.Email, LocalAccountsApp.Password, "//evil.example/");
        Assert.Equal("/", elsewhere.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task An_account_is_locked_after_too_many_wrong_passwords()
    {
        var carol = await app.AddAccountAsync("carol@lab.example", Roles.Researcher);
        using var browser = app.CreateBrowser();
        for (int attempt = 1; attempt < LocalAccountsApp.MaxFailedSignIns; attempt++)
        {
            using var wrong = await LocalAccountsApp.SignInAsync(browser, carol.Email, "wrong password!");
            Assert.Contains("error=invalid", wrong.Headers.Location!.OriginalString, StringComparison.Ordinal);
        }
        using var last = await LocalAccountsApp.SignInAsync(browser, carol.Email, "wrong password!");
        Assert.Contains("error=locked", last.Headers.Location!.OriginalString, StringComparison.Ordinal);
        // Locked: the right password does not sign in, and the account's tokens stop working.
        using var right = await LocalAccountsApp.SignInAsync(browser, carol.Email, LocalAccountsApp.Password);
        Assert.Contains("error=locked", right.Headers.Location!.OriginalString, StringComparison.Ordinal);
        Assert.DoesNotContain(right.Headers.TryGetValues("Set-Cookie", out var cookies) ? cookies : [], c => c.StartsWith(".TempBalance.SignIn=", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.Unauthorized, (await carol.Client.GetAsync("/api/runs")).StatusCode);
        var page = await browser.GetStringAsync("/account/login?error=locked");
        Assert.Contains("this account is locked for 15 minutes", page, StringComparison.Ordinal);
    }
}

[Collection(TrainingCollection.Name)]
public sealed class SignInRateLimitTests(ThrottledAccountsApp app) : IClassFixture<ThrottledAccountsApp>
{
    [Fact]
    public async Task Sign_ins_past_the_limit_go_back_to_the_sign_in_page_unanswered()
    {
        using var browser = app.CreateBrowser();
        for (int attempt = 0; attempt < ThrottledAccountsApp.PerMinute; attempt++)
        {
            // An unknown account, so no lockout gets in the way.
            using var wrong = await LocalAccountsApp.SignInAsync(browser, "nobody@lab.example", "wrong password!");
            Assert.Contains("error=invalid", wrong.Headers.Location!.OriginalString, StringComparison.Ordinal);
        }
        // Even the right password is not checked now.
        using var throttled = await LocalAccountsApp.SignInAsync(browser, app.Viewer.Email, LocalAccountsApp.Password);
        Assert.Equal(HttpStatusCode.Redirect, throttled.StatusCode);
        Assert.Equal("/account/login?error=throttled", throttled.Headers.Location!.OriginalString);
        Assert.False(throttled.Headers.Contains("Set-Cookie") && throttled.Headers.GetValues("Set-Cookie").Any(c => c.StartsWith(".TempBalance.SignIn=", StringComparison.Ordinal)));
        Assert.Contains("Too many sign-in attempts", await browser.GetStringAsync("/account/login?error=throttled"), StringComparison.Ordinal);
    }
}
