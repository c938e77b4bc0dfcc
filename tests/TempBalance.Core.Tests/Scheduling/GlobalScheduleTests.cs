using TempBalance.Core.Scheduling;

namespace TempBalance.Core.Tests.Scheduling;

public class GlobalScheduleTests
{
    [Theory]
    [InlineData(1, 0.1)]
    [InlineData(2, 0.0999938316)]
    [InlineData(50, 0.0859063149)]
    [InlineData(101, 0.05)]
    [InlineData(150, 0.0152043602)]
    [InlineData(200, 0.0000061684)]
    public void Cosine_gives_the_golden_rate_during_each_epoch(int epoch, double expected)
    {
        Assert.Equal(expected, GlobalSchedule.Create("cosine", 0.1, 200).ForEpoch(epoch), 1e-9);
    }

    [Fact]
    public void Step_divides_by_ten_at_half_and_three_quarters()
    {
        var schedule = GlobalSchedule.Create("step", 0.1, 200);
        Assert.Equal(0.1, schedule.ForEpoch(100), 12);
        Assert.Equal(0.01, schedule.ForEpoch(101), 12);
        Assert.Equal(0.01, schedule.ForEpoch(150), 12);
        Assert.Equal(0.001, schedule.ForEpoch(151), 12);
    }

    [Fact]
    public void Constant_and_warm_up()
    {
        Assert.Equal(0.05, GlobalSchedule.Create("constant", 0.05, 10).ForEpoch(7));
        var warm = GlobalSchedule.Create("cosine", 0.1, 12, warmupEpochs: 2);
        Assert.Equal(0.05, warm.ForEpoch(1), 12);
        Assert.Equal(0.1, warm.ForEpoch(2), 12);
        Assert.Equal(0.1, warm.ForEpoch(3), 12);
        Assert.Equal(0.05, warm.ForEpoch(8), 12);
        Assert.Equal(0, warm.ForEpoch(13), 12);
    }

    [Fact]
    public void Unknown_kinds_and_bad_arguments_name_what_to_change()
    {
        var error = Assert.Throws<ArgumentException>(() => GlobalSchedule.Create("linear", 0.1, 10));
        Assert.Contains("cosine, step, constant", error.Message);
        Assert.Throws<ArgumentException>(() => GlobalSchedule.Create("cosine", 0.1, 10, warmupEpochs: 10));
        Assert.Throws<ArgumentException>(() => GlobalSchedule.Create("cosine", -1, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => GlobalSchedule.Create("cosine", 0.1, 10).ForEpoch(0));
    }
}
