using Plotly.Blazor;
using Plotly.Blazor.Traces;
using TempBalance.Web.Components.Charts;

namespace TempBalance.Web.Tests.Components;

public class ChartFeedTests
{
    static ChartFeed TwoLines() => new(new List<ITrace>
    {
        ChartLayouts.Line("train", [1, 2], [0.9, 0.7]),
        ChartLayouts.Line("test", [1, 2], [1.0, 0.8]),
    });

    [Fact]
    public void Points_appended_before_the_first_draw_wait_and_are_not_folded_into_the_initial_data()
    {
        var feed = TwoLines();
        feed.Append(0, 3, 0.5);

        Assert.Empty(feed.TakeUpdates());
        Assert.Equal(2, ((Scatter)feed.Traces[0]).X.Count); // the first newPlot must not already contain them

        feed.MarkReady();
        var update = Assert.IsType<ChartUpdate.ExtendLines>(Assert.Single(feed.TakeUpdates()));
        Assert.Equal([0], update.Indices);
        Assert.Equal([3.0], update.X[0]);
        Assert.Equal([0.5], update.Y[0]);
    }

    [Fact]
    public void After_the_first_draw_only_new_points_are_sent_and_each_only_once()
    {
        var feed = TwoLines();
        feed.MarkReady();
        feed.Append(1, 3, 0.6);
        feed.Append(0, 3, 0.5);
        feed.Append(0, 4, 0.4);

        var update = Assert.IsType<ChartUpdate.ExtendLines>(Assert.Single(feed.TakeUpdates()));
        Assert.Equal([0, 1], update.Indices);
        Assert.Equal([3.0, 4.0], update.X[0]);
        Assert.Equal([0.5, 0.4], update.Y[0]);
        Assert.Equal([0.6], update.Y[1]);
        Assert.Empty(feed.TakeUpdates());
    }

    [Fact]
    public void After_an_update_times_out_the_whole_chart_goes_again_with_the_unsent_points_in_order()
    {
        var feed = TwoLines();
        feed.MarkReady();
        feed.Append(0, 3, 0.5);
        var lost = Assert.IsType<ChartUpdate.ExtendLines>(Assert.Single(feed.TakeUpdates()));
        feed.Append(0, 4, 0.4); // arrives while the timed-out call was pending

        feed.ResendAll([lost]);

        Assert.IsType<ChartUpdate.Full>(Assert.Single(feed.TakeUpdates()));
        Assert.Equal([1.0, 2.0, 3.0, 4.0], ((Scatter)feed.Traces[0]).X);
        Assert.Equal([0.9, 0.7, 0.5, 0.4], ((Scatter)feed.Traces[0]).Y);
        Assert.Empty(feed.TakeUpdates());
    }

    [Fact]
    public void Replace_sends_everything_once_including_points_appended_after_it()
    {
        var feed = TwoLines();
        feed.MarkReady();
        feed.Append(0, 3, 0.5); // superseded by the replacement
        feed.Replace([ChartLayouts.Line("train", [1, 2, 3], [0.9, 0.7, 0.55])]);
        feed.Append(0, 4, 0.45);

        Assert.IsType<ChartUpdate.Full>(Assert.Single(feed.TakeUpdates()));
        var trace = (Scatter)Assert.Single(feed.Traces);
        Assert.Equal([1.0, 2.0, 3.0, 4.0], trace.X);
        Assert.Equal([0.9, 0.7, 0.55, 0.45], trace.Y);
        Assert.Empty(feed.TakeUpdates());
    }

    [Fact]
    public void Heatmap_columns_extend_a_transposed_heatmap_and_non_finite_values_become_gaps()
    {
        var heat = new HeatMap { Transpose = true, X = [], Y = [0, 1, 2], Z = [] };
        var feed = new ChartFeed(new List<ITrace> { heat });
        feed.MarkReady();
        feed.AppendColumn(0, 1, [2.5, null, double.NaN]);

        var update = Assert.IsType<ChartUpdate.ExtendHeatmap>(Assert.Single(feed.TakeUpdates()));
        Assert.Equal([1.0], update.X);
        Assert.Equal(new object?[] { 2.5, null, null }, (object?[])update.Z[0]!);
    }

    [Fact]
    public void Columns_cannot_be_appended_to_a_line()
    {
        var feed = TwoLines();
        var ex = Assert.Throws<InvalidOperationException>(() => feed.AppendColumn(0, 1, [1.0]));
        Assert.Contains("not a transposed heatmap", ex.Message);
    }

    [Fact]
    public void A_chart_draws_something_once_a_line_has_two_points_or_a_heatmap_one_column()
    {
        var lines = new ChartFeed(new List<ITrace> { ChartLayouts.Line("train"), ChartLayouts.Line("test", [0], [2.3]) });
        Assert.True(lines.DrawsNothing); // a lone epoch 0 is a line through one point: plotly draws nothing
        lines.Append(1, 1, 1.9); // waiting to be sent counts
        Assert.False(lines.DrawsNothing);

        var heat = new ChartFeed(new List<ITrace> { new HeatMap { Transpose = true, X = [], Y = [0, 1], Z = [] } });
        Assert.True(heat.DrawsNothing);
        heat.AppendColumn(0, 0, [3.0, 4.0]);
        Assert.False(heat.DrawsNothing);
    }
}
