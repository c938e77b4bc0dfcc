using TempBalance.Web.Components.Charts;

namespace TempBalance.Web.Tests.Components;

public class ChartLayoutsTests
{
    [Theory]
    [InlineData(6, -0.5, 6.5, 1)]
    [InlineData(200, -4.0, 204.0, 25)]
    public void An_epoch_axis_spans_the_planned_epochs_from_the_start(int epochs, double from, double to, int tick)
    {
        var axis = ChartLayouts.Axes(dark: false, "Loss", "epoch", "loss", epochs: epochs).XAxis[0];
        Assert.Equal([from, to], axis.Range.Select(Convert.ToDouble));
        Assert.Equal(tick, Convert.ToInt32(axis.DTick));
    }

    [Fact]
    public void Other_axes_range_themselves()
    {
        var axis = ChartLayouts.Axes(dark: true, "ESD", "eigenvalue", "density", logX: true, logY: true).XAxis[0];
        Assert.Null(axis.Range);
        Assert.Null(axis.DTick);
    }

    [Fact]
    public void Axes_skip_plotlys_tick_label_overflow_check()
    {
        // plotly measures every tick label for that check, on every draw and every live update
        // (BrowserBenchmarks.Plotly_draw_and_update_with_and_without_the_tick_label_overflow_check).
        var json = System.Text.Json.JsonSerializer.Serialize(ChartLayouts.Axes(dark: false, "Loss", "epoch", "loss", epochs: 10));
        Assert.Equal(2, json.Split("\"ticklabeloverflow\":\"allow\"").Length - 1);
    }
}
