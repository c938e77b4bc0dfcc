using TempBalance.Web.Sweeps;

namespace TempBalance.Web.Components.Sweeps;

/// <summary>Words and colours for sweeps in the pages.</summary>
public static class SweepStatusText
{
    public static string Label(SweepStatus status) => status.ToString().ToLowerInvariant();

    public static MudBlazor.Color Color(SweepStatus status) => status switch
    {
        SweepStatus.Running => MudBlazor.Color.Info,
        SweepStatus.Completed => MudBlazor.Color.Success,
        SweepStatus.Cancelled => MudBlazor.Color.Dark,
        SweepStatus.Failed => MudBlazor.Color.Error,
        _ => MudBlazor.Color.Default,
    };

    /// <summary>"lr (3) × batch-size (2)".</summary>
    public static string Axes(IReadOnlyList<SweepAxisView> axes) => string.Join(" × ", axes.Select(a => $"{a.Field} ({a.Values.Count})"));
}
