using System.IO.Compression;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.AspNetCore.Rewrite;
using Microsoft.Extensions.Options;
using MudBlazor.Services;
using Scalar.AspNetCore;
using TempBalance.Web.Api;
using TempBalance.Web.Auth;
using TempBalance.Web.Components;
using TempBalance.Web.Health;
using TempBalance.Web.Jobs;
using TempBalance.Web.Live;
using TempBalance.Web.Runs;
using TempBalance.Web.Security;
using TempBalance.Web.Sweeps;

namespace TempBalance.Web;

/// <summary>What a node that serves people has (roles all and web): accounts, pages, the HTTP API, the hub and the job dashboard.</summary>
public static class PagesAndApi
{
    public static void AddPagesAndApi(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        builder.AddTempBalanceAuth();
        services.AddSingleton<RunService>();
        services.AddSingleton<SweepService>();
        services.ConfigureHttpJsonOptions(json => Data.RunJson.Configure(json.SerializerOptions));
        // Binding failures (page=abc, a body over the size limit) become exceptions that ApiExceptionHandler turns
        // into problem+json naming the parameter, instead of bare 400s.
        services.Configure<RouteHandlerOptions>(routes => routes.ThrowOnBadRequest = true);
        services.AddProblemDetails();
        services.AddExceptionHandler<ApiExceptionHandler>();
        services.AddRunCreationRateLimit();
        services.AddOpenApi();
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddMudServices();
        // The plotly bundles under lib/ (1.4 and 5.2 MB) are the app's own static files, which UseStaticFiles serves
        // as they are; compressed they are a third of that (gzip at its fastest level: about 0.1 s of CPU for the
        // larger, once per browser, which then revalidates with its ETag). Scripts only, and only under lib/.
        services.AddResponseCompression(compression =>
        {
            compression.EnableForHttps = true;
            compression.Providers.Add<BrotliCompressionProvider>();
            compression.Providers.Add<GzipCompressionProvider>();
            compression.MimeTypes = ["text/javascript", "application/javascript"];
        });
        services.Configure<BrotliCompressionProviderOptions>(brotli => brotli.Level = CompressionLevel.Fastest);
        services.Configure<GzipCompressionProviderOptions>(gzip => gzip.Level = CompressionLevel.Fastest);
    }

    public static void UsePagesAndApi(this WebApplication app)
    {
        var settings = app.Services.GetRequiredService<IOptions<TempBalanceWebOptions>>();
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
        // The sweep page's parallel coordinates load plotly's strict bundle from lib/plotly (wwwroot/js/plotly-full.js).
        app.UseRewriter(new RewriteOptions()
            .AddRewrite(@"^_content/Plotly\.Blazor/plotly-3\.7\.0\.min\.js$", "lib/plotly/plotly-cartesian-3.7.0.min.js", skipRemainingRules: true));
        // A page address that matches nothing gets the app's "not found" page (with its layout and links) instead of
        // the browser's bare error; API clients keep their plain 404s.
        app.UseWhen(context => !context.Request.Path.StartsWithSegments("/api"),
            branch => branch.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true));
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.UseWhen(context => context.Request.Path.StartsWithSegments("/lib"), lib => lib.UseResponseCompression());
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
    }
}
