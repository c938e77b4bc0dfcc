using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace TempBalance.Web.Tests.MultiNode;

/// <summary>
/// A private Redis server for one test class: Debian's redis-server on a free loopback port, its files in a temp
/// folder, no persistence; killed and deleted afterwards. scripts/test.sh installs the package.
/// </summary>
public sealed class RedisServer : IAsyncLifetime
{
    public static string? Program { get; } = new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" }.FirstOrDefault(File.Exists);

    readonly string _folder = Directory.CreateTempSubdirectory("tempbalance-redis-").FullName;
    readonly int _port = Backend.LocalServer.FreePort();
    Process? _process;

    /// <summary>A StackExchange.Redis connection string (TempBalance:Redis).</summary>
    public string ConnectionString => $"127.0.0.1:{_port}";

    public async Task InitializeAsync()
    {
        if (Program is null) return; // the tests are skipped (MultiNodeFactAttribute)
        var start = new ProcessStartInfo(Program) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _folder };
        foreach (var arg in new[] { "--port", _port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", _folder,
                     "--save", "", "--appendonly", "no", "--daemonize", "no" })
            start.ArgumentList.Add(arg);
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, _port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !_process.HasExited)
            {
                await Task.Delay(50);
            }
        }
    }

    public async Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    /// <summary>Why tests that need Redis are skipped here, or null where redis-server is installed.</summary>
    public static string? Missing => Program is null
        ? "redis-server is not installed (apt-get install redis-server; scripts/test.sh installs it)."
        : null;
}

/// <summary>A fact that needs redis-server; skipped, saying how to get it, where it is missing.</summary>
public sealed class RedisFactAttribute : FactAttribute
{
    public RedisFactAttribute() => Skip = RedisServer.Missing;
}

/// <summary>A fact that needs both PostgreSQL's server programs and redis-server.</summary>
public sealed class MultiNodeFactAttribute : FactAttribute
{
    public MultiNodeFactAttribute() => Skip = Backend.PostgresServer.Missing ?? RedisServer.Missing;
}
