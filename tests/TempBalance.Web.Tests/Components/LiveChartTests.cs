using Bunit;
using Plotly.Blazor;
using TempBalance.Web.Components.Charts;

namespace TempBalance.Web.Tests.Components;

public class LiveChartTests : IAsyncLifetime
{
    const string PlotlyInterop = "./_content/Plotly.Blazor/plotly-interop-7.2.0.js";
    readonly BunitContext _ctx = new();

    public LiveChartTests()
    {
        // chart-visibility.js answers "out of view"; the tests report visibility themselves.
        _ctx.JSInterop.Setup<bool>("liveCharts.observe", _ => true).SetResult(false);
        _ctx.JSInterop.SetupVoid("liveCharts.unobserve", _ => true);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _ctx.DisposeAsync();

    /// <summary>plotly.js's interop module, answering every call (the tests read what was sent).</summary>
    BunitJSModuleInterop LoosePlotlyModule()
    {
        var module = _ctx.JSInterop.SetupModule(PlotlyInterop);
        module.Mode = JSRuntimeMode.Loose;
        return module;
    }

    /// <summary>Renders the chart and, unless told otherwise, reports it in view as chart-visibility.js would.</summary>
    IRenderedComponent<LiveChart> RenderChart(ChartFeed feed, bool visible = true, bool drawAtOnce = false, string? emptyText = null)
    {
        var cut = _ctx.Render<LiveChart>(p => p
            .Add(c => c.Feed, feed)
            .Add(c => c.DrawAtOnce, drawAtOnce)
            .Add(c => c.EmptyText, emptyText)
            .Add(c => c.Id, "loss")
            .Add(c => c.LayoutFor, dark => ChartLayouts.Axes(dark, "Loss", "epoch", "loss"))
            .Add(c => c.MinFlushInterval, TimeSpan.FromHours(1))); // flushes only when the test says so
        if (visible) SetVisible(cut, true);
        return cut;
    }

    static void SetVisible(IRenderedComponent<LiveChart> cut, bool visible) =>
        cut.InvokeAsync(() => cut.Instance.SetVisible(visible)).GetAwaiter().GetResult();

    [Fact]
    public async Task Draws_once_then_extends_with_only_the_new_points()
    {
        var module = LoosePlotlyModule();
        var feed = new ChartFeed(new List<ITrace> { ChartLayouts.Line("train", [1, 2], [0.9, 0.7]) });

        var cut = RenderChart(feed);
        cut.WaitForAssertion(() => Assert.True(feed.Ready));

        await cut.InvokeAsync(() => { feed.Append(0, 3, 0.5); feed.Append(0, 4, 0.4); });
        await cut.InvokeAsync(cut.Instance.FlushAsync);
        await cut.InvokeAsync(() => feed.Append(0, 5, 0.3));
        await cut.InvokeAsync(cut.Instance.FlushAsync);

        var newPlot = Assert.Single(module.Invocations["newPlot"]);
        Assert.Equal("loss", newPlot.Arguments[0]);
        var extends = module.Invocations["extendTraces"];
        Assert.All(extends, e => Assert.Equal("[0]", Points(e.Arguments[3])));
        Assert.Equal("3,4,5", string.Join(",", extends.Select(e => Points(e.Arguments[1]).Trim('[', ']'))));
        Assert.Equal("0.5,0.4,0.3", string.Join(",", extends.Select(e => Points(e.Arguments[2]).Trim('[', ']'))));
        Assert.Empty(module.Invocations["react"]);
        // The component's copy of the data grew with the extends, so a later full re-send is complete.
        var trace = (Plotly.Blazor.Traces.Scatter)feed.Traces[0];
        Assert.Equal([1.0, 2.0, 3.0, 4.0, 5.0], trace.X);
    }

    [Fact]
    public async Task Updates_within_the_flush_interval_are_held_back()
    {
        var module = LoosePlotlyModule();
        var feed = new ChartFeed(new List<ITrace> { ChartLayouts.Line("train", [1], [0.9]) });
        var cut = RenderChart(feed);
        cut.WaitForAssertion(() => Assert.True(feed.Ready));

        await cut.InvokeAsync(() => { feed.Append(0, 2, 0.8); feed.Append(0, 2.5, 0.75); }); // goes out at once, together
        cut.WaitForAssertion(() => Assert.Single(module.Invocations["extendTraces"]));
        await cut.InvokeAsync(() => feed.Append(0, 3, 0.7)); // these wait for the interval (an hour here)
        await cut.InvokeAsync(() => feed.Append(0, 4, 0.6));
        await Task.Delay(100);

        var sent = Assert.Single(module.Invocations["extendTraces"]);
        Assert.Equal("[[2,2.5]]", Points(sent.Arguments[1]));
        Assert.True(feed.HasPending);
    }

    [Fact]
    public async Task Replacing_the_traces_re_sends_them_whole_instead_of_extending()
    {
        var module = LoosePlotlyModule();
        var feed = new ChartFeed(new List<ITrace> { ChartLayouts.Line("loss", [1, 2], [0.9, 0.7]) });
        var cut = RenderChart(feed);
        cut.WaitForAssertion(() => Assert.True(feed.Ready));

        await cut.InvokeAsync(() => feed.Replace([ChartLayouts.Line("loss", [1, 5, 9], [0.9, 0.2, 0.1])]));
        await cut.InvokeAsync(cut.Instance.FlushAsync);

        Assert.Single(module.Invocations["react"]);
        Assert.Empty(module.Invocations["extendTraces"]);
    }

    [Fact]
    public async Task Nothing_is_sent_before_the_chart_has_been_drawn()
    {
        // plotly.js never finishes loading, so the first draw never completes and AfterRender never runs.
        var module = LoosePlotlyModule();
        module.SetupVoid("importScript", _ => true);
        var feed = new ChartFeed(new List<ITrace> { ChartLayouts.Line("loss", [1], [0.9]) });
        var cut = RenderChart(feed);

        await cut.InvokeAsync(() => feed.Append(0, 2, 0.8));
        await cut.InvokeAsync(cut.Instance.FlushAsync);

        Assert.False(feed.Ready);
        Assert.Empty(module.Invocations["extendTraces"]);
        Assert.Empty(module.Invocations["react"]);
    }

    [Fact]
    public async Task A_chart_out_of_view_is_drawn_when_it_comes_into_view_and_catches_up_in_one_update()
    {
        var module = LoosePlotlyModule();
        var feed = new ChartFeed(new List<ITrace> { ChartLayouts.Line("loss", [1], [0.9]) });
        var cut = RenderChart(feed, visible: false);

        await Task.Delay(100);
        Assert.Empty(module.Invocations["newPlot"]);
        Assert.NotNull(cut.Find("div#loss")); // the box keeps its place (and size) on the page

        SetVisible(cut, true);
        cut.WaitForAssertion(() => Assert.True(feed.Ready));
        Assert.Single(module.Invocations["newPlot"]);

        // Scrolled away (or the tab hidden): three epochs wait, then go out together once it is seen again.
        SetVisible(cut, false);
        await cut.InvokeAsync(() => feed.Append(0, 2, 0.8));
        await cut.InvokeAsync(() => feed.Append(0, 3, 0.7));
        await cut.InvokeAsync(() => feed.Append(0, 4, 0.6));
        await Task.Delay(100);
        Assert.Empty(module.Invocations["extendTraces"]);

        SetVisible(cut, true);
        cut.WaitForAssertion(() => Assert.Single(module.Invocations["extendTraces"]));
        Assert.Equal("[[2,3,4]]", Points(module.Invocations["extendTraces"][0].Arguments[1]));
        Assert.Single(module.Invocations["newPlot"]);
    }

    [Fact]
    public async Task A_chart_drawn_at_once_does_not_wait_for_the_browser_to_report_it_in_view()
    {
        var module = LoosePlotlyModule();
        var feed = new ChartFeed(new List<ITrace> { ChartLayouts.Line("loss", [1], [0.9]) });

        var cut = RenderChart(feed, visible: false, drawAtOnce: true);

        cut.WaitForAssertion(() => Assert.True(feed.Ready));
        Assert.Single(module.Invocations["newPlot"]);
        // The browser said it is out of view (scrolled away at once): updates wait like any other chart's.
        await cut.InvokeAsync(() => feed.Append(0, 2, 0.8));
        await Task.Delay(100);
        Assert.Empty(module.Invocations["extendTraces"]);
    }

    [Fact]
    public async Task An_empty_chart_says_so_until_it_has_something_to_draw()
    {
        LoosePlotlyModule();
        var feed = new ChartFeed(new List<ITrace> { ChartLayouts.Line("loss"), ChartLayouts.Line("test loss") });
        var cut = RenderChart(feed, emptyText: "No epochs stored yet.");

        Assert.Equal("No epochs stored yet.", cut.Find("[data-testid='loss-empty']").TextContent);
        // One point draws no line: still nothing to see.
        await cut.InvokeAsync(() => feed.Append(1, 0, 2.3));
        Assert.Single(cut.FindAll("[data-testid='loss-empty']"));
        await cut.InvokeAsync(() => feed.Append(1, 1, 1.9));
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid='loss-empty']")));

        // Replaced by traces without points (another layer with no spectrum): empty again.
        await cut.InvokeAsync(() => feed.Replace([ChartLayouts.Line("esd")]));
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid='loss-empty']")));
    }

    // Invocation arguments arrive as nested enumerables of boxed values; flatten them for comparison.
    static string Points(object? value) => value switch
    {
        System.Collections.IEnumerable e and not string => "[" + string.Join(",", e.Cast<object?>().Select(Points)) + "]",
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "null",
    };

}
