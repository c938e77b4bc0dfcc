using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace TempBalance.Web.Tests.Backend;

/// <summary>
/// A private PostgreSQL server for one test class: a cluster made with initdb in a temp folder, started with
/// pg_ctl on a free loopback port (no password: trust), stopped and deleted afterwards. It uses the server
/// programs of the installed postgresql package (scripts/test.sh installs it). PostgreSQL refuses to run as
/// root, so as root (CI) it runs as that package's postgres user.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    /// <summary>The newest installed server's bin folder (Debian and Ubuntu layout), or null.</summary>
    public static string? BinDirectory { get; } = Directory.Exists("/usr/lib/postgresql")
        ? Directory.GetDirectories("/usr/lib/postgresql")
            .Select(version => Path.Combine(version, "bin"))
            .Where(bin => File.Exists(Path.Combine(bin, "initdb")) && File.Exists(Path.Combine(bin, "pg_ctl")))
            .OrderByDescending(bin => int.TryParse(Path.GetFileName(Path.GetDirectoryName(bin)), out var major) ? major : 0)
            .FirstOrDefault()
        : null;

    readonly string _folder = Directory.CreateTempSubdirectory("tempbalance-postgres-").FullName;
    readonly int _port = LocalServer.FreePort();
    bool _started;

    string DataFolder => Path.Combine(_folder, "data");

    public string ConnectionString => $"Host=127.0.0.1;Port={_port};Database=postgres;Username=tempbalance";

    public async Task InitializeAsync()
    {
        if (BinDirectory is null) return; // the tests are skipped (PostgresFactAttribute)
        if (Environment.UserName == "root") await RunAsync("chown", "postgres:postgres", _folder);
        await RunPostgresAsync("initdb", "-D", DataFolder, "-U", "tempbalance", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync");
        // Set first: a start that fails or times out may still have launched the server, which must be stopped.
        _started = true;
        // fsync off: a test database that is thrown away need not survive a power cut.
        await RunPostgresAsync("pg_ctl", "-D", DataFolder, "-l", Path.Combine(_folder, "server.log"), "-w", "-t", "60",
            "-o", $"-p {_port} -k {_folder} -c listen_addresses=127.0.0.1 -c fsync=off", "start");
    }

    public async Task DisposeAsync()
    {
        try
        {
            if (_started && File.Exists(Path.Combine(DataFolder, "postmaster.pid")))
                await RunPostgresAsync("pg_ctl", "-D", DataFolder, "-m", "fast", "-w", "stop");
        }
        finally
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    Task RunPostgresAsync(string program, params string[] args) =>
        Environment.UserName == "root"
            ? RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(BinDirectory!, program), .. args])
            : RunAsync(Path.Combine(BinDirectory!, program), args);

    async Task RunAsync(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _folder };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        if (process.ExitCode != 0)
        {
            var log = Path.Combine(_folder, "server.log");
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed ({process.ExitCode}): {await output}{await errors}" +
                (File.Exists(log) ? $"\nserver log:\n{File.ReadAllText(log)}" : ""));
        }
    }

    /// <summary>Why tests that need PostgreSQL are skipped here, or null where its server programs are installed.</summary>
    public static string? Missing => BinDirectory is null
        ? "PostgreSQL's server programs are not installed (apt-get install postgresql; scripts/test.sh installs them)."
        : null;
}

/// <summary>What the private servers of tests (PostgreSQL, Redis) share.</summary>
static class LocalServer
{
    /// <summary>A loopback port that was free a moment ago.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>A fact that needs PostgreSQL's server programs; skipped, saying how to get them, where they are missing.</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute() => Skip = PostgresServer.Missing;
}
