using System.Diagnostics;
using System.Globalization;
using Microsoft.Playwright;
using TempBalance.Web.Data;
using Xunit.Abstractions;

namespace TempBalance.Web.Tests.Browser;

/// <summary>A fact that runs only when TEMPBALANCE_BENCHMARKS=1 (benchmarks print numbers; they are not pass/fail tests of speed).</summary>
public sealed class BenchmarkFactAttribute : FactAttribute
{
    public BenchmarkFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("TEMPBALANCE_BENCHMARKS") != "1")
            Skip = "Benchmark: set TEMPBALANCE_BENCHMARKS=1 to run it.";
    }
}

/// <summary>
/// Browser-side performance of the run detail page, measured in Debian's Chromium against the real app:
///   TEMPBALANCE_BENCHMARKS=1 dotnet test tests/TempBalance.Web.Tests -c Release --filter Category=Benchmark --logger "console;verbosity=detailed"
/// Results are recorded in docs/benchmarks.md (section Browser).
/// </summary>
[Trait("Category", "Benchmark")]
[Collection("Browser")]
public class BrowserBenchmarks(BrowserFixture app, ITestOutputHelper output) : IClassFixture<BrowserFixture>
{
    // Every chart in the window holds all its data: 200 epochs (plus epoch 0) of 40 layers. Charts below the
    // fold are drawn when they are scrolled to (LiveChart), so they are measured separately.
    const string ChartsInViewDrawn = """
        ([epochs, layers]) => {
            if (!document.querySelector("[data-interactive='true']")) return false;
            const complete = {
                'chart-loss': d => d[2].x.length >= epochs + 1 && d[0].x.length > 500, // test loss; batch losses (thinned)
                'chart-accuracy': d => d[1].x.length >= epochs + 1,
                'chart-alpha': d => d[0].z.length >= epochs + 1,
                'chart-lr': d => d.length === layers && d[layers - 1].x.length >= epochs, // epoch 0 trains nothing: no rate
                'chart-esd': d => d.length >= 2,
            };
            window.chartsInView = [];
            return Object.entries(complete).every(([id, done]) => {
                const chart = document.getElementById(id);
                if (!chart) return false;
                if (chart.getBoundingClientRect().top >= innerHeight) return true;
                window.chartsInView.push(id);
                return !!chart.data && done(chart.data);
            });
        }
        """;

    // Milliseconds since navigation start at which each step of the page's start-up was first seen, and the
    // main-thread time each chart spent in plotly.js calls ("plotly.js time in ...").
    const string Timeline = """
        (() => {
            window.timeline = {};
            const mark = name => { if (!(name in window.timeline)) window.timeline[name] = performance.now(); };
            const charts = ['chart-loss', 'chart-accuracy', 'chart-alpha', 'chart-lr', 'chart-esd'];
            const poll = () => {
                if (document.querySelector("[data-interactive]")) mark('prerendered html');
                if (document.querySelector("[data-interactive='true']")) mark('circuit interactive');
                if (document.querySelector("[data-testid='layer-table'] tbody tr td")) mark('layer table rendered');
                if (window.Plotly && !window.Plotly.timed) {
                    mark('plotly.js evaluated');
                    window.Plotly.timed = true;
                    for (const fn of ['newPlot', 'react', 'extendTraces']) {
                        const call = window.Plotly[fn];
                        window.Plotly[fn] = function (gd, ...rest) {
                            const start = performance.now();
                            try { return call.call(this, gd, ...rest); }
                            finally {
                                const key = 'plotly.js time in ' + (gd.id ?? gd);
                                window.timeline[key] = (window.timeline[key] ?? 0) + performance.now() - start;
                            }
                        };
                    }
                }
                for (const id of charts) if (document.getElementById(id)?._fullLayout) mark(id + ' drawn');
                // Charts below the fold are drawn only when scrolled to: a benchmark that does not scroll stops
                // the polling itself (timelineStop), so that its per-frame work is not measured as the page's.
                if (!window.timelineStop && !charts.every(id => (id + ' drawn') in window.timeline)) requestAnimationFrame(poll);
            };
            requestAnimationFrame(poll);
        })();
        """;

    [BenchmarkFact]
    public async Task Run_detail_with_200_epochs_and_40_layers_becomes_interactive()
    {
        var run = new SyntheticRun(app.Services, epochs: 200, layers: 40);
        await run.SeedAsync(storedEpochs: 200, RunStatus.Completed);
        var page = await app.NewPageAsync();
        await page.AddInitScriptAsync(Timeline);
        try
        {
            var url = $"/runs/{run.Id}";
            var phases = new Dictionary<string, List<double>>();
            var times = new List<double>();
            var circuit = new List<double>();
            var esdAfterScroll = new List<double>();
            string[] inView = [];
            // TEMPBALANCE_BENCH_PROFILE=file.cpuprofile: the last load's JavaScript CPU profile (Chromium DevTools,
            // Performance panel) is saved there, to see where a load's main-thread time goes.
            var profilePath = Environment.GetEnvironmentVariable("TEMPBALANCE_BENCH_PROFILE");
            for (var i = 0; i < 11; i++)
            {
                ICDPSession? cdp = null;
                if (i == 10 && profilePath is not null)
                {
                    cdp = await page.Context.NewCDPSessionAsync(page);
                    await cdp.SendAsync("Profiler.enable");
                    await cdp.SendAsync("Profiler.setSamplingInterval", new Dictionary<string, object> { ["interval"] = 200 });
                    await cdp.SendAsync("Profiler.start");
                }
                var clock = Stopwatch.StartNew();
                await BrowserSteps.Open(page, url);
                if (i > 0) circuit.Add(clock.Elapsed.TotalMilliseconds);
                await page.WaitForFunctionAsync(ChartsInViewDrawn, new object[] { 200, 40 },
                    new PageWaitForFunctionOptions { Timeout = 60_000, PollingInterval = 10 });
                var loaded = clock.Elapsed.TotalMilliseconds;
                if (cdp is not null)
                {
                    var profile = await cdp.SendAsync("Profiler.stop");
                    File.WriteAllText(profilePath!, profile!.Value.GetProperty("profile").GetRawText());
                }
                inView = await page.EvaluateAsync<string[]>("() => window.chartsInView");
                var scroll = Stopwatch.StartNew();
                await page.EvaluateAsync("() => document.getElementById('chart-esd').scrollIntoView()");
                await page.WaitForFunctionAsync("() => document.getElementById('chart-esd')?.data?.length >= 2",
                    null, new PageWaitForFunctionOptions { Timeout = 60_000, PollingInterval = 10 });
                // The first load fills the browser cache (plotly.js) and warms the server; it is not counted.
                if (i > 0)
                {
                    times.Add(loaded);
                    esdAfterScroll.Add(scroll.Elapsed.TotalMilliseconds);
                    foreach (var (phase, at) in await page.EvaluateAsync<Dictionary<string, double>>("() => window.timeline"))
                        (phases.TryGetValue(phase, out var list) ? list : phases[phase] = []).Add(at);
                }
            }
            foreach (var (phase, at) in phases.OrderBy(p => p.Key.StartsWith("plotly.js time", StringComparison.Ordinal)).ThenBy(p => p.Value.Average()))
                Report($"  {phase}", at);
            Report("Run detail (200 epochs x 40 layers), navigation to the interactive circuit", circuit);
            Report($"Run detail (200 epochs x 40 layers), navigation to every chart in the 1280x900 window drawn ({string.Join(", ", inView)}), plotly.js cached", times);
            Report("Run detail (200 epochs x 40 layers), ESD chart below the fold: scrolled to, then drawn", esdAfterScroll);
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    [BenchmarkFact]
    public async Task Epoch_end_to_updated_chart_with_20_sessions_watching()
    {
        // TEMPBALANCE_BENCH_SESSIONS (default 20) browser sessions; one epoch every TEMPBALANCE_BENCH_EPOCH_MS
        // (default 3000: real epochs take longer), 10 epochs.
        int sessions = int.Parse(Environment.GetEnvironmentVariable("TEMPBALANCE_BENCH_SESSIONS") ?? "20", CultureInfo.InvariantCulture);
        int epochMillis = int.Parse(Environment.GetEnvironmentVariable("TEMPBALANCE_BENCH_EPOCH_MS") ?? "3000", CultureInfo.InvariantCulture);
        const int firstEpoch = 51, lastEpoch = 60;
        var run = new SyntheticRun(app.Services, epochs: 200, layers: 40);
        await run.SeedAsync(storedEpochs: firstEpoch - 1, RunStatus.Running);
        var pages = new List<IPage>();
        try
        {
            for (var s = 0; s < sessions; s++)
            {
                var page = await app.NewPageAsync();
                pages.Add(page);
                await page.GotoAsync($"/runs/{run.Id}");
                await BrowserSteps.WaitForPoints(page, "chart-accuracy", trace: 1, atLeast: firstEpoch);
                // Record when plotly has redrawn the test-accuracy line with a new last epoch.
                await page.EvaluateAsync("""
                    () => {
                        window.arrivals = {};
                        const gd = document.getElementById('chart-accuracy');
                        gd.on('plotly_afterplot', () => {
                            const xs = gd.data[1].x, last = xs[xs.length - 1];
                            if (!(last in window.arrivals)) window.arrivals[last] = Date.now();
                        });
                    }
                    """);
            }

            var published = new Dictionary<int, long>();
            for (var epoch = firstEpoch; epoch <= lastEpoch; epoch++)
            {
                published[epoch] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                await run.PublishAsync(epoch);
                await Task.Delay(epochMillis);
            }
            await Task.Delay(5000);

            var latencies = new List<double>();
            var missing = 0;
            foreach (var page in pages)
            {
                var arrivals = await page.EvaluateAsync<Dictionary<string, long>>("() => window.arrivals");
                foreach (var (epoch, at) in published)
                {
                    if (arrivals.TryGetValue(epoch.ToString(CultureInfo.InvariantCulture), out var shown)) latencies.Add(shown - at);
                    else missing++;
                }
            }
            Report($"Epoch end (publish) to redrawn accuracy chart, {sessions} sessions x {published.Count} epochs every {epochMillis} ms, {missing} not shown within 5 s of the last", latencies);
        }
        finally
        {
            foreach (var page in pages) await page.Context.CloseAsync();
        }
    }

    /// <summary>
    /// What one watching session costs its browser per epoch: main-thread time (Chromium's own counters) and
    /// the part of it spent in plotly.js, per chart.
    /// </summary>
    [BenchmarkFact]
    public async Task Browser_work_per_epoch_update()
    {
        const int firstEpoch = 51, epochs = 10;
        var run = new SyntheticRun(app.Services, epochs: 200, layers: 40);
        await run.SeedAsync(storedEpochs: firstEpoch - 1, RunStatus.Running);
        var page = await app.NewPageAsync();
        await page.AddInitScriptAsync(Timeline);
        try
        {
            await page.GotoAsync($"/runs/{run.Id}");
            await BrowserSteps.WaitForPoints(page, "chart-accuracy", trace: 1, atLeast: firstEpoch);
            await page.WaitForTimeoutAsync(2000);
            await page.EvaluateAsync("() => window.timelineStop = true");
            var cdp = await page.Context.NewCDPSessionAsync(page);
            await cdp.SendAsync("Performance.enable");
            async Task<Dictionary<string, double>> Counters()
            {
                var metrics = await cdp.SendAsync("Performance.getMetrics");
                var counters = metrics!.Value.GetProperty("metrics").EnumerateArray()
                    .ToDictionary(m => "browser " + m.GetProperty("name").GetString()!, m => m.GetProperty("value").GetDouble() * 1000);
                foreach (var (key, millis) in await page.EvaluateAsync<Dictionary<string, double>>("() => window.timeline"))
                    if (key.StartsWith("plotly.js time", StringComparison.Ordinal)) counters[key] = millis;
                return counters;
            }
            var work = new Dictionary<string, List<double>>();
            for (var epoch = firstEpoch; epoch < firstEpoch + epochs; epoch++)
            {
                var before = await Counters();
                await run.PublishAsync(epoch);
                await page.WaitForTimeoutAsync(2000);
                var after = await Counters();
                foreach (var name in after.Keys.Where(k => k.EndsWith("Duration", StringComparison.Ordinal) || k.StartsWith("plotly", StringComparison.Ordinal)))
                    (work.TryGetValue(name, out var list) ? list : work[name] = []).Add(after[name] - before.GetValueOrDefault(name));
            }
            foreach (var (name, millis) in work.OrderBy(w => w.Key)) Report($"One session, per epoch update: {name}", millis);
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    // The learning-rate lines and the alpha heatmap of run detail, 201 epochs x 40 layers, drawn and then extended
    // by one epoch: the calls LiveChart makes. overflow: plotly's default tick-label check, or 'allow'.
    const string PlotlyCost = """
        ([kind, overflow]) => {
            const axis = title => Object.assign({ title: { text: title }, zeroline: false }, overflow ? {} : { ticklabeloverflow: 'allow' });
            const epochs = [...Array(201).keys()];
            const data = kind === 'lines'
                ? [...Array(40).keys()].map(l => ({ type: 'scatter', mode: 'lines', x: epochs, showlegend: false, line: { width: 1.5 },
                    y: epochs.map(e => 0.05 * Math.cos(e / 400 * Math.PI) * (0.5 + l / 40)) }))
                : [{ type: 'heatmap', transpose: true, x: epochs, z: epochs.map(e => [...Array(40).keys()].map(l => 2 + 4 * Math.abs(Math.sin(e + l)))),
                     colorscale: 'Viridis', colorbar: Object.assign({ title: { text: 'alpha' } }, overflow ? {} : { ticklabeloverflow: 'allow' }) }];
            let box = document.getElementById('plotly-cost');
            if (box) window.Plotly.purge(box); else {
                box = document.createElement('div');
                box.id = 'plotly-cost';
                box.style.cssText = 'width: 600px; height: 420px';
                document.body.prepend(box);
            }
            const start = performance.now();
            window.Plotly.newPlot(box, data, { xaxis: axis('epoch'), yaxis: axis('y'), margin: { l: 55, r: 15, t: 40, b: 45 } }, { responsive: true });
            const drawn = performance.now();
            if (kind === 'lines') window.Plotly.extendTraces(box, { x: data.map(() => [201]), y: data.map(() => [0.01]) }, data.map((_, i) => i));
            else window.Plotly.extendTraces(box, { x: [[201]], z: [[data[0].z[0]]] }, [0]);
            return [drawn - start, performance.now() - drawn];
        }
        """;

    /// <summary>
    /// plotly.js alone, away from the page and the server: what a chart's first draw and a one-epoch update cost
    /// with plotly's default tick-label overflow check and without it (ChartLayouts sets 'allow').
    /// </summary>
    [BenchmarkFact]
    public async Task Plotly_draw_and_update_with_and_without_the_tick_label_overflow_check()
    {
        var page = await app.NewPageAsync();
        try
        {
            await BrowserSteps.Open(page, "/not-found");
            await page.WaitForFunctionAsync("() => !!window.Plotly", null, new PageWaitForFunctionOptions { Timeout = 60_000 });
            var times = new Dictionary<string, List<double>>();
            for (var i = 0; i < 45; i++)
            {
                foreach (var kind in new[] { "lines", "heatmap" })
                {
                    foreach (var overflow in new[] { true, false })
                    {
                        var millis = await page.EvaluateAsync<double[]>(PlotlyCost, new object[] { kind, overflow });
                        // The first rounds compile plotly's code; the page's own charts pay that once per load.
                        if (i < 5) continue;
                        var setting = overflow ? "default overflow check" : "ticklabeloverflow 'allow'";
                        foreach (var (call, ms) in new[] { ("newPlot", millis[0]), ("extendTraces", millis[1]) })
                        {
                            var key = $"plotly.js alone, {(kind == "lines" ? "40 lines x 201 epochs" : "heatmap 201 x 40")}, {call}, {setting}";
                            (times.TryGetValue(key, out var list) ? list : times[key] = []).Add(ms);
                        }
                    }
                }
            }
            foreach (var (key, millis) in times.OrderBy(t => t.Key)) Report(key, millis);
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    void Report(string what, List<double> millis)
    {
        millis.Sort();
        double P(double q) => millis[Math.Min(millis.Count - 1, (int)Math.Ceiling(q * millis.Count) - 1)];
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{what}: n={millis.Count}, median {P(0.5):0} ms, p95 {P(0.95):0} ms, max {millis[^1]:0} ms");
        output.WriteLine(line);
        var folder = BrowserFixture.RepositoryFolder(Path.Combine("artifacts", "benchmarks"));
        File.AppendAllText(Path.Combine(folder, "browser.txt"), $"{DateTime.UtcNow:u} {line}{Environment.NewLine}");
    }
}
