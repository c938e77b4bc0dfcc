using System.Net;
using System.Text.RegularExpressions;

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
    public async Task Plotly_blazor_gets_the_cartesian_bundle_and_the_sweep_page_the_strict_bundle_of_its_own_plotly_version()
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
        // The sweep page's bundle: plotly's strict one of the same version (the full one needs 'unsafe-eval').
        var sweepLoader = await app.Client.GetStringAsync("js/plotly-full.js");
        Assert.Contains("'./lib/plotly/plotly-strict-3.7.0.min.js'", sweepLoader, StringComparison.Ordinal);
        using var strict = await app.Client.GetAsync("lib/plotly/plotly-strict-3.7.0.min.js");
        Assert.Equal(HttpStatusCode.OK, strict.StatusCode);
        Assert.StartsWith("/**\n* plotly.js (strict - minified) v3.7.0", await strict.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // A browser that accepts gzip gets the bundle compressed (a third of its size), and the same script out of it.
        using var request = new HttpRequestMessage(HttpMethod.Get, "_content/Plotly.Blazor/plotly-3.7.0.min.js");
        request.Headers.AcceptEncoding.ParseAdd("gzip");
        using var gzipped = await app.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, gzipped.StatusCode);
        Assert.Equal(["gzip"], gzipped.Content.Headers.ContentEncoding);
        var compressed = await gzipped.Content.ReadAsByteArrayAsync();
        Assert.InRange(compressed.Length, 1, script.Length / 2);
        using var unzip = new StreamReader(new System.IO.Compression.GZipStream(new MemoryStream(compressed), System.IO.Compression.CompressionMode.Decompress));
        Assert.Equal(script, await unzip.ReadToEndAsync());
        // Pages are not compressed (what they show may hold secrets; compression can leak them).
        using var pageRequest = new HttpRequestMessage(HttpMethod.Get, "/");
        pageRequest.Headers.AcceptEncoding.ParseAdd("gzip");
        using var pageResponse = await app.Client.SendAsync(pageRequest);
        Assert.Empty(pageResponse.Content.Headers.ContentEncoding);
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
