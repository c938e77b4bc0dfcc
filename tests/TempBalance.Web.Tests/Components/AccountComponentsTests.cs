using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MudBlazor.Services;
using TempBalance.Web.Auth;
using TempBalance.Web.Components.Account;
using TempBalance.Web.Components.Runs;
using TempBalance.Web.Runs;

namespace TempBalance.Web.Tests.Components;

public sealed class AccountComponentsTests : IAsyncLifetime
{
    readonly BunitContext _ctx = new();

    public AccountComponentsTests()
    {
        _ctx.JSInterop.Mode = JSRuntimeMode.Loose;
        _ctx.Services.AddMudServices();
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _ctx.DisposeAsync();

    [Fact]
    public void The_run_pages_audit_trail_lists_who_did_what_and_when()
    {
        var at = new DateTime(2026, 12, 1, 21, 5, 9, DateTimeKind.Utc);
        var cut = _ctx.Render<RunAuditTrail>(p => p.Add(c => c.Entries, new List<AuditEntryView>
        {
            new(at, "alice@lab.example", "created", "queued"),
            new(at.AddMinutes(2), "alice@lab.example", "edit", "tags: lr"),
            new(at.AddMinutes(3), "admin@lab.example", "cancel", "Queued -> Cancelled"),
            new(at.AddMinutes(4), "training-job", "finish", null),
        }));
        var rows = cut.FindAll("[data-testid='audit-entry']").Select(r => r.QuerySelectorAll("td").Select(td => td.TextContent.Trim()).ToArray()).ToList();
        Assert.Equal(4, rows.Count);
        Assert.Equal(["2026-12-01 21:05:09", "alice@lab.example", "created: queued"], rows[0]);
        Assert.Equal(["2026-12-01 21:08:09", "admin@lab.example", "cancel: Queued -> Cancelled"], rows[2]);
        Assert.Equal("finish", rows[3][2]);

        var empty = _ctx.Render<RunAuditTrail>(p => p.Add(c => c.Entries, new List<AuditEntryView>()));
        Assert.Empty(empty.FindAll("[data-testid='audit-entry']"));
        Assert.Contains("No changes recorded", empty.Find("[data-testid='audit-empty']").TextContent, StringComparison.Ordinal);
    }

    sealed class FixedAntiforgery : AntiforgeryStateProvider
    {
        public override AntiforgeryRequestToken GetAntiforgeryToken() => new("token-value", "__RequestVerificationToken");
    }

    [Fact]
    public void The_sign_in_form_posts_named_fields_with_the_antiforgery_token()
    {
        _ctx.Services.AddSingleton<AntiforgeryStateProvider, FixedAntiforgery>();
        _ctx.Services.AddSingleton(Options.Create(new AuthSettings { Mode = AuthMode.Local, LockoutDuration = TimeSpan.FromMinutes(20) }));
        var navigation = _ctx.Services.GetRequiredService<NavigationManager>();
        navigation.NavigateTo("/account/login?returnUrl=%2Fruns%2F5&error=locked&email=a%40lab.example");
        var cut = _ctx.Render<SignIn>();

        var form = cut.Find("form[data-testid='sign-in-form']");
        Assert.Equal("post", form.GetAttribute("method"));
        Assert.Equal("/account/login", form.GetAttribute("action"));
        Assert.Equal("token-value", form.QuerySelector("input[name='__RequestVerificationToken']")!.GetAttribute("value"));
        Assert.Equal("/runs/5", form.QuerySelector("input[name='returnUrl']")!.GetAttribute("value"));
        Assert.Equal("email", form.QuerySelector("input[name='email']")!.GetAttribute("type"));
        Assert.Equal("a@lab.example", form.QuerySelector("input[name='email']")!.GetAttribute("value"));
        Assert.Equal("password", form.QuerySelector("input[name='password']")!.GetAttribute("type"));
        Assert.NotNull(form.QuerySelector("input[name='rememberMe'][value='true']"));
        Assert.NotNull(form.QuerySelector("button[type='submit']"));
        Assert.Contains("locked for 20 minutes", cut.Find("[data-testid='sign-in-message']").TextContent, StringComparison.Ordinal);

        // An address on another site is not carried into the form.
        navigation.NavigateTo("/account/login?returnUrl=https%3A%2F%2Fevil.example%2F");
        var elsewhere = _ctx.Render<SignIn>();
        Assert.Equal("/", elsewhere.Find("input[name='returnUrl']").GetAttribute("value"));
    }
}
