using System.Text;
using Microsoft.AspNetCore.Components.Rendering;
using MudBlazor;

namespace TempBalance.Web.Components.Layout;

/// <summary>
/// The theme's dark palette for browsers set to a dark colour scheme, as CSS alone. Pages rendered without a circuit
/// (sign-in, set-up, change password) cannot ask the browser which scheme it prefers, so they were always light;
/// this puts MudBlazor's dark variables under <c>@media (prefers-color-scheme: dark)</c> after the light ones.
/// Use it with <c>IsDarkMode="true"</c> and the page's theme.
/// </summary>
public sealed class SystemDarkPalette : MudThemeProvider
{
    protected override void BuildRenderTree(RenderTreeBuilder builder)
    {
        var css = new StringBuilder("@media (prefers-color-scheme: dark) {\n:root {\n");
        GenerateTheme(css);
        css.Append("}\n}\n");
        builder.OpenElement(0, "style");
        builder.AddMarkupContent(1, css.ToString());
        builder.CloseElement();
    }
}
