using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using TempBalance.Web.Tests.Backend;
using TempBalance.Web.Tests.Browser;

namespace TempBalance.Web.Tests;

/// <summary>
/// The web app's own build output started the way scripts/start.sh starts it: a separate process in the
/// Production environment. The other web tests host the app in-process as Development, where package assets
/// are served differently; a page without MudBlazor's styles or blazor.web.js would pass them.
/// </summary>
public sealed partial class ProductionStartTests(ProductionApp app) : IClassFixture<ProductionApp>
{
    [Fact]
    public async Task Pages_reference_assets_that_the_production_app_serves()
    {
        var html = await app.Client.GetStringAsync("/");
        var assets = AssetReference().Matches(html).Select(m => m.Groups[1].Value).Distinct().ToList();
        // MudBlazor's files carry a content hash in their names (MudBlazor.min.<hash>.css).
        Assert.Contains(assets, a => a.StartsWith("_content/MudBlazor/MudBlazor.min.", StringComparison.Ordinal) && a.EndsWith(".css", StringComparison.Ordinal));
        Assert.Contains(assets, a => a.StartsWith("_content/MudBlazor/MudBlazor.min.", StringComparison.Ordinal) && a.EndsWith(".js", StringComparison.Ordinal));
        Assert.Contains("_framework/blazor.web.js", assets);
        Assert.Contains("js/plotly-preload.js", assets);
        Assert.Contains("favicon.svg", assets);
        Assert.Contains("favicon.ico", assets);
        foreach (var asset in assets.Append("_content/Plotly.Blazor/plotly-interop-7.2.0.js"))
        {
            using var response = await app.Client.GetAsync(asset);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET /{asset} answered {(int)response.StatusCode}");
            Assert.True((await response.Content.ReadAsByteArrayAsync()).Length > 100, $"/{asset} is empty");
        }
    }

    [Fact]
    public async Task The_favicon_is_served_where_browsers_ask_for_it_unprompted()
    {
        // Pages without the app's <link rel="icon"> (Hangfire's dashboard, the API reference) make browsers ask /favicon.ico.
        using var response = await app.Client.GetAsync("/favicon.ico");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var icon = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(new byte[] { 0, 0, 1, 0 }, icon[..4]); // the ICO header
        using var svg = await app.Client.GetAsync("/favicon.svg");
        Assert.Equal("image/svg+xml", svg.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Plotly_blazor_gets_the_cartesian_bundle_of_its_own_plotly_version()
    {
        using var response = await app.Client.GetAsync("_content/Plotly.Blazor/plotly-3.7.0.min.js");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var script = await response.Content.ReadAsStringAsync();
        Assert.StartsWith("/**\n* plotly.js (cartesian - minified) v3.7.0", script, StringComparison.Ordinal);
        Assert.InRange(script.Length, 1_000_000, 2_000_000);
        // The preload script loads the same URL through the same interop module the charts use.
        var preload = await app.Client.GetStringAsync("js/plotly-preload.js");
        Assert.Contains("'./_content/Plotly.Blazor/plotly-3.7.0.min.js'", preload, StringComparison.Ordinal);
        Assert.Contains("'./_content/Plotly.Blazor/plotly-interop-7.2.0.js'", preload, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_and_openapi_answer()
    {
        Assert.Equal("Healthy", await app.Client.GetStringAsync("/health"));
        using var openApi = await app.Client.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, openApi.StatusCode);
    }

    // Stylesheets and scripts: <link ... href="..."> and <script ... src="...">.
    [GeneratedRegex(@"(?:<link[^>]*\shref|<script[^>]*\ssrc)=""([^""]+)""")]
    private static partial Regex AssetReference();
}

/// <summary>One Production process for all of <see cref="ProductionStartTests"/>, started from the web project's build output.</summary>
public sealed class ProductionApp : IAsyncLifetime
{
    AppProcess? _app;

    public HttpClient Client => _app!.Client;

    public async Task InitializeAsync() => _app = await AppProcess.StartAsync();

    public async Task DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
    }
}

/// <summary>
/// The web app as scripts/start.sh runs it: `dotnet TempBalance.Web.dll` from the web project's build output, in
/// the Production environment, on a free loopback port and a data directory of its own (deleted afterwards).
/// </summary>
public sealed partial class AppProcess : IAsyncDisposable
{
    readonly string _dataDirectory;
    readonly bool _ownsDataDirectory;
    readonly StringBuilder _errors = new();
    readonly StringBuilder _output = new();

    AppProcess(Process process, string dataDirectory, bool ownsDataDirectory)
    {
        Process = process;
        _dataDirectory = dataDirectory;
        _ownsDataDirectory = ownsDataDirectory;
    }

    public Process Process { get; }

    public HttpClient Client { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>The app's log (standard output) since it began serving, for assertion messages.</summary>
    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    /// <summary>What the app wrote to its standard error so far (for assertion messages).</summary>
    public string Errors
    {
        get { lock (_errors) return _errors.ToString(); }
    }

    /// <summary>
    /// Starts the app and returns once it serves: Kestrel has logged its port and <paramref name="readyPath"/>
    /// answers "Healthy". With <paramref name="dataDirectory"/> (shared by several processes) the caller deletes it.
    /// </summary>
    public static async Task<AppProcess> StartAsync(IEnumerable<string>? extraArguments = null, string? dataDirectory = null, string readyPath = "/health")
    {
        // This test assembly runs from tests/TempBalance.Web.Tests/bin/<Configuration>/net10.0/; the web project
        // was built to src/TempBalance.Web/bin/<Configuration>/net10.0/ with the same configuration.
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = output.Parent!.Name;
        var dll = Path.Combine(BrowserFixture.RepositoryRoot(), "src", "TempBalance.Web", "bin", configuration, output.Name, "TempBalance.Web.dll");
        Assert.True(File.Exists(dll), $"The web app's build output is missing: {dll}");

        bool owns = dataDirectory is null;
        dataDirectory ??= TempBalanceAppFactory.CreateDataDirectory();
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { dll, "--urls", "http://127.0.0.1:0", $"--TempBalance:DataDirectory={dataDirectory}" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = dataDirectory,
        };
        foreach (var argument in extraArguments ?? []) start.ArgumentList.Add(argument);
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        var app = new AppProcess(Process.Start(start)!, dataDirectory, owns);
        await app.WaitUntilServingAsync(readyPath);
        return app;
    }

    async Task WaitUntilServingAsync(string readyPath)
    {
        Process.ErrorDataReceived += (_, e) => { lock (_errors) _errors.AppendLine(e.Data); };
        Process.BeginErrorReadLine();

        // Kestrel logs the port it bound; the app is serving once it has.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        while (await Process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            if (ListeningOn().Match(line) is { Success: true } match)
            {
                Client.BaseAddress = new Uri(match.Groups[1].Value);
                break;
            }
        }
        Assert.True(Client.BaseAddress is not null, $"The app did not start: {Errors}");
        // Keep draining its log, so the app never blocks on a full pipe.
        _ = Task.Run(async () =>
        {
            while (await Process.StandardOutput.ReadLineAsync() is { } line)
                lock (_output) _output.AppendLine(line);
        });
        while (true)
        {
            try
            {
                if (await Client.GetStringAsync(readyPath, timeout.Token) == "Healthy") return;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100, timeout.Token);
        }
    }

    /// <summary>Sends SIGTERM, as `docker stop`, systemd and Ctrl+C in a terminal do, and returns how long the app took to exit.</summary>
    public async Task<TimeSpan> TerminateAsync(TimeSpan patience)
    {
        var clock = Stopwatch.StartNew();
        using (var kill = Process.Start("kill", ["-TERM", Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            await kill.WaitForExitAsync();
        using var timeout = new CancellationTokenSource(patience);
        try
        {
            await Process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
        }
        return clock.Elapsed;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
            await Process.WaitForExitAsync();
        }
        Process.Dispose();
        if (_ownsDataDirectory) TempBalanceAppFactory.DeleteDataDirectory(_dataDirectory);
    }

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex ListeningOn();
}
