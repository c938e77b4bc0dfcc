using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Rewrite;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using MudBlazor.Services;
using Scalar.AspNetCore;
using TempBalance.Web;
using TempBalance.Web.Api;
using TempBalance.Web.Auth;
using TempBalance.Web.Benchmarks;
using TempBalance.Web.Components;
using TempBalance.Web.Data;
using TempBalance.Web.Diagnoses;
using TempBalance.Web.Health;
using TempBalance.Web.Jobs;
using TempBalance.Web.Live;
using TempBalance.Web.Runs;
using TempBalance.Web.Sweeps;
using TempBalance.Web.Security;

// Content root is the output folder: it holds the repository's appsettings.json and wwwroot/ (see the .csproj).
var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    ContentRootPath = AppContext.BaseDirectory,
});
// Package assets (MudBlazor, Plotly, blazor.web.js) come from the build output's static web assets manifest
// in every environment, so `scripts/start.sh` serves a styled app from a Release build; a publish output has
// no manifest and serves them from its wwwroot instead.
builder.WebHost.UseStaticWebAssets();

if (args.Contains(RunsPageBenchmark.Flag))
    builder.Configuration[$"{TempBalanceWebOptions.Section}:{nameof(TempBalanceWebOptions.DataDirectory)}"] = RunsPageBenchmark.CreateDataDirectory();

builder.Services.AddOptions<TempBalanceWebOptions>().Bind(builder.Configuration.GetSection(TempBalanceWebOptions.Section)).ValidateOnStart();
builder.Services.AddSingleton<IValidateOptions<TempBalanceWebOptions>, TempBalanceWebOptionsValidation>();
builder.AddTempBalanceDatabase();
builder.AddTrainingQueue();
builder.AddDiagnoses();
builder.Services.AddTempBalanceHealthChecks();
builder.AddTempBalanceAuth();
// No "Server: Kestrel": it tells an attacker what to look up.
builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);

builder.Services.TryAddSingleton(TimeProvider.System);
builder.Services.AddSingleton<TrainingUpdates>();
builder.Services.AddSingleton<RunCancellations>();
builder.Services.AddSingleton<UserMessageCleaner>();
builder.Services.AddSingleton<RunLifecycle>();
builder.Services.AddSingleton<RunService>();
builder.Services.AddSingleton<SweepService>();
builder.Services.AddSignalR().AddJsonProtocol(json => RunJson.Configure(json.PayloadSerializerOptions));
builder.Services.AddHostedService<TrainingHubBroadcaster>();

builder.Services.ConfigureHttpJsonOptions(json => RunJson.Configure(json.SerializerOptions));
// Binding failures (page=abc, a body over the size limit) become exceptions that ApiExceptionHandler turns
// into problem+json naming the parameter, instead of bare 400s.
builder.Services.Configure<RouteHandlerOptions>(routes => routes.ThrowOnBadRequest = true);
builder.Services.AddProblemDetails();
builder.Services.AddExceptionHandler<ApiExceptionHandler>();
builder.Services.AddRunCreationRateLimit();
builder.Services.AddOpenApi();
builder.Services.AddRazorComponents().AddInteractiveServerComponents();
builder.Services.AddMudServices();
builder.Services.AddQuickStop();

WebApplication app;
try
{
    // Configuration, data folder and database are checked before anything uses them, so a fault is one clear
    // message and exit code 1, not a crash dump. (Building the host already reads the options.)
    app = builder.Build();
    app.Services.GetRequiredService<IStartupValidator>().Validate();
    if (ListenAddressGuard.Check(app.Services.GetRequiredService<IOptions<AuthSettings>>().Value.Mode, app.Configuration) is { } openWithoutAccounts)
        throw new StartupException(openWithoutAccounts);
    StartupChecks.EnsureDataFolderWritable(app.Services.GetRequiredService<IOptions<TempBalanceWebOptions>>().Value.DataDirectoryPath);
    var database = app.Services.GetRequiredService<DatabaseSettings>();
    if (args.Contains(RunsPageBenchmark.Flag))
    {
        await RunsPageBenchmark.RunAsync(app.Services, database);
        return 0;
    }

    await database.MigrateAsync(app.Logger);
    await HyperparameterBackfill.RunAsync(app.Services.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<TempBalanceDbContext>>());
    await app.Services.GetRequiredService<FirstAdmin>().EnsureAsync();
    await app.Services.GetRequiredService<RunLifecycle>().RecoverAsync();
    await app.Services.GetRequiredService<DiagnosisService>().RecoverAsync();
    // The first runs-list query pays for EF's query compilation (~0.5 s); pay it here, not on the first page view.
    await app.Services.GetRequiredService<RunService>().ListAsync(new RunQuery());
}
catch (Exception e) when (StartupChecks.Describe(e, builder.Configuration) is { } problem)
{
    await Console.Error.WriteLineAsync($"TempBalance cannot start: {problem}");
    return 1;
}

var settings = app.Services.GetRequiredService<IOptions<TempBalanceWebOptions>>();

app.UseRefusalWhileStopping();
app.UseTempBalanceForwardedHeaders();
app.UseMiddleware<SecurityHeaders>();
// API errors are problem+json in every environment: exceptions (ApiExceptionHandler) and bodiless status codes
// (an unknown path, a wrong method). The body size limit is the API's own, much lower than Kestrel's 30 MB.
app.UseWhen(context => context.Request.Path.StartsWithSegments("/api"), api =>
{
    api.UseExceptionHandler();
    api.UseStatusCodePages();
    api.Use((context, next) =>
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            size.MaxRequestBodySize = DiagnosesApi.IsUpload(context.Request)
                ? settings.Value.Diagnosis.MaxUploadBytes + DiagnosesApi.FormOverheadBytes
                : settings.Value.Limits.MaxRequestBodyBytes;
        return next(context);
    });
});
if (!app.Environment.IsDevelopment())
{
    app.UseExceptionHandler("/Error", createScopeForErrors: true);
}
app.UseMiddleware<CrossSiteRequestGuard>();
// Plotly.Blazor loads plotly.js from a fixed URL; serve it the cartesian partial bundle of the same plotly.js
// version instead (1.4 MB, not 4.8): it holds every trace type the charts draw (scatter, heatmap), and the
// browser evaluates it in a third of the time. Routing comes after the rewrite so the new path is matched.
// The sweep page's parallel coordinates need the full bundle (4.8 MB); it gets it under a name of its own, which the
// first rule has already passed by.
app.UseRewriter(new RewriteOptions()
    .AddRewrite(@"^_content/Plotly\.Blazor/plotly-3\.7\.0\.min\.js$", "lib/plotly/plotly-cartesian-3.7.0.min.js", skipRemainingRules: true)
    .AddRewrite(@"^lib/plotly/plotly-full-3\.7\.0\.min\.js$", "_content/Plotly.Blazor/plotly-3.7.0.min.js", skipRemainingRules: true));
// A page address that matches nothing gets the app's "not found" page (with its layout and links) instead of
// the browser's bare error; API clients keep their plain 404s.
app.UseWhen(context => !context.Request.Path.StartsWithSegments("/api"),
    branch => branch.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true));
app.UseRouting();
app.UseAuthentication();
app.UseAuthorization();
app.UseRateLimiter();
app.UseStaticFiles();
app.UseAntiforgery();
app.MapStaticAssets();
app.MapTempBalanceHealth();
app.MapOpenApi();
// A self-hosted lab, often offline: no telemetry, no web fonts, and none of Scalar's cloud tools (AI agent,
// SDK generation, deploy and share buttons), only the reference and its test requests to this server.
app.MapScalarApiReference(scalar => scalar
    .WithTitle("TempBalance HTTP API")
    .DisableTelemetry()
    .DisableDefaultFonts()
    .DisableAgent()
    .DisableMcp()
    .HideDeveloperTools());
app.MapRunsApi();
app.MapSweepsApi();
app.MapDiagnosesApi();
app.MapAccountEndpoints();
app.MapHub<TrainingHub>("/hubs/training").RequireAuthorization(Roles.CanRead);
app.MapTrainingQueueDashboard();
// SecurityHeaders sends the whole Content-Security-Policy, frame-ancestors included.
// Every page needs the viewer role (with accounts): the sign-in, set-up and access-denied pages say [AllowAnonymous].
app.MapRazorComponents<App>().AddInteractiveServerRenderMode(server => server.ContentSecurityFrameAncestorsPolicy = null)
    .RequireAuthorization(Roles.CanRead);
app.Lifetime.ApplicationStarted.Register(() =>
    app.Services.GetRequiredService<FirstAdmin>().LogSetupLink(app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()));

await app.RunAsync();
return 0;

public partial class Program;
