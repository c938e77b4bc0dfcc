using System.CommandLine;
using TempBalance.Cli;

var root = new RootCommand("TempBalance: layer-wise learning rates from heavy-tailed spectral analysis.")
{
    InfoCommand.Create(),
    TrainCommand.Create(),
    SweepCommand.Create(),
    AnalyzeCommand.Create(),
    BenchCommand.Create(),
};
return root.Parse(args).Invoke();
