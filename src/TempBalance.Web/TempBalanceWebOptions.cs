using TempBalance.Core.Data;

namespace TempBalance.Web;

/// <summary>The "TempBalance" configuration section.</summary>
public sealed class TempBalanceWebOptions
{
    public const string Section = "TempBalance";

    /// <summary>Holds the SQLite file and runs/{id}/ (checkpoints, results); relative to the working directory.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>"sqlite" (default) or "postgres" (then ConnectionStrings:TempBalance is an Npgsql connection string).</summary>
    public string Database { get; set; } = "sqlite";

    /// <summary>Where datasets are looked up; empty means TEMPBALANCE_DATA_ROOT, else ./data.</summary>
    public string? DatasetRoot { get; set; }

    /// <summary>Training jobs run in parallel; empty means one per CUDA device, or 1 on CPU.</summary>
    public int? Workers { get; set; }

    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A running run whose heartbeat is older than this is marked Interrupted.</summary>
    public TimeSpan StaleRunTimeout { get; set; } = TimeSpan.FromMinutes(2);

    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long stopping the app waits for a training job to reach a batch boundary and stop cleanly.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long stopping the app lets open connections (browser tabs, API requests) finish before it drops them
    /// (<see cref="QuickStop"/>); browsers reconnect to the next start.
    /// </summary>
    public TimeSpan ConnectionDrainTimeout { get; set; } = TimeSpan.FromSeconds(2);

    public HangfireDashboardOptions Hangfire { get; set; } = new();

    /// <summary>A sweep with more runs than this is refused (nothing is queued).</summary>
    public int MaxSweepRuns { get; set; } = Core.Sweeps.SweepSpec.DefaultMaxRuns;

    public string DataDirectoryPath => Path.GetFullPath(DataDirectory);

    public string DatasetRootPath => string.IsNullOrWhiteSpace(DatasetRoot) ? DatasetCatalog.DefaultDataRoot() : Path.GetFullPath(DatasetRoot);

    public string RunDirectory(long runId) => Path.Combine(DataDirectoryPath, "runs", runId.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public string CheckpointPath(long runId) => Path.Combine(RunDirectory(runId), "checkpoint.bin");
}

public sealed class HangfireDashboardOptions
{
    /// <summary>The dashboard at /hangfire answers local requests only unless this is true.</summary>
    public bool AllowRemote { get; set; }
}
