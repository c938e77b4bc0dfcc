using System.CommandLine;
using Spectre.Console;
using TempBalance.Core;
using TempBalance.Core.Data;
using TorchSharp;

namespace TempBalance.Cli;

/// <summary>`tempbalance info`: what this host would train with.</summary>
public static class InfoCommand
{
    public static Command Create()
    {
        var dataRoot = new Option<string>("--data-root")
        {
            Description = "Folder that holds the datasets (default: $TEMPBALANCE_DATA_ROOT or ./data).",
            DefaultValueFactory = _ => DatasetCatalog.DefaultDataRoot(),
        };
        var command = new Command("info", "Print TorchSharp and libtorch versions, the training device, threads and datasets found.")
        {
            dataRoot,
        };
        command.SetAction(parse => Run(parse.GetValue(dataRoot)!));
        return command;
    }

    static int Run(string dataRoot)
    {
        var table = new Table().AddColumns("", "");
        table.HideHeaders();
        table.AddRow("TorchSharp", TorchDevices.TorchSharpVersion);
        table.AddRow("libtorch", TorchDevices.LibTorchVersion);
        table.AddRow("device", TorchDevices.CudaAvailable
            ? string.Join(", ", Enumerable.Range(0, TorchDevices.CudaDeviceCount).Select(i => $"cuda:{i}"))
            : "cpu (no CUDA device)");
        table.AddRow("threads", torch.get_num_threads().ToString());
        table.AddRow("data root", Markup.Escape(Path.GetFullPath(dataRoot)));
        foreach (var dataset in DatasetCatalog.All.Where(d => d.RequiredFiles.Count > 0))
        {
            var location = DatasetCatalog.Locate(dataset.Name, dataRoot);
            table.AddRow(dataset.Name, location.Found
                ? $"[green]found[/] {Markup.Escape(location.Directory!)}"
                : $"[grey]missing[/] ({Markup.Escape(dataset.Source)})");
        }
        AnsiConsole.Write(table);
        return 0;
    }
}
