using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TempBalance.Web.Auth;
using TempBalance.Web.Data;
using TempBalance.Web.Runs;
using TempBalance.Web.Tests.Backend;
using TempBalance.Web.Tests.Lifecycle;

namespace TempBalance.Web.Tests.Accounts;

/// <summary>
/// The app in auth mode local with an admin from settings, two researchers and a viewer, each with a personal
/// token. Runs are stored directly (never queued), so nothing trains.
/// </summary>
public partial class LocalAccountsApp : IAsyncLifetime
{
    public const string AdminEmail = "admin@lab.example";
    public const string AdminPassword = "admin-password-1";
    public const string Password = "long enough password";
    public const int MaxFailedSignIns = 3;

    readonly string _dataDirectory = TempBalanceAppFactory.CreateDataDirectory();
    readonly string _datasetRoot = Directory.CreateTempSubdirectory("tempbalance-empty-datasets-").FullName;
    readonly int _signInsPerMinute;

    public LocalAccountsApp() : this(signInsPerMinute: 1000) { }

    protected LocalAccountsApp(int signInsPerMinute) => _signInsPerMinute = signInsPerMinute;

    public TempBalanceAppFactory App { get; private set; } = null!;
    public HttpClient Anonymous { get; private set; } = null!;
    public Account Admin { get; private set; } = null!;
    public Account Alice { get; private set; } = null!;
    public Account Bob { get; private set; } = null!;
    public Account Viewer { get; private set; } = null!;

    public sealed record Account(string Email, string UserId, string Token, HttpClient Client);

    public async Task InitializeAsync()
    {
        App = new TempBalanceAppFactory(_dataDirectory, new Dictionary<string, string?>
        {
            ["TempBalance:DatasetRoot"] = _datasetRoot,
            ["TempBalance:Auth:Mode"] = "local",
            ["TempBalance:Auth:AdminEmail"] = AdminEmail,
            ["TempBalance:Auth:AdminPassword"] = AdminPassword,
            ["TempBalance:Auth:MaxFailedSignIns"] = MaxFailedSignIns.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["TempBalance:Auth:SignInsPerMinute"] = _signInsPerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["TempBalance:Limits:RunCreationsPerMinute"] = "1000",
        });
        Anonymous = App.StartAndCreateClient();
        Admin = await TokenForAsync(AdminEmail);
        Alice = await AddAccountAsync("alice@lab.example", Roles.Researcher);
        Bob = await AddAccountAsync("bob@lab.example", Roles.Researcher);
        Viewer = await AddAccountAsync("victor@lab.example", Roles.Viewer);
    }

    public async Task<Account> AddAccountAsync(string email, string role)
    {
        var errors = await App.Services.GetRequiredService<UserAdministration>().CreateAsync(email, Password, role);
        Assert.Empty(errors);
        return await TokenForAsync(email);
    }

    async Task<Account> TokenForAsync(string email)
    {
        using var scope = App.Services.CreateScope();
        var user = await scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>().FindByEmailAsync(email);
        Assert.NotNull(user);
        var (_, secret) = await App.Services.GetRequiredService<PersonalTokens>().CreateAsync(user.Id, "tests");
        var client = new HttpClient { BaseAddress = App.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        return new Account(email, user.Id, secret, client);
    }

    /// <summary>A queued run created by <paramref name="owner"/> (or by nobody: from before accounts), not queued for any job.</summary>
    public async Task<long> AddRunAsync(Account? owner)
    {
        await using var db = await App.Services.GetRequiredService<IDbContextFactory<TempBalanceDbContext>>().CreateDbContextAsync();
        var run = Run.For(LifecycleHarness.Config(2), RunStatus.Queued, DateTime.UtcNow);
        run.CreatedByUserId = owner?.UserId;
        run.CreatedBy = owner?.Email;
        db.Runs.Add(run);
        await db.SaveChangesAsync();
        return run.Id;
    }

    /// <summary>A client that keeps cookies and does not follow redirects, as a browser's form posts are checked here.</summary>
    public HttpClient CreateBrowser() =>
        new(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() }) { BaseAddress = App.BaseAddress };

    /// <summary>GETs the sign-in page and POSTs its form with the page's antiforgery token, as a browser does.</summary>
    public static async Task<HttpResponseMessage> SignInAsync(HttpClient browser, string email, string password, string returnUrl = "/")
    {
        var page = await browser.GetStringAsync("/account/login");
        var token = AntiforgeryField().Match(page);
        Assert.True(token.Success, "The sign-in page has no antiforgery field.");
        return await browser.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token.Groups[1].Value),
            ["email"] = email,
            ["password"] = password,
            ["returnUrl"] = returnUrl,
        }));
    }

    [GeneratedRegex("""name="__RequestVerificationToken"[^>]*value="([^"]+)""")]
    private static partial Regex AntiforgeryField();

    public async Task DisposeAsync()
    {
        foreach (var account in new[] { Admin, Alice, Bob, Viewer }.Where(a => a is not null)) account.Client.Dispose();
        Anonymous.Dispose();
        await App.DisposeAsync();
        TempBalanceAppFactory.DeleteDataDirectory(_dataDirectory);
        Directory.Delete(_datasetRoot, recursive: true);
    }
}

/// <summary>The same app with a sign-in rate limit of <see cref="PerMinute"/> a minute.</summary>
public sealed class ThrottledAccountsApp() : LocalAccountsApp(PerMinute)
{
    public const int PerMinute = 3;
}
