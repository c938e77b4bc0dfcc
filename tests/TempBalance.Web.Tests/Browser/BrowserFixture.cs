using System.Diagnostics;
using Microsoft.Playwright;
using TempBalance.Web.Tests.Backend;

namespace TempBalance.Web.Tests.Browser;

/// <summary>
/// The app on a real Kestrel socket (Blazor Server needs its WebSocket) with its own data directory, and
/// Debian's Chromium driven by Playwright.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public static readonly string[] ChromiumArgs =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    readonly string _dataDirectory = TempBalanceAppFactory.CreateDataDirectory();
    IPlaywright? _playwright;

    public TempBalanceAppFactory Factory { get; private set; } = default!;
    public IBrowser Browser { get; private set; } = default!;
    public string BaseUrl { get; private set; } = "";
    public IServiceProvider Services => Factory.Services;

    public async Task InitializeAsync()
    {
        Factory = new TempBalanceAppFactory(_dataDirectory);
        Factory.StartAndCreateClient().Dispose();
        BaseUrl = Factory.BaseAddress.ToString().TrimEnd('/');

        // Training shares the test machine's cores with the server and the browser: allow for slow UI answers.
        Assertions.SetDefaultExpectTimeout(20_000);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ChromiumArgs,
        });
    }

    public async Task<IPage> NewPageAsync(int width = 1280, int height = 900, bool dark = false)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseUrl,
            ViewportSize = new ViewportSize { Width = width, Height = height },
            ColorScheme = dark ? ColorScheme.Dark : ColorScheme.Light,
        });
        return await context.NewPageAsync();
    }

    public async Task DisposeAsync()
    {
        // Pages first: an open Blazor circuit keeps the host from stopping.
        if (Browser is not null)
        {
            foreach (var context in Browser.Contexts.ToList()) await context.CloseAsync();
            await Browser.CloseAsync();
        }
        _playwright?.Dispose();
        // Stopping the host is not what these tests test (Backend/RestartTests do), but it must not hang them.
        // Under load, Hangfire's hosted service sometimes keeps waiting for its own shutdown after its server
        // has logged "stopped" (Hangfire 1.8.25, BackgroundProcessingServer.WaitForShutdownAsync), until the
        // host's shutdown timeout cancels the wait; it is reported here rather than failing the test class.
        var stopping = Stopwatch.StartNew();
        try
        {
            if (Factory is not null) await Factory.DisposeAsync();
        }
        // With two Hangfire servers (training and diagnosis queues) both waits can be cut off: the host then throws
        // their cancellations together.
        catch (Exception e) when (e is OperationCanceledException
                                  || e is AggregateException all && all.Flatten().InnerExceptions.All(i => i is OperationCanceledException))
        {
            Console.Error.WriteLine($"warning: the app's graceful stop was cut off by its shutdown timeout after {stopping.Elapsed.TotalSeconds:0} s.");
        }
        TempBalanceAppFactory.DeleteDataDirectory(_dataDirectory);
    }

    /// <summary>
    /// Where a screenshot goes: artifacts/screenshots/ (ignored by git), or docs/screenshots/, the pictures
    /// the README shows, when TEMPBALANCE_UPDATE_SCREENSHOTS=1, so a test run never changes tracked files.
    /// </summary>
    public static string ScreenshotPath(string name) =>
        Path.Combine(RepositoryFolder(Environment.GetEnvironmentVariable("TEMPBALANCE_UPDATE_SCREENSHOTS") == "1"
            ? Path.Combine("docs", "screenshots")
            : Path.Combine("artifacts", "screenshots")), name);

    /// <summary>A folder (created if needed) under the repository this test runs from.</summary>
    public static string RepositoryFolder(string relative)
    {
        var folder = Path.Combine(RepositoryRoot(), relative);
        Directory.CreateDirectory(folder);
        return folder;
    }

    /// <summary>The repository this test runs from (the folder that holds TempBalance.Web.sln).</summary>
    public static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "TempBalance.Web.sln"))) dir = dir.Parent;
        return dir?.FullName ?? AppContext.BaseDirectory;
    }
}
