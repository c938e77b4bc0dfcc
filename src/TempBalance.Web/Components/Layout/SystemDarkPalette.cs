using System.Text;
using Microsoft.AspNetCore.Components.Rendering;
using MudBlazor;

namespace TempBalance.Web.Components.Layout;

/// <summary>
/// The theme's dark palette as CSS alone, for what a page shows before (or without) a circuit: MudBlazor's dark
/// variables under <c>@media (prefers-color-scheme: dark)</c> unless the person chose Light in the app, and for
/// anyone who chose Dark. js/theme-choice.js marks the page with that choice (<c>data-theme</c> on the root element)
/// before the first paint; without the mark the page follows the browser's scheme. Pages rendered without a circuit
/// (sign-in, set-up, change password) use it always; MainLayout until its circuit has read the choice.
/// Use it with <c>IsDarkMode="true"</c> and the page's theme.
/// </summary>
public sealed class SystemDarkPalette : MudThemeProvider
{
    protected override void BuildRenderTree(RenderTreeBuilder builder)
    {
        var variables = new StringBuilder();
        GenerateTheme(variables);
        // Both selectors outrank MudBlazor's plain :root, so they apply wherever they match, in any order.
        var css = $"@media (prefers-color-scheme: dark) {{\n:root:not([data-theme=light]) {{\n{variables}}}\n}}\n" +
                  $":root[data-theme=dark] {{\n{variables}}}\n";
        builder.OpenElement(0, "style");
        builder.AddMarkupContent(1, css);
        builder.CloseElement();
    }
}
