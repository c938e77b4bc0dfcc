using System.Diagnostics;

namespace TempBalance.Cli.Tests;

/// <summary>Runs the real `tempbalance` program (built next to the tests) as a child process.</summary>
public static class CliRunner
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Result Run(params string[] args) => RunIn(AppContext.BaseDirectory, args);

    /// <summary>How to start `tempbalance` with these arguments, for tests that watch or stop it themselves.</summary>
    public static ProcessStartInfo StartInfo(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "tempbalance.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        // Wide, colourless output so tests can read tables.
        start.Environment["COLUMNS"] = "200";
        start.Environment["NO_COLOR"] = "1";
        return start;
    }

    public static Result RunIn(string workingDirectory, params string[] args)
    {
        using var process = Process.Start(StartInfo(workingDirectory, args))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"tempbalance {string.Join(' ', args)} did not finish in 10 minutes");
        }
        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }
}
