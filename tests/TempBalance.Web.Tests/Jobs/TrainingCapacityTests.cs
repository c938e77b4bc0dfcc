using TempBalance.Web.Jobs;

namespace TempBalance.Web.Tests.Jobs;

public class TrainingCapacityTests
{
    [Fact]
    public void A_sweep_is_described_by_how_many_runs_the_live_job_servers_train_at_once()
    {
        Assert.Equal("No job server takes training jobs now: the runs wait in the queue until one starts.",
            new TrainingCapacity(0, 0).DescribeForSweep());
        var one = new TrainingCapacity(1, 1).DescribeForSweep();
        Assert.StartsWith("The sweep's runs train one at a time here (1 worker). TempBalance:Workers sets", one, StringComparison.Ordinal);
        Assert.Equal("The sweep's runs train 2 at a time here (2 workers; TempBalance:Workers).", new TrainingCapacity(1, 2).DescribeForSweep());
        Assert.Equal("The sweep's runs train 6 at a time here (6 workers on 3 nodes; TempBalance:Workers).", new TrainingCapacity(3, 6).DescribeForSweep());
    }
}
