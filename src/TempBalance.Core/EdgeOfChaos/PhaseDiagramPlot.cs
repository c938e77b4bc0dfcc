using SkiaSharp;

namespace TempBalance.Core.EdgeOfChaos;

/// <summary>A model's path through the phase diagram, one point per logged epoch, with the best epoch's index.</summary>
public sealed record PhaseTrajectory(string Label, IReadOnlyList<PhasePoint> Points, int? BestIndex = null);

/// <summary>
/// Draws a <see cref="PhaseDiagram"/> as a PNG: the regions shaded by phase and labelled, the edge of chaos,
/// the magnetization onset, the line J = 1, and optionally trajectories with start, end and best epoch
/// marked; a legend to the right.
/// </summary>
public static class PhaseDiagramPlot
{
    public const int Width = 1060, Height = 660;
    const int Left = 78, Top = 56, PlotWidth = 720, PlotHeight = 540, LegendLeft = Left + PlotWidth + 26;

    static readonly SKColor EdgeColor = new(200, 20, 40), OnsetColor = new(70, 80, 95);
    static readonly SKColor[] TrajectoryColors = [new(31, 100, 180), new(230, 120, 10), new(40, 140, 60), new(140, 80, 180)];

    /// <summary>The shade of a region.</summary>
    public static SKColor RegionColor(Phase phase) => phase switch
    {
        Phase.Paramagnetic => new SKColor(218, 232, 246),
        Phase.Ferromagnetic => new SKColor(222, 240, 214),
        Phase.Antiferromagnetic => new SKColor(252, 240, 200),
        Phase.SpinGlass => new SKColor(250, 218, 218),
        _ => throw new ArgumentOutOfRangeException(nameof(phase), phase, "Unknown phase."),
    };

    /// <summary>The pixel at which the plot draws a diagram point (for placing things on the image).</summary>
    public static SKPoint PixelOf(PhaseDiagramSettings window, PhasePoint point)
    {
        ArgumentNullException.ThrowIfNull(window);
        return new SKPoint(
            (float)(Left + (point.J0OverJ - window.J0OverJMin) / (window.J0OverJMax - window.J0OverJMin) * PlotWidth),
            (float)(Top + (window.InverseJMax - point.InverseJ) / (window.InverseJMax - window.InverseJMin) * PlotHeight));
    }

    public static void SavePng(PhaseDiagram diagram, string path, IReadOnlyList<PhaseTrajectory>? trajectories = null) =>
        File.WriteAllBytes(path, EncodePng(diagram, trajectories));

    public static byte[] EncodePng(PhaseDiagram diagram, IReadOnlyList<PhaseTrajectory>? trajectories = null)
    {
        ArgumentNullException.ThrowIfNull(diagram);
        trajectories ??= [];
        using var surface = SKSurface.Create(new SKImageInfo(Width, Height));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using var regions = ShadedRegions(diagram);
        canvas.DrawBitmap(regions, Left, Top);

        var window = diagram.Settings;
        SKPoint P(PhasePoint p) => PixelOf(window, p);
        using var titleFont = new SKFont(PlotFonts.Typeface, 19);
        using var labelFont = new SKFont(PlotFonts.Typeface, 15);
        using var smallFont = new SKFont(PlotFonts.Typeface, 13);
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        canvas.DrawText("Phase diagram of a tanh layer (mean-field theory)", Left, 32, titleFont, ink);

        canvas.Save();
        canvas.ClipRect(SKRect.Create(Left, Top, PlotWidth, PlotHeight));
        DrawGrid(canvas, window);
        DrawRegionLabels(canvas, diagram, labelFont, Obstacles(diagram, trajectories, P));
        DrawBoundaries(canvas, diagram, P);
        for (int t = 0; t < trajectories.Count; t++)
            DrawTrajectory(canvas, trajectories[t], TrajectoryColors[t % TrajectoryColors.Length], smallFont, P);
        canvas.Restore();

        DrawAxes(canvas, window, labelFont, smallFont);
        DrawLegend(canvas, diagram, trajectories, smallFont);

        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>Each pixel of the plot area shaded by the phase at its centre.</summary>
    static SKBitmap ShadedRegions(PhaseDiagram diagram)
    {
        var w = diagram.Settings;
        var colors = Enum.GetValues<Phase>().ToDictionary(p => p, RegionColor);
        var pixels = new SKColor[PlotWidth * PlotHeight];
        for (int row = 0; row < PlotHeight; row++)
        {
            double inverseJ = w.InverseJMax - (row + 0.5) / PlotHeight * (w.InverseJMax - w.InverseJMin);
            for (int column = 0; column < PlotWidth; column++)
            {
                double j0OverJ = w.J0OverJMin + (column + 0.5) / PlotWidth * (w.J0OverJMax - w.J0OverJMin);
                pixels[row * PlotWidth + column] = colors[diagram.Classify(j0OverJ, inverseJ)];
            }
        }
        return new SKBitmap(PlotWidth, PlotHeight) { Pixels = pixels };
    }

    static void DrawGrid(SKCanvas canvas, PhaseDiagramSettings w)
    {
        using var grid = new SKPaint { Color = new SKColor(255, 255, 255, 150), StrokeWidth = 1, Style = SKPaintStyle.Stroke };
        foreach (double x in Ticks(w.J0OverJMin, w.J0OverJMax))
            canvas.DrawLine(PixelOf(w, new(x, w.InverseJMin)), PixelOf(w, new(x, w.InverseJMax)), grid);
        foreach (double y in Ticks(w.InverseJMin, w.InverseJMax))
            canvas.DrawLine(PixelOf(w, new(w.J0OverJMin, y)), PixelOf(w, new(w.J0OverJMax, y)), grid);
    }

    static void DrawBoundaries(SKCanvas canvas, PhaseDiagram diagram, Func<PhasePoint, SKPoint> pixel)
    {
        var w = diagram.Settings;
        // J = 1 across the whole window; for |J0/J| <= 1 the edge of chaos runs along it.
        using var unitJ = new SKPaint
        {
            Color = SKColors.Black,
            StrokeWidth = 1.5f,
            IsAntialias = true,
            Style = SKPaintStyle.Stroke,
            PathEffect = SKPathEffect.CreateDash([9, 6], 0),
        };
        if (w.InverseJMin < 1 && w.InverseJMax > 1)
            canvas.DrawLine(pixel(new(w.J0OverJMin, 1)), pixel(new(w.J0OverJMax, 1)), unitJ);

        using var onsetOrdered = new SKPaint { Color = OnsetColor, StrokeWidth = 2, IsAntialias = true, Style = SKPaintStyle.Stroke };
        using var onsetChaotic = new SKPaint
        {
            Color = OnsetColor,
            StrokeWidth = 1.5f,
            IsAntialias = true,
            Style = SKPaintStyle.Stroke,
            PathEffect = SKPathEffect.CreateDash([2, 4], 0),
        };
        using var edge = new SKPaint { Color = EdgeColor, StrokeWidth = 3.5f, IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeJoin = SKStrokeJoin.Round };
        foreach (var boundary in diagram.Boundaries.Where(b => b.Kind == BoundaryKind.MagnetizationOnset))
        {
            // Above 1/J = 1 it separates two ordered phases; below it lies inside the chaotic phase.
            DrawPolyline(canvas, boundary.Points.Where(p => p.InverseJ >= 1).Select(pixel), onsetOrdered);
            DrawPolyline(canvas, boundary.Points.Where(p => p.InverseJ <= 1).Select(pixel), onsetChaotic);
        }
        foreach (var boundary in diagram.Boundaries.Where(b => b.Kind == BoundaryKind.EdgeOfChaos))
            DrawPolyline(canvas, boundary.Points.Select(pixel), edge);

        using var font = new SKFont(PlotFonts.Typeface, 14);
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        if (w.InverseJMin < 1 && w.InverseJMax > 1)
        {
            var at = pixel(new(w.J0OverJMax, 1));
            canvas.DrawText("J = 1", at.X - 48, at.Y - 7, font, ink);
        }
    }

    static void DrawPolyline(SKCanvas canvas, IEnumerable<SKPoint> points, SKPaint paint)
    {
        using var path = new SKPath();
        bool first = true;
        foreach (var p in points)
        {
            if (first) path.MoveTo(p); else path.LineTo(p);
            first = false;
        }
        canvas.DrawPath(path, paint);
    }

    /// <summary>Pixels a region label must not cover: the line J = 1, the onset curve and the trajectories.</summary>
    static List<SKPoint> Obstacles(PhaseDiagram diagram, IReadOnlyList<PhaseTrajectory> trajectories, Func<PhasePoint, SKPoint> pixel)
    {
        var w = diagram.Settings;
        var obstacles = new List<SKPoint>();
        for (int k = 0; k <= 60; k++)
            obstacles.Add(pixel(new(w.J0OverJMin + k / 60.0 * (w.J0OverJMax - w.J0OverJMin), 1)));
        obstacles.AddRange(diagram.Boundaries.Where(b => b.Kind == BoundaryKind.MagnetizationOnset).SelectMany(b => b.Points).Select(pixel));
        foreach (var trajectory in trajectories)
        {
            var points = trajectory.Points.Select(pixel).ToList();
            obstacles.AddRange(points);
            // Midpoints too, so that a label cannot sit between two distant epochs.
            obstacles.AddRange(points.Zip(points.Skip(1), (a, b) => new SKPoint((a.X + b.X) / 2, (a.Y + b.Y) / 2)));
        }
        return obstacles;
    }

    /// <summary>
    /// Each phase's name at the point of its region farthest from the other regions and the obstacles (on a
    /// coarse grid).
    /// </summary>
    static void DrawRegionLabels(SKCanvas canvas, PhaseDiagram diagram, SKFont font, List<SKPoint> obstacles)
    {
        var w = diagram.Settings;
        const int Columns = 48, Rows = 36;
        var cells = new (PhasePoint Point, Phase Phase)[Columns * Rows];
        for (int r = 0; r < Rows; r++)
            for (int c = 0; c < Columns; c++)
            {
                var point = new PhasePoint(w.J0OverJMin + (c + 0.5) / Columns * (w.J0OverJMax - w.J0OverJMin),
                    w.InverseJMax - (r + 0.5) / Rows * (w.InverseJMax - w.InverseJMin));
                cells[r * Columns + c] = (point, diagram.Classify(point));
            }
        // Distances in units of half a two-line label, so that a label fits where the value exceeds 1.
        const float HalfWidth = 70, HalfHeight = 22;
        static float Room(SKPoint p, SKPoint other) => MathF.Max(MathF.Abs(p.X - other.X) / HalfWidth, MathF.Abs(p.Y - other.Y) / HalfHeight);
        static float RoomToFrame(SKPoint p) => MathF.Min(MathF.Min(p.X - Left, Left + PlotWidth - p.X) / HalfWidth, MathF.Min(p.Y - Top, Top + PlotHeight - p.Y) / HalfHeight);
        using var ink = new SKPaint { Color = new SKColor(40, 40, 40), IsAntialias = true };
        foreach (var phase in cells.Select(c => c.Phase).Distinct())
        {
            var others = cells.Where(c => c.Phase != phase).Select(c => PixelOf(w, c.Point)).Concat(obstacles).ToList();
            var best = cells.Where(c => c.Phase == phase).Select(c => PixelOf(w, c.Point))
                .MaxBy(p => others.Aggregate(RoomToFrame(p), (room, o) => MathF.Min(room, Room(p, o))));
            var (name, kind) = Names(phase);
            canvas.DrawText(name, best.X, best.Y - 3, SKTextAlign.Center, font, ink);
            canvas.DrawText(kind, best.X, best.Y + font.Size + 1, SKTextAlign.Center, font, ink);
        }
    }

    static (string Name, string Kind) Names(Phase phase) => phase switch
    {
        Phase.Paramagnetic => ("Paramagnetic", "(ordered)"),
        Phase.Ferromagnetic => ("Ferromagnetic", "(ordered)"),
        Phase.Antiferromagnetic => ("Antiferromagnetic", "(ordered)"),
        _ => ("Spin glass", "(chaotic)"),
    };

    static void DrawTrajectory(SKCanvas canvas, PhaseTrajectory trajectory, SKColor color, SKFont font, Func<PhasePoint, SKPoint> pixel)
    {
        if (trajectory.Points.Count == 0) return;
        var points = trajectory.Points.Select(pixel).ToList();
        using var line = new SKPaint { Color = color, StrokeWidth = 2, IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeJoin = SKStrokeJoin.Round };
        using var fill = new SKPaint { Color = color, IsAntialias = true };
        using var outline = new SKPaint { Color = SKColors.Black, StrokeWidth = 1.5f, IsAntialias = true, Style = SKPaintStyle.Stroke };
        using var white = new SKPaint { Color = SKColors.White, IsAntialias = true };
        DrawPolyline(canvas, points, line);
        foreach (var p in points) canvas.DrawCircle(p, 2.5f, fill);
        canvas.DrawCircle(points[0], 6, white);
        canvas.DrawCircle(points[0], 6, line);
        canvas.DrawRect(SKRect.Create(points[^1].X - 5, points[^1].Y - 5, 10, 10), fill);
        if (trajectory.BestIndex is int best && best >= 0 && best < points.Count)
        {
            var at = points[best];
            canvas.DrawCircle(at, 8, fill);
            canvas.DrawCircle(at, 8, outline);
            using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
            canvas.DrawText("best", at.X + 12, at.Y + 5, font, ink);
        }
    }

    static void DrawAxes(SKCanvas canvas, PhaseDiagramSettings w, SKFont labelFont, SKFont tickFont)
    {
        using var axis = new SKPaint { Color = SKColors.Black, StrokeWidth = 1, Style = SKPaintStyle.Stroke, IsAntialias = true };
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        canvas.DrawRect(SKRect.Create(Left, Top, PlotWidth, PlotHeight), axis);
        foreach (double x in Ticks(w.J0OverJMin, w.J0OverJMax))
        {
            var p = PixelOf(w, new(x, w.InverseJMin));
            canvas.DrawLine(p.X, p.Y, p.X, p.Y + 5, axis);
            canvas.DrawText(x.ToString("0.0#", System.Globalization.CultureInfo.InvariantCulture), p.X, p.Y + 20, SKTextAlign.Center, tickFont, ink);
        }
        foreach (double y in Ticks(w.InverseJMin, w.InverseJMax))
        {
            var p = PixelOf(w, new(w.J0OverJMin, y));
            canvas.DrawLine(p.X - 5, p.Y, p.X, p.Y, axis);
            canvas.DrawText(y.ToString("0.0#", System.Globalization.CultureInfo.InvariantCulture), p.X - 9, p.Y + 4, SKTextAlign.Right, tickFont, ink);
        }
        canvas.DrawText("J\u2080 / J   (mean of the weights, relative to their spread)", Left + PlotWidth / 2, Top + PlotHeight + 44, SKTextAlign.Center, labelFont, ink);
        canvas.Save();
        canvas.RotateDegrees(-90);
        canvas.DrawText("1 / J   (J = std(W) \u221AN)", -(Top + PlotHeight / 2), 24, SKTextAlign.Center, labelFont, ink);
        canvas.Restore();
    }

    static void DrawLegend(SKCanvas canvas, PhaseDiagram diagram, IReadOnlyList<PhaseTrajectory> trajectories, SKFont font)
    {
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        float y = Top + 8;
        void Row(string text, Action<float, float> symbol)
        {
            symbol(LegendLeft, y);
            foreach (var line in Wrapped(text, font, Width - LegendLeft - 48))
            {
                canvas.DrawText(line, LegendLeft + 40, y + 5, font, ink);
                y += 18;
            }
            y += 6;
        }

        using var edge = new SKPaint { Color = EdgeColor, StrokeWidth = 3.5f, IsAntialias = true };
        Row("edge of chaos (\u03C7 = 1)", (x, yy) => canvas.DrawLine(x, yy, x + 30, yy, edge));
        using var onset = new SKPaint { Color = OnsetColor, StrokeWidth = 2, IsAntialias = true };
        Row("onset of a mean activation", (x, yy) => canvas.DrawLine(x, yy, x + 30, yy, onset));
        using var onsetDotted = new SKPaint { Color = OnsetColor, StrokeWidth = 1.5f, IsAntialias = true, PathEffect = SKPathEffect.CreateDash([2, 4], 0) };
        Row("the same inside the chaotic phase", (x, yy) => canvas.DrawLine(x, yy, x + 30, yy, onsetDotted));
        using var unitJ = new SKPaint { Color = SKColors.Black, StrokeWidth = 1.5f, IsAntialias = true, PathEffect = SKPathEffect.CreateDash([9, 6], 0) };
        Row("J = 1", (x, yy) => canvas.DrawLine(x, yy, x + 30, yy, unitJ));
        y += 8;
        var shown = Enum.GetValues<Phase>().Where(p => PhasePresent(diagram, p));
        foreach (var phase in shown)
        {
            using var swatch = new SKPaint { Color = RegionColor(phase) };
            using var border = new SKPaint { Color = new SKColor(150, 150, 150), Style = SKPaintStyle.Stroke };
            var (name, kind) = Names(phase);
            Row($"{name} {kind}", (x, yy) =>
            {
                canvas.DrawRect(SKRect.Create(x + 3, yy - 8, 24, 16), swatch);
                canvas.DrawRect(SKRect.Create(x + 3, yy - 8, 24, 16), border);
            });
        }
        if (trajectories.Count == 0) return;
        y += 8;
        for (int t = 0; t < trajectories.Count; t++)
        {
            using var paint = new SKPaint { Color = TrajectoryColors[t % TrajectoryColors.Length], StrokeWidth = 2, IsAntialias = true };
            Row(trajectories[t].Label, (x, yy) =>
            {
                canvas.DrawLine(x, yy, x + 30, yy, paint);
                canvas.DrawCircle(x + 15, yy, 2.5f, paint);
            });
        }
        using var hollow = new SKPaint { Color = SKColors.Black, StrokeWidth = 2, IsAntialias = true, Style = SKPaintStyle.Stroke };
        using var solid = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        Row("start", (x, yy) => canvas.DrawCircle(x + 15, yy, 6, hollow));
        Row("last epoch", (x, yy) => canvas.DrawRect(SKRect.Create(x + 10, yy - 5, 10, 10), solid));
        if (trajectories.Any(t => t.BestIndex is not null))
        {
            using var grey = new SKPaint { Color = new SKColor(150, 150, 150), IsAntialias = true };
            using var outline = new SKPaint { Color = SKColors.Black, StrokeWidth = 1.5f, IsAntialias = true, Style = SKPaintStyle.Stroke };
            Row("best epoch (lowest validation loss)", (x, yy) =>
            {
                canvas.DrawCircle(x + 15, yy, 8, grey);
                canvas.DrawCircle(x + 15, yy, 8, outline);
            });
        }
    }

    /// <summary>The text broken at spaces into lines no wider than <paramref name="width"/> pixels.</summary>
    static IEnumerable<string> Wrapped(string text, SKFont font, float width)
    {
        string line = "";
        foreach (var word in text.Split(' '))
        {
            string longer = line.Length == 0 ? word : line + " " + word;
            if (line.Length > 0 && font.MeasureText(longer) > width)
            {
                yield return line;
                line = word;
            }
            else line = longer;
        }
        yield return line;
    }

    static bool PhasePresent(PhaseDiagram diagram, Phase phase)
    {
        var w = diagram.Settings;
        for (int r = 0; r < 40; r++)
            for (int c = 0; c < 60; c++)
                if (diagram.Classify(w.J0OverJMin + (c + 0.5) / 60 * (w.J0OverJMax - w.J0OverJMin),
                        w.InverseJMax - (r + 0.5) / 40 * (w.InverseJMax - w.InverseJMin)) == phase)
                    return true;
        return false;
    }

    /// <summary>Multiples of 0.5 (0.25 for short ranges) inside [lo, hi].</summary>
    static IEnumerable<double> Ticks(double lo, double hi)
    {
        double step = hi - lo > 2 ? 0.5 : 0.25;
        for (double t = Math.Ceiling(lo / step - 1e-9) * step; t <= hi + 1e-9; t += step) yield return Math.Round(t, 10);
    }
}
