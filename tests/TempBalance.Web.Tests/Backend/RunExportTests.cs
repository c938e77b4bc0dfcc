using TempBalance.Web.Runs;

namespace TempBalance.Web.Tests.Backend;

public class RunExportTests
{
    [Fact]
    public void The_layers_csv_has_the_rate_used_during_each_epoch_the_next_one_and_the_order_parameters()
    {
        LayerPoint[] layers =
        [
            new(0, 1, "layer1.conv", "Conv2d", 576, 3.5, 0.05, 0.8, 4.2, 2.18, null, 0.075, true, null, 0.91, 0.02),
            new(1, 1, "layer1.conv", "Conv2d", 576, 3.25, 0.04, 0.7, 4.5, 2.1, 0.075, 0.0625, true, null, 0.93, 0.01),
            new(1, 2, "fc, last", "Linear", 10, null, null, null, 1.5, null, 0.05, 0.05, false, "too few", null, null),
        ];

        var lines = RunExport.LayersCsv(layers).TrimEnd('\n').Split('\n');

        Assert.Equal("epoch,layer_index,layer_name,kind,eigs_num,alpha,d,xmin,spectral_norm,alpha_weighted,learning_rate,next_learning_rate,tuned,fit_error,j,j0", lines[0]);
        Assert.Equal("0,1,layer1.conv,Conv2d,576,3.5,0.05,0.8,4.2,2.18,,0.075,true,,0.91,0.02", lines[1]); // epoch 0 trains nothing
        Assert.Equal("1,1,layer1.conv,Conv2d,576,3.25,0.04,0.7,4.5,2.1,0.075,0.0625,true,,0.93,0.01", lines[2]);
        Assert.Equal("1,2,\"fc, last\",Linear,10,,,,1.5,,0.05,0.05,false,too few,,", lines[3]);
    }
}
