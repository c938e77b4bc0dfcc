using MudBlazor;

namespace TempBalance.Web.Components.Layout;

/// <summary>The app's MudBlazor theme: system fonts (nothing is fetched from a font CDN).</summary>
public static class LabTheme
{
    public static readonly MudTheme Theme = new()
    {
        Typography = new Typography
        {
            Default = new DefaultTypography
            {
                FontFamily = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica", "Arial", "sans-serif"],
            },
        },
    };
}
