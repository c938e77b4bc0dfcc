using SkiaSharp;
using TempBalance.Core.EdgeOfChaos;

namespace TempBalance.Core.Tests.EdgeOfChaos;

public class PhaseDiagramPlotTests
{
    static SKColor PixelAt(SKBitmap image, PhasePoint point)
    {
        var p = PhaseDiagramPlot.PixelOf(PhaseDiagram.Default.Settings, point);
        return image.GetPixel((int)p.X, (int)p.Y);
    }

    [Fact]
    public void Regions_are_shaded_by_phase()
    {
        using var image = SKBitmap.Decode(PhaseDiagramPlot.EncodePng(PhaseDiagram.Default));
        Assert.Equal(PhaseDiagramPlot.Width, image.Width);
        Assert.Equal(PhaseDiagramPlot.Height, image.Height);
        Assert.Equal(PhaseDiagramPlot.RegionColor(Phase.Paramagnetic), PixelAt(image, new(-0.8, 1.85)));
        Assert.Equal(PhaseDiagramPlot.RegionColor(Phase.SpinGlass), PixelAt(image, new(-0.8, 0.15)));
        Assert.Equal(PhaseDiagramPlot.RegionColor(Phase.SpinGlass), PixelAt(image, new(1.1, 0.3)));
        Assert.Equal(PhaseDiagramPlot.RegionColor(Phase.Ferromagnetic), PixelAt(image, new(1.92, 0.6)));
        Assert.Equal(PhaseDiagramPlot.RegionColor(Phase.Ferromagnetic), PixelAt(image, new(1.9, 1.4)));
    }

    [Fact]
    public void The_edge_of_chaos_is_drawn_in_red_along_J_equal_1_and_down_its_curve()
    {
        using var image = SKBitmap.Decode(PhaseDiagramPlot.EncodePng(PhaseDiagram.Default));
        foreach (var point in new PhasePoint[] { new(-0.3, 1), new(0.7, 1), new(PhaseDiagram.Default.EdgeOfChaosJ0OverJ(0.4), 0.4) })
        {
            var pixel = PixelAt(image, point);
            Assert.True(pixel.Red > 150 && pixel.Green < 90 && pixel.Blue < 90, $"{point}: {pixel}");
        }
    }

    [Fact]
    public void Trajectories_mark_their_best_point()
    {
        var path = Enumerable.Range(0, 30).Select(t => new PhasePoint(0.02 * Math.Sin(t / 5.0), 1 / Math.Sqrt(0.25 + 0.03 * t))).ToList();
        using var image = SKBitmap.Decode(PhaseDiagramPlot.EncodePng(PhaseDiagram.Default, [new PhaseTrajectory("run", path, 20)]));
        var best = PixelAt(image, path[20]);
        Assert.True(best.Blue > 150 && best.Red < 80, $"best point: {best}");
        // The trajectory crosses from the paramagnetic into the chaotic phase.
        Assert.Equal(Phase.Paramagnetic, PhaseDiagram.Default.Classify(path[0]));
        Assert.Equal(Phase.SpinGlass, PhaseDiagram.Default.Classify(path[^1]));
    }

    [Fact]
    public void SavePng_writes_the_encoded_image()
    {
        string file = Path.Combine(Path.GetTempPath(), $"phase-diagram-{Guid.NewGuid():N}.png");
        try
        {
            PhaseDiagramPlot.SavePng(PhaseDiagram.Default, file);
            using var image = SKBitmap.Decode(file);
            Assert.Equal(PhaseDiagramPlot.Width, image.Width);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
