using SkiaSharp;

namespace TempBalance.Core;

/// <summary>The typeface of the PNG plots.</summary>
static class PlotFonts
{
    // Debian and Ubuntu fonts; SkiaSharp's NoDependencies build has no fontconfig to find them itself.
    static readonly string[] FontFiles =
    [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/freefont/FreeSans.ttf",
    ];

    static readonly Lazy<SKTypeface> Loaded = new(() =>
        FontFiles.Where(File.Exists).Select(SKTypeface.FromFile).FirstOrDefault(t => t is not null) ?? SKTypeface.Default);

    public static SKTypeface Typeface => Loaded.Value;
}
