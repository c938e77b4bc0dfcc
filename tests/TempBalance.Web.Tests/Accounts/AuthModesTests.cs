using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using TempBalance.Web.Auth;
using TempBalance.Web.Tests.Backend;

namespace TempBalance.Web.Tests.Accounts;

[Collection(TrainingCollection.Name)]
public sealed class AuthModesTests
{
    static AuthSettings Oidc(Action<OidcSettings>? change = null)
    {
        var settings = new AuthSettings
        {
            Mode = AuthMode.Oidc,
            Oidc = new OidcSettings { Authority = "https://id.lab.example/realms/lab", ClientId = "tempbalance", ClientSecret = "s3cret", RoleClaim = "groups" },
        };
        settings.Oidc.RoleMapping["lab-admins"] = "admin";
        settings.Oidc.RoleMapping["ml-team"] = "researcher";
        change?.Invoke(settings.Oidc);
        return settings;
    }

    [Theory]
    [InlineData("http://127.0.0.1:5000", true)]
    [InlineData("http://localhost:5000", true)]
    [InlineData("http://[::1]:5000", true)]
    [InlineData("http://0.0.0.0:5000", false)]
    [InlineData("http://*:8080", false)]
    [InlineData("http://+:8080", false)]
    [InlineData("http://[::]:5000", false)]
    [InlineData("https://lab-server.example:443", false)]
    [InlineData("http://192.168.1.20:5000", false)]
    public void Loopback_addresses_are_told_apart_from_open_ones(string url, bool loopback) =>
        Assert.Equal(loopback, ListenAddressGuard.IsLoopback(url));

    [Fact]
    public void Mode_none_is_refused_on_open_addresses_and_ports_with_the_setting_to_change()
    {
        IConfiguration Config(params (string Key, string Value)[] values) =>
            new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

        Assert.Null(ListenAddressGuard.Check(AuthMode.None, Config()));
        Assert.Null(ListenAddressGuard.Check(AuthMode.None, Config(("urls", "http://127.0.0.1:5000;http://localhost:5001"))));
        Assert.Null(ListenAddressGuard.Check(AuthMode.Local, Config(("urls", "http://0.0.0.0:5000"))));
        var message = ListenAddressGuard.Check(AuthMode.None, Config(("urls", "http://127.0.0.1:5000;http://0.0.0.0:5001")));
        Assert.NotNull(message);
        Assert.Contains("http://0.0.0.0:5001", message, StringComparison.Ordinal);
        Assert.DoesNotContain("127.0.0.1", message, StringComparison.Ordinal);
        Assert.Contains("TempBalance:Auth:Mode", message, StringComparison.Ordinal);
        Assert.Contains("http://*:8080", ListenAddressGuard.Check(AuthMode.None, Config(("http_ports", "8080"))), StringComparison.Ordinal);
        Assert.NotNull(ListenAddressGuard.Check(AuthMode.None, Config(("Kestrel:Endpoints:Open:Url", "http://10.0.0.5:80"))));
    }

    [Fact]
    public void Settings_are_checked_with_messages_naming_them()
    {
        var validation = new AuthSettingsValidation();
        Assert.True(validation.Validate(null, new AuthSettings()).Succeeded);
        Assert.True(validation.Validate(null, Oidc()).Succeeded);

        string Failures(AuthSettings settings) => string.Join(" | ", validation.Validate(null, settings).Failures ?? []);
        Assert.Contains("TempBalance:Auth:Oidc:Authority", Failures(Oidc(o => o.Authority = null)), StringComparison.Ordinal);
        Assert.Contains("RequireHttpsMetadata", Failures(Oidc(o => o.Authority = "http://id.lab.example")), StringComparison.Ordinal);
        Assert.True(validation.Validate(null, Oidc(o => { o.Authority = "http://id.lab.example"; o.RequireHttpsMetadata = false; })).Succeeded);
        Assert.Contains("TempBalance:Auth:Oidc:ClientId", Failures(Oidc(o => o.ClientId = " ")), StringComparison.Ordinal);
        Assert.Contains("TempBalance:Auth:Oidc:RoleMapping:x is 'owner'", Failures(Oidc(o => o.RoleMapping["x"] = "owner")), StringComparison.Ordinal);
        Assert.Contains("AdminPassword go together", Failures(new AuthSettings { Mode = AuthMode.Local, AdminEmail = "a@b.c" }), StringComparison.Ordinal);
        Assert.Contains("shorter than", Failures(new AuthSettings { Mode = AuthMode.Local, AdminEmail = "a@b.c", AdminPassword = "short" }), StringComparison.Ordinal);
        Assert.Contains("MinPasswordLength", Failures(new AuthSettings { MinPasswordLength = 4 }), StringComparison.Ordinal);
        Assert.Contains("SessionRevalidationInterval must be positive", Failures(new AuthSettings { SessionRevalidationInterval = TimeSpan.Zero }), StringComparison.Ordinal);
    }

    [Fact]
    public void Provider_roles_map_to_app_roles_and_the_admin_email_is_admin()
    {
        var settings = Oidc();
        settings.AdminEmail = "boss@lab.example";
        ClaimsPrincipal Person(string email, params string[] groups) =>
            new(new ClaimsIdentity([new Claim("sub", "1"), new Claim("email", email), .. groups.Select(g => new Claim("groups", g))], "oidc"));

        Assert.Equal([Roles.Researcher], OidcAccounts.MapRoles(Person("a@lab.example", "ml-team", "coffee-club"), settings).Order());
        Assert.Equal([Roles.Admin, Roles.Researcher], OidcAccounts.MapRoles(Person("a@lab.example", "ML-TEAM", "lab-admins"), settings).Order());
        Assert.Equal([Roles.Viewer], OidcAccounts.MapRoles(Person("a@lab.example", "viewer"), settings).Order());
        Assert.Empty(OidcAccounts.MapRoles(Person("a@lab.example", "coffee-club"), settings));
        Assert.Equal([Roles.Admin], OidcAccounts.MapRoles(Person("Boss@Lab.example"), settings).Order());
    }

    [Fact]
    public async Task Oidc_mode_registers_the_handler_with_the_configured_provider_and_makes_local_accounts()
    {
        var data = TempBalanceAppFactory.CreateDataDirectory();
        try
        {
            await using var app = new TempBalanceAppFactory(data, new Dictionary<string, string?>
            {
                ["TempBalance:Auth:Mode"] = "oidc",
                ["TempBalance:Auth:Oidc:Authority"] = "https://id.lab.example/realms/lab",
                ["TempBalance:Auth:Oidc:ClientId"] = "tempbalance",
                ["TempBalance:Auth:Oidc:ClientSecret"] = "s3cret",
                ["TempBalance:Auth:Oidc:DisplayName"] = "Lab SSO",
                ["TempBalance:Auth:Oidc:RoleClaim"] = "groups",
                ["TempBalance:Auth:Oidc:RoleMapping:lab-admins"] = "admin",
            });
            using var client = app.StartAndCreateClient();

            var scheme = await app.Services.GetRequiredService<IAuthenticationSchemeProvider>().GetSchemeAsync(AuthRegistration.OidcScheme);
            Assert.Equal(typeof(OpenIdConnectHandler), scheme!.HandlerType);
            var options = app.Services.GetRequiredService<IOptionsMonitor<OpenIdConnectOptions>>().Get(AuthRegistration.OidcScheme);
            Assert.Equal("https://id.lab.example/realms/lab", options.Authority);
            Assert.Equal("tempbalance", options.ClientId);
            Assert.Equal("s3cret", options.ClientSecret);
            Assert.Equal("code", options.ResponseType);
            Assert.True(options.UsePkce);
            Assert.Equal("groups", options.TokenValidationParameters.RoleClaimType);
            Assert.False(options.MapInboundClaims);
            Assert.Equal("/account/oidc-callback", options.CallbackPath.Value);
            Assert.Equal(IdentityConstants.ApplicationScheme, options.SignInScheme);

            // What the handler's token-validated event does with a provider's person: a local account with mapped roles.
            using (var scope = app.Services.CreateScope())
            {
                var accounts = scope.ServiceProvider.GetRequiredService<OidcAccounts>();
                var external = new ClaimsPrincipal(new ClaimsIdentity(
                    [new Claim("sub", "u-42"), new Claim("email", "dana@lab.example"), new Claim("groups", "lab-admins")], "oidc"));
                var local = await accounts.LocalPrincipalAsync(external);
                Assert.True(local.IsInRole(Roles.Admin));
                Assert.Equal("dana@lab.example", local.Identity!.Name);
                // Next sign-in without the group: the role goes.
                var again = await accounts.LocalPrincipalAsync(new ClaimsPrincipal(new ClaimsIdentity([new Claim("sub", "u-42"), new Claim("email", "dana@lab.example")], "oidc")));
                Assert.False(again.IsInRole(Roles.Admin));
                Assert.Equal(RunAccess.UserId(local), RunAccess.UserId(again));
            }

            // Pages send people to the sign-in page, which offers the provider; the API wants a token.
            using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = app.BaseAddress };
            Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync("/")).StatusCode);
            Assert.Contains("Sign in with Lab SSO", await browser.GetStringAsync("/account/login"), StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/api/runs")).StatusCode);
        }
        finally
        {
            TempBalanceAppFactory.DeleteDataDirectory(data);
        }
    }

    [Fact]
    public async Task Without_settings_local_mode_prints_a_one_time_set_up_link_that_creates_the_admin()
    {
        var data = TempBalanceAppFactory.CreateDataDirectory();
        try
        {
            await using var app = new TempBalanceAppFactory(data, new Dictionary<string, string?> { ["TempBalance:Auth:Mode"] = "local" });
            app.StartAndCreateClient().Dispose();
            var firstAdmin = app.Services.GetRequiredService<FirstAdmin>();
            var token = firstAdmin.SetupToken;
            Assert.NotNull(token);
            Assert.Equal(32, token.Length);

            using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new() }) { BaseAddress = app.BaseAddress };
            Assert.Contains("setup-closed", await browser.GetStringAsync("/account/setup?token=wrong"), StringComparison.Ordinal);
            var page = await browser.GetStringAsync($"/account/setup?token={token}");
            var antiforgery = System.Text.RegularExpressions.Regex.Match(page, """name="__RequestVerificationToken"[^>]*value="([^"]+)""").Groups[1].Value;
            using var created = await browser.PostAsync("/account/setup", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["__RequestVerificationToken"] = WebUtility.HtmlDecode(antiforgery),
                ["token"] = token,
                ["email"] = "first@lab.example",
                ["password"] = "first admin password",
            }));
            Assert.Equal("/account", created.Headers.Location!.OriginalString);
            Assert.Null(firstAdmin.SetupToken); // used once
            Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/hangfire")).StatusCode); // signed in as admin
        }
        finally
        {
            TempBalanceAppFactory.DeleteDataDirectory(data);
        }
    }

    [Fact]
    public async Task Mode_none_on_an_open_address_refuses_to_start_and_names_the_setting()
    {
        var data = TempBalanceAppFactory.CreateDataDirectory();
        try
        {
            var start = await AppProcess.RunAsync(data, extraArguments: ["--urls", "http://0.0.0.0:0"]);
            Assert.False(start.Listening, "the app served with auth mode none on 0.0.0.0");
            Assert.Equal(1, start.ExitCode);
            Assert.Contains("TempBalance:Auth:Mode is none", start.Errors, StringComparison.Ordinal);
            Assert.Contains("http://0.0.0.0:0", start.Errors, StringComparison.Ordinal);
            Assert.Contains("TempBalance__Auth__Mode=local", start.Errors, StringComparison.Ordinal);
        }
        finally
        {
            TempBalanceAppFactory.DeleteDataDirectory(data);
        }
    }
}
