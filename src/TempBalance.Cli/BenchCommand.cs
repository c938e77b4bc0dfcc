using System.CommandLine;

namespace TempBalance.Cli;

/// <summary>`tempbalance bench`: benchmarks that print numbers for docs/benchmarks.md.</summary>
public static class BenchCommand
{
    public static Command Create() => new("bench", "Benchmarks: each sub-command prints timings with the machine and settings.")
    {
        BenchTrainCommand.Create(),
    };
}
