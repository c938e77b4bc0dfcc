using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using TempBalance.Web.Tests.Backend;
using TempBalance.Web.Tests.Browser;

namespace TempBalance.Web.Tests;

/// <summary>
/// The web app as scripts/start.sh runs it: `dotnet TempBalance.Web.dll` from the web project's build output, in
/// the Production environment, on a free loopback port. <see cref="StartAsync"/> keeps it serving for a test;
/// <see cref="RunAsync"/> starts it once and reports how the start went (for starts that are meant to fail).
/// </summary>
public sealed partial class AppProcess : IAsyncDisposable
{
    readonly string _dataDirectory;
    readonly bool _ownsDataDirectory;
    readonly StringBuilder _errors = new();
    readonly StringBuilder _output = new();

    AppProcess(Process process, string dataDirectory, bool ownsDataDirectory)
    {
        Process = process;
        _dataDirectory = dataDirectory;
        _ownsDataDirectory = ownsDataDirectory;
    }

    public Process Process { get; }

    public HttpClient Client { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>The app's log (standard output) since it began serving, for assertion messages.</summary>
    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    /// <summary>What the app wrote to its standard error so far (for assertion messages).</summary>
    public string Errors
    {
        get { lock (_errors) return _errors.ToString(); }
    }

    /// <summary>
    /// Starts the app and returns once it serves: Kestrel has logged its port and <paramref name="readyPath"/>
    /// answers "Healthy". With <paramref name="dataDirectory"/> (shared by several processes) the caller deletes it.
    /// </summary>
    public static async Task<AppProcess> StartAsync(IEnumerable<string>? extraArguments = null, string? dataDirectory = null, string readyPath = "/health")
    {
        bool owns = dataDirectory is null;
        dataDirectory ??= TempBalanceAppFactory.CreateDataDirectory();
        var app = new AppProcess(Process.Start(StartInfo(dataDirectory, extraArguments, workingDirectory: dataDirectory))!, dataDirectory, owns);
        await app.WaitUntilServingAsync(readyPath);
        return app;
    }

    async Task WaitUntilServingAsync(string readyPath)
    {
        Process.ErrorDataReceived += (_, e) => { lock (_errors) _errors.AppendLine(e.Data); };
        Process.BeginErrorReadLine();

        // Kestrel logs the port it bound; the app is serving once it has.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        while (await Process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            if (ListeningOn().Match(line) is { Success: true } match)
            {
                Client.BaseAddress = new Uri(match.Groups[1].Value);
                break;
            }
        }
        Assert.True(Client.BaseAddress is not null, $"The app did not start: {Errors}");
        // Keep draining its log, so the app never blocks on a full pipe.
        _ = Task.Run(async () =>
        {
            while (await Process.StandardOutput.ReadLineAsync() is { } line)
                lock (_output) _output.AppendLine(line);
        });
        while (true)
        {
            try
            {
                if (await Client.GetStringAsync(readyPath, timeout.Token) == "Healthy") return;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100, timeout.Token);
        }
    }

    /// <summary>Sends SIGTERM, as `docker stop`, systemd and Ctrl+C in a terminal do, and returns how long the app took to exit.</summary>
    public async Task<TimeSpan> TerminateAsync(TimeSpan patience)
    {
        var clock = Stopwatch.StartNew();
        using (var kill = Process.Start("kill", ["-TERM", Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            await kill.WaitForExitAsync();
        using var timeout = new CancellationTokenSource(patience);
        try
        {
            await Process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
        }
        return clock.Elapsed;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
            await Process.WaitForExitAsync();
        }
        Process.Dispose();
        if (_ownsDataDirectory) TempBalanceAppFactory.DeleteDataDirectory(_dataDirectory);
    }

    /// <summary>How a one-shot start went: its exit code (null while it still served), whether it listened, and its logs.</summary>
    public sealed record Result(int? ExitCode, bool Listening, string Output, string Errors);

    /// <summary>Starts the app, lets it serve for <paramref name="serveFor"/> once it says it listens, stops it, and reports.</summary>
    public static async Task<Result> RunAsync(string dataDirectory, TimeSpan? serveFor = null, IEnumerable<string>? extraArguments = null)
    {
        using var process = Process.Start(StartInfo(dataDirectory, extraArguments, workingDirectory: Path.GetTempPath()))!;
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var listening = new TaskCompletionSource();
        process.OutputDataReceived += (_, e) =>
        {
            lock (stdout) stdout.AppendLine(e.Data);
            if (e.Data?.Contains("Now listening on:", StringComparison.Ordinal) == true) listening.TrySetResult();
        };
        process.ErrorDataReceived += (_, e) => { lock (stderr) stderr.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var exited = process.WaitForExitAsync();
        var first = await Task.WhenAny(exited, listening.Task, Task.Delay(TimeSpan.FromSeconds(90)));
        bool served = first == listening.Task;
        if (served) await Task.Delay(serveFor ?? TimeSpan.Zero);
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        await exited;
        lock (stdout) lock (stderr)
            return new Result(served ? null : process.ExitCode, served, stdout.ToString(), stderr.ToString());
    }

    static ProcessStartInfo StartInfo(string dataDirectory, IEnumerable<string>? extraArguments, string workingDirectory)
    {
        // This test assembly runs from tests/TempBalance.Web.Tests/bin/<Configuration>/net10.0/; the web project
        // was built to src/TempBalance.Web/bin/<Configuration>/net10.0/ with the same configuration.
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var dll = Path.Combine(BrowserFixture.RepositoryRoot(), "src", "TempBalance.Web", "bin", output.Parent!.Name, output.Name, "TempBalance.Web.dll");
        Assert.True(File.Exists(dll), $"The web app's build output is missing: {dll}");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { dll, "--urls", "http://127.0.0.1:0", $"--TempBalance:DataDirectory={dataDirectory}" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        foreach (var argument in extraArguments ?? []) start.ArgumentList.Add(argument);
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        // A start that is meant to fail must not leave a crash dump behind.
        start.Environment["DOTNET_DbgEnableMiniDump"] = "0";
        return start;
    }

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex ListeningOn();
}
