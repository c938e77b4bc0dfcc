using System.Text.Json;
using TempBalance.Core.Scheduling;
using TempBalance.Core.Training;
using TempBalance.Web.Components.Runs;
using TempBalance.Web.Runs;

namespace TempBalance.Web.Tests.Components;

public class RunFormModelTests
{
    [Fact]
    public void A_request_survives_the_form_unchanged_including_every_tempbalance_option()
    {
        var request = RunPresets.QuickStart with
        {
            Config = RunPresets.QuickStart.Config with
            {
                TempBalance = new TempBalanceOptions { Float32Eigenvalues = true, FilterNearZero = true, MinRatio = 0.6, MaxRatio = 1.4, EigsThresh = 7 },
            },
            Notes = "from the form",
        };

        var back = RunFormModel.From(request).ToRequest();

        Assert.Equal(JsonSerializer.Serialize(request.Config), JsonSerializer.Serialize(back.Config));
        Assert.True(back.Config.TempBalance.Float32Eigenvalues);
        Assert.Equal(request.Tags, back.Tags);
        Assert.Equal(request.Notes, back.Notes);
        Assert.Equal(request.GroupName, back.GroupName);
    }
}
