using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using TempBalance.Web.Tests.Backend;

namespace TempBalance.Web.Tests.Browser;

/// <summary>The app in auth mode local with its admin from settings, and Chromium.</summary>
public sealed class LocalModeBrowserFixture : IAsyncLifetime
{
    public const string AdminEmail = "admin@lab.example";
    public const string AdminPassword = "browser admin password";

    readonly string _dataDirectory = TempBalanceAppFactory.CreateDataDirectory();
    IPlaywright? _playwright;

    public TempBalanceAppFactory Factory { get; private set; } = default!;
    public IBrowser Browser { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        Factory = new TempBalanceAppFactory(_dataDirectory, new Dictionary<string, string?>
        {
            ["TempBalance:Auth:Mode"] = "local",
            ["TempBalance:Auth:AdminEmail"] = AdminEmail,
            ["TempBalance:Auth:AdminPassword"] = AdminPassword,
            // An open page notices a changed account within a second (the default is a minute).
            ["TempBalance:Auth:SessionRevalidationInterval"] = "00:00:01",
        });
        Factory.StartAndCreateClient().Dispose();
        Assertions.SetDefaultExpectTimeout(20_000);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = BrowserFixture.ChromiumArgs,
        });
    }

    public async Task<IPage> NewPageAsync(int width = 1440, int height = 900, bool dark = false)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Factory.BaseAddress.ToString().TrimEnd('/'),
            ViewportSize = new ViewportSize { Width = width, Height = height },
            ColorScheme = dark ? ColorScheme.Dark : ColorScheme.Light,
        });
        return await context.NewPageAsync();
    }

    /// <summary>A local account with one role, made as an admin would; returns its id.</summary>
    public async Task<string> CreateAccountAsync(string email, string password, string role)
    {
        using var scope = Factory.Services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<Microsoft.AspNetCore.Identity.IdentityUser>>();
        var user = new Microsoft.AspNetCore.Identity.IdentityUser { UserName = email, Email = email };
        Assert.True((await users.CreateAsync(user, password)).Succeeded);
        Assert.True((await users.AddToRoleAsync(user, role)).Succeeded);
        return user.Id;
    }

    /// <summary>Opens the sign-in page, to come back to <paramref name="returnPath"/>, and signs in.</summary>
    public static async Task SignInAsync(IPage page, string email, string password, string returnPath)
    {
        await page.GotoAsync($"/account/login?returnUrl={Uri.EscapeDataString(returnPath)}");
        await SubmitSignInAsync(page, email, password);
    }

    /// <summary>Fills in the sign-in form the page shows and posts it.</summary>
    public static async Task SubmitSignInAsync(IPage page, string email, string password)
    {
        await page.Locator("input[name='email']").FillAsync(email);
        await page.Locator("input[name='password']").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            foreach (var context in Browser.Contexts.ToList()) await context.CloseAsync();
            await Browser.CloseAsync();
        }
        _playwright?.Dispose();
        try
        {
            if (Factory is not null) await Factory.DisposeAsync();
        }
        catch (Exception e) when (e is OperationCanceledException
                                  || e is AggregateException all && all.Flatten().InnerExceptions.All(i => i is OperationCanceledException))
        {
            Console.Error.WriteLine("warning: the app's graceful stop was cut off by its shutdown timeout.");
        }
        TempBalanceAppFactory.DeleteDataDirectory(_dataDirectory);
    }
}

[Trait("Category", "Browser")]
[Collection("Browser")]
public sealed class AccountsBrowserTests(LocalModeBrowserFixture app) : IClassFixture<LocalModeBrowserFixture>
{
    [Fact]
    public async Task A_person_signs_in_sees_the_runs_creates_a_token_and_signs_out()
    {
        var phone = await app.NewPageAsync(390, 844, dark: true);
        await phone.GotoAsync("/account/login");
        await Assertions.Expect(phone.GetByRole(AriaRole.Button, new() { Name = "Sign in" })).ToBeVisibleAsync();
        // The page has no circuit, yet it follows the browser's dark scheme (CSS alone).
        Assert.True(await BrowserSteps.BackgroundBrightnessAsync(phone) < 100, "the sign-in page is light in a browser set to dark");
        await BrowserSteps.Shot(phone, "sign-in-phone-dark.png");
        // Light chosen in the app (kept in the browser) wins over the browser's scheme here too.
        await phone.EvaluateAsync("() => localStorage.setItem('tempbalance.theme', 'Light')");
        await phone.ReloadAsync();
        await Assertions.Expect(phone.GetByRole(AriaRole.Button, new() { Name = "Sign in" })).ToBeVisibleAsync();
        Assert.True(await BrowserSteps.BackgroundBrightnessAsync(phone) > 200, "the sign-in page is dark for a person who chose Light in the app");
        await phone.Context.CloseAsync();

        var page = await app.NewPageAsync();
        try
        {
            // A page asked for before signing in is where the sign-in leads.
            await page.GotoAsync("/queue");
            await BrowserSteps.WaitForPath(page, "/account/login");
            await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign in" })).ToBeVisibleAsync();
            Assert.True(await BrowserSteps.BackgroundBrightnessAsync(page) > 200, "the sign-in page is dark in a browser set to light");
            await BrowserSteps.Shot(page, "sign-in.png");

            await LocalModeBrowserFixture.SubmitSignInAsync(page, LocalModeBrowserFixture.AdminEmail, "not the password");
            await Assertions.Expect(page.GetByTestId("sign-in-message")).ToContainTextAsync("wrong");

            await LocalModeBrowserFixture.SubmitSignInAsync(page, LocalModeBrowserFixture.AdminEmail, LocalModeBrowserFixture.AdminPassword);
            await BrowserSteps.WaitForPath(page, "/queue");
            await page.Locator("[data-interactive='true']").WaitForAsync();
            await page.GotoAsync("/");
            await page.Locator("[data-interactive='true']").WaitForAsync();
            await Assertions.Expect(page.GetByTestId("empty-history")).ToBeVisibleAsync();
            await Assertions.Expect(page.GetByTestId("account-button")).ToBeVisibleAsync();

            await page.GetByTestId("account-button").ClickAsync();
            await BrowserSteps.WaitForPath(page, "/account");
            await Assertions.Expect(page.GetByTestId("account-name")).ToHaveTextAsync(LocalModeBrowserFixture.AdminEmail);
            await Assertions.Expect(page.GetByTestId("account-roles")).ToContainTextAsync("admin");
            var tokenName = page.Locator("[data-testid='token-name'] input, input[data-testid='token-name']").First;
            // One line high (a flex basis on the field once made it 320 px tall).
            var tokenField = page.Locator(".mud-input-control", new() { Has = tokenName }).Last;
            Assert.True((await tokenField.BoundingBoxAsync())!.Height < 80, "the token name field is taller than one line");
            await tokenName.FillAsync("laptop notebook");
            await page.GetByTestId("token-create").ClickAsync();
            var secret = (await page.GetByTestId("token-secret").TextContentAsync())!.Trim();
            Assert.StartsWith("tbp_", secret, StringComparison.Ordinal);
            await Assertions.Expect(page.GetByTestId("token-table")).ToContainTextAsync("laptop notebook");
            await BrowserSteps.Shot(page, "account.png");

            using (var client = new HttpClient { BaseAddress = app.Factory.BaseAddress })
            {
                client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
                Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/runs")).StatusCode);
            }

            await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
            await BrowserSteps.WaitForPath(page, "/account/login");
            await Assertions.Expect(page.GetByTestId("sign-in-message")).ToContainTextAsync("signed out");
            await page.GotoAsync("/");
            await BrowserSteps.WaitForPath(page, "/account/login");
        }
        catch
        {
            await BrowserSteps.ShotOfFailure(page, "accounts-failure.png");
            throw;
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}

[Trait("Category", "Browser")]
[Collection("Browser")]
public sealed class ChangePasswordBrowserTests(LocalModeBrowserFixture app) : IClassFixture<LocalModeBrowserFixture>
{
    const string Email = "researcher@lab.example";
    const string OldPassword = "first password of hers";
    const string NewPassword = "second password, longer";

    [Fact]
    public async Task A_person_changes_her_password_then_signs_in_with_the_new_one_and_not_the_old()
    {
        await app.CreateAccountAsync(Email, OldPassword, Web.Auth.Roles.Researcher);
        var page = await app.NewPageAsync();
        try
        {
            await SignInAsync(page, OldPassword);
            await BrowserSteps.WaitForPath(page, "/account");
            // The account page links to it; the page itself is a plain form (no circuit), so open it as a browser does a link out of the app.
            await Assertions.Expect(page.GetByTestId("change-password")).ToHaveAttributeAsync("href", "/account/password");
            await page.GotoAsync("/account/password");
            await page.Locator("input[name='confirmPassword']").WaitForAsync();

            // A wrong current password and a repetition that differs change nothing.
            await FillAsync(page, "not her password", NewPassword, NewPassword);
            await Assertions.Expect(page.GetByTestId("password-message")).ToHaveTextAsync("The current password is wrong.");
            await FillAsync(page, OldPassword, NewPassword, NewPassword + "!");
            await Assertions.Expect(page.GetByTestId("password-message")).ToHaveTextAsync("The new password and its repetition differ.");
            await FillAsync(page, OldPassword, "short", "short");
            await Assertions.Expect(page.GetByTestId("password-message")).ToContainTextAsync("at least 10 characters");

            await FillAsync(page, OldPassword, NewPassword, NewPassword);
            await Assertions.Expect(page.GetByTestId("password-message")).ToContainTextAsync("Your password was changed.");
            await BrowserSteps.Shot(page, "change-password.png");
            // Still signed in here with the refreshed cookie.
            await page.GotoAsync("/account");
            await Assertions.Expect(page.GetByTestId("account-name")).ToHaveTextAsync(Email);
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
            await BrowserSteps.WaitForPath(page, "/account/login");

            await SignInAsync(page, OldPassword);
            await Assertions.Expect(page.GetByTestId("sign-in-message")).ToContainTextAsync("wrong");
            await SignInAsync(page, NewPassword);
            await BrowserSteps.WaitForPath(page, "/account");
            await Assertions.Expect(page.GetByTestId("account-name")).ToHaveTextAsync(Email);
        }
        catch
        {
            await BrowserSteps.ShotOfFailure(page, "change-password-failure.png");
            throw;
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    static Task SignInAsync(IPage page, string password) => LocalModeBrowserFixture.SignInAsync(page, Email, password, "/account");

    static async Task FillAsync(IPage page, string current, string next, string again)
    {
        await page.Locator("input[name='currentPassword']").FillAsync(current);
        await page.Locator("input[name='newPassword']").FillAsync(next);
        await page.Locator("input[name='confirmPassword']").FillAsync(again);
        await page.GetByRole(AriaRole.Button, new() { Name = "Change password" }).ClickAsync();
        await page.WaitForURLAsync(new Regex(@"/account/password\?"));
    }
}

[Trait("Category", "Browser")]
[Collection("Browser")]
public sealed class RoleChangeBrowserTests(LocalModeBrowserFixture app) : IClassFixture<LocalModeBrowserFixture>
{
    const string Email = "demoted@lab.example";
    const string Password = "a researcher for now";

    [Fact]
    public async Task An_open_page_of_a_researcher_made_viewer_is_signed_out_and_signs_in_again_as_a_viewer()
    {
        await app.CreateAccountAsync(Email, Password, Web.Auth.Roles.Researcher);
        var page = await app.NewPageAsync();
        try
        {
            await LocalModeBrowserFixture.SignInAsync(page, Email, Password, "/queue");
            await BrowserSteps.WaitForPath(page, "/queue");
            await page.Locator("[data-interactive='true']").WaitForAsync();
            var newRun = page.GetByRole(AriaRole.Toolbar).Locator("a[href='/runs/new']");
            await Assertions.Expect(newRun).ToBeVisibleAsync(); // the app bar's New run

            // An admin makes her a viewer on the users page while her page is open: her page goes to the sign-in page
            // and says why.
            var admin = await app.NewPageAsync();
            try
            {
                await LocalModeBrowserFixture.SignInAsync(admin, LocalModeBrowserFixture.AdminEmail, LocalModeBrowserFixture.AdminPassword, "/admin/users");
                await BrowserSteps.WaitForPath(admin, "/admin/users");
                await admin.Locator("[data-interactive='true']").WaitForAsync();
                await admin.GetByTestId($"role-{Email}").ClickAsync();
                await admin.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasText = Web.Auth.Roles.Viewer }).First.ClickAsync();
                await Assertions.Expect(admin.Locator(".mud-popover-open .mud-list-item")).ToHaveCountAsync(0);
                await BrowserSteps.Shot(admin, "users.png");
            }
            finally
            {
                await admin.Context.CloseAsync();
            }
            await page.WaitForURLAsync(new Regex(@"/account/login\?sessionEnded=true"), new() { Timeout = 20_000 });
            await Assertions.Expect(page.GetByTestId("sign-in-message")).ToContainTextAsync("Sign in again");
            await BrowserSteps.Shot(page, "session-ended.png");

            // Signed in again, she has the viewer's rights: no New run, and the page she was on is where she lands.
            await LocalModeBrowserFixture.SubmitSignInAsync(page, Email, Password);
            await BrowserSteps.WaitForPath(page, "/queue");
            await page.Locator("[data-interactive='true']").WaitForAsync();
            await Assertions.Expect(page.GetByTestId("account-button")).ToBeVisibleAsync();
            await Assertions.Expect(newRun).ToHaveCountAsync(0);
        }
        catch
        {
            await BrowserSteps.ShotOfFailure(page, "role-change-failure.png");
            throw;
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
