using SkiaSharp;

namespace TempBalance.Core.Spectral;

/// <summary>
/// Draws one layer's ESD as a PNG: the eigenvalue density on log-log axes, the fitted power law from xmin
/// on, a dashed xmin marker, and alpha and D in the title.
/// </summary>
public static class EsdPlot
{
    const int Width = 900, Height = 560, Left = 80, Right = 30, Top = 60, Bottom = 60, Bins = 60;

    public static void SavePng(LayerSpectrum spectrum, string path)
    {
        using var surface = SKSurface.Create(new SKImageInfo(Width, Height));
        Draw(surface.Canvas, spectrum);
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        using var file = File.Create(path);
        data.SaveTo(file);
    }

    static void Draw(SKCanvas canvas, LayerSpectrum spectrum)
    {
        canvas.Clear(SKColors.White);
        using var titleFont = new SKFont(PlotFonts.Typeface, 18);
        using var labelFont = new SKFont(PlotFonts.Typeface, 13);
        using var text = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        var fit = spectrum.Fit;
        // With FARMS the fit ran on the windows' pooled eigenvalues: plot those, so the line and xmin match the bars.
        var eigenvalues = spectrum.FitEigenvalues ?? spectrum.Eigenvalues;
        string farms = spectrum.FitEigenvalues is null ? "" : " (FARMS windows)";
        string title = fit.Succeeded
            ? $"{spectrum.Name}{farms}: alpha = {fit.Alpha:F3}, D = {fit.D:F4}, xmin = {fit.Xmin:G4}"
            : $"{spectrum.Name}: fit failed ({fit.Error})";
        canvas.DrawText(title, Left, 32, titleFont, text);

        var histogram = EsdHistogramBuilder.Build(eigenvalues, Bins);
        int total = histogram.Counts.Sum();
        var density = histogram.Densities();
        var positive = density.Where(d => d > 0).Select(Math.Log10).ToArray();
        if (positive.Length == 0)
        {
            canvas.DrawText("no positive eigenvalues to plot", Left, Height / 2, labelFont, text);
            return;
        }
        double xLo = histogram.Log10BinEdges[0], xHi = histogram.Log10BinEdges[^1];
        double yLo = Math.Floor(positive.Min() - 0.2), yHi = Math.Ceiling(positive.Max() + 0.2);
        float X(double log10X) => (float)(Left + (log10X - xLo) / (xHi - xLo) * (Width - Left - Right));
        float Y(double log10Y) => (float)(Height - Bottom - (Math.Clamp(log10Y, yLo, yHi) - yLo) / (yHi - yLo) * (Height - Top - Bottom));

        using var bar = new SKPaint { Color = new SKColor(70, 130, 180, 200), Style = SKPaintStyle.Fill };
        for (int b = 0; b < density.Length; b++)
            if (density[b] > 0)
                canvas.DrawRect(SKRect.Create(X(histogram.Log10BinEdges[b]), Y(Math.Log10(density[b])),
                    Math.Max(1, X(histogram.Log10BinEdges[b + 1]) - X(histogram.Log10BinEdges[b]) - 1),
                    Y(yLo) - Y(Math.Log10(density[b]))), bar);

        DrawAxes(canvas, labelFont, text, xLo, xHi, yLo, yHi, X, Y);

        if (!fit.Succeeded) return;
        // p(x) = (n/N) (alpha - 1)/xmin (x/xmin)^-alpha on [xmin, max]: the tail's share of the density.
        double logScale = Math.Log10((double)fit.TailSize / total * (fit.Alpha - 1) / fit.Xmin);
        double from = Math.Log10(fit.Xmin), to = xHi;
        using var line = new SKPaint { Color = SKColors.Crimson, StrokeWidth = 2.5f, IsAntialias = true, Style = SKPaintStyle.Stroke };
        canvas.DrawLine(X(from), Y(logScale), X(to), Y(logScale - fit.Alpha * (to - from)), line);
        using var dashed = new SKPaint
        {
            Color = SKColors.DarkOrange,
            StrokeWidth = 2,
            IsAntialias = true,
            Style = SKPaintStyle.Stroke,
            PathEffect = SKPathEffect.CreateDash([8, 6], 0),
        };
        canvas.DrawLine(X(from), Top, X(from), Height - Bottom, dashed);
        canvas.DrawText("xmin", X(from) + 4, Top + 14, labelFont, text);
        using var legend = new SKPaint { Color = SKColors.Crimson, IsAntialias = true };
        canvas.DrawText($"power law, alpha = {fit.Alpha:F2}", Width - Right - 210, Top + 14, labelFont, legend);
    }

    static void DrawAxes(SKCanvas canvas, SKFont font, SKPaint text, double xLo, double xHi, double yLo, double yHi,
        Func<double, float> x, Func<double, float> y)
    {
        using var axis = new SKPaint { Color = SKColors.Black, StrokeWidth = 1, Style = SKPaintStyle.Stroke, IsAntialias = true };
        using var grid = new SKPaint { Color = new SKColor(220, 220, 220), StrokeWidth = 1, Style = SKPaintStyle.Stroke };
        canvas.DrawRect(SKRect.Create(Left, Top, Width - Left - Right, Height - Top - Bottom), axis);
        // Ticks at powers of ten (every second one when the range is wide).
        int xStep = xHi - xLo > 8 ? 2 : 1;
        for (int p = (int)Math.Ceiling(xLo); p <= xHi; p += xStep)
        {
            canvas.DrawLine(x(p), Top, x(p), Height - Bottom, grid);
            canvas.DrawText($"1e{p}", x(p) - 12, Height - Bottom + 18, font, text);
        }
        int yStep = yHi - yLo > 8 ? 2 : 1;
        for (int p = (int)Math.Ceiling(yLo); p <= yHi; p += yStep)
        {
            canvas.DrawLine(Left, y(p), Width - Right, y(p), grid);
            canvas.DrawText($"1e{p}", 24, y(p) + 4, font, text);
        }
        canvas.DrawText("eigenvalue (log scale)", Width / 2 - 70, Height - 18, font, text);
        canvas.Save();
        canvas.RotateDegrees(-90);
        canvas.DrawText("density (log scale)", -Height / 2 - 60, 16, font, text);
        canvas.Restore();
    }
}
