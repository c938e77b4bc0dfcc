using Microsoft.Extensions.Options;
using TempBalance.Web;
using TempBalance.Web.Benchmarks;
using TempBalance.Web.Data;
using TempBalance.Web.Diagnoses;
using TempBalance.Web.Health;
using TempBalance.Web.Jobs;
using TempBalance.Web.Live;
using TempBalance.Web.Runs;

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
var role = NodeRoles.Of(builder.Configuration);
builder.AddTempBalanceDatabase();
builder.AddTrainingQueue(role);
builder.AddDiagnoses(role);
builder.Services.AddTempBalanceHealthChecks(role);
builder.AddLiveUpdates();
builder.Services.AddRunLifecycle();
if (role.ServesPages()) builder.AddPagesAndApi();
// No "Server: Kestrel": it tells an attacker what to look up.
builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
builder.Services.AddQuickStop();

WebApplication app;
try
{
    // Configuration, data folder and database are checked before anything uses them, so a fault is one clear
    // message and exit code 1, not a crash dump. (Building the host already reads the options.)
    app = builder.Build();
    if (args.Contains(RunsPageBenchmark.Flag))
    {
        app.Services.GetRequiredService<IStartupValidator>().Validate();
        await RunsPageBenchmark.RunAsync(app.Services, app.Services.GetRequiredService<DatabaseSettings>());
        return 0;
    }
    await app.PrepareAsync(role);
}
catch (Exception e) when (StartupChecks.Describe(e, builder.Configuration) is { } problem)
{
    await Console.Error.WriteLineAsync($"TempBalance cannot start: {problem}");
    return 1;
}

app.UseRefusalWhileStopping();
if (role.ServesPages()) app.UsePagesAndApi();
else app.MapTempBalanceHealth();

await app.RunAsync();
return 0;

public partial class Program;
