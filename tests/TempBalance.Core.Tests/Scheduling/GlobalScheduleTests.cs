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
    public void The_largest_epoch_count_neither_overflows_nor_refuses_its_last_epochs()
    {
        // int.MaxValue + 1 and span * 3 overflowed: the last epoch was refused and step rates went wrong.
        var cosine = GlobalSchedule.Create("cosine", 0.1, int.MaxValue);
        Assert.Equal(0.1, cosine.ForEpoch(1), 12);
        Assert.Equal(0.0, cosine.ForEpoch(int.MaxValue), 12);
        var step = GlobalSchedule.Create("step", 0.1, int.MaxValue);
        Assert.Equal(0.1, step.ForEpoch(int.MaxValue / 2), 12);
        Assert.Equal(0.01, step.ForEpoch(int.MaxValue / 2 + 2), 12);
        Assert.Equal(0.001, step.ForEpoch(int.MaxValue), 12);
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

    [Fact]
    public void Sgdr_restarts_with_periods_growing_by_t_mult()
    {
        // T0 = 3, T_mult = 2: epochs 1-3 are one cosine of 3 epochs, 4-9 one of 6, then 10 starts one of 12.
        var schedule = GlobalSchedule.Create(ScheduleKind.Sgdr, 0.1, 10, sgdrT0: 3, sgdrTMult: 2);
        double Cosine(int position, int period) => 0.1 * 0.5 * (1 + Math.Cos(Math.PI * position / period));
        double[] expected = [Cosine(0, 3), Cosine(1, 3), Cosine(2, 3), Cosine(0, 6), Cosine(1, 6), Cosine(2, 6), Cosine(3, 6), Cosine(4, 6), Cosine(5, 6), Cosine(0, 12)];
        Assert.Equal(expected, Enumerable.Range(1, 10).Select(schedule.ForEpoch), (a, b) => Math.Abs(a - b) < 1e-15);
        Assert.Equal(0.1, schedule.ForEpoch(4), 15);
    }

    [Fact]
    public void Sgdr_without_a_period_restarts_at_half_the_epochs()
    {
        var schedule = GlobalSchedule.Create(ScheduleKind.Sgdr, 0.1, 200);
        Assert.Equal(100, schedule.RestartPeriod);
        Assert.Equal(0.1, schedule.ForEpoch(101), 15);
        Assert.Equal(0.05, schedule.ForEpoch(51), 12);
    }

    [Fact]
    public void Sgdr_matches_pytorchs_cosine_annealing_warm_restarts()
    {
        // Optimizers/Goldens/sgdr.json: torch.optim.lr_scheduler.CosineAnnealingWarmRestarts stepped once per epoch
        // (make_optimizer_goldens.py); its rates[e] is our epoch e + 1.
        using var golden = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Optimizers", "Goldens", "sgdr.json")));
        var settings = golden.RootElement.GetProperty("settings").EnumerateArray().ToList();
        Assert.Equal(4, settings.Count);
        foreach (var setting in settings)
        {
            var rates = setting.GetProperty("rates").EnumerateArray().Select(r => r.GetDouble()).ToArray();
            var schedule = GlobalSchedule.Create(ScheduleKind.Sgdr, 0.1, rates.Length,
                sgdrT0: setting.GetProperty("t0").GetInt32(), sgdrTMult: setting.GetProperty("t_mult").GetInt32());
            for (int e = 0; e < rates.Length; e++)
                Assert.True(Math.Abs(schedule.ForEpoch(e + 1) - rates[e]) <= 1e-12, $"T0 {setting.GetProperty("t0")}, epoch {e + 1}: {schedule.ForEpoch(e + 1)} vs {rates[e]}");
        }
    }
}
