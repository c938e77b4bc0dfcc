using TempBalance.Core;
using TempBalance.Core.Data;

namespace TempBalance.Web;

/// <summary>The "TempBalance" configuration section.</summary>
public sealed class TempBalanceWebOptions
{
    public const string Section = "TempBalance";

    /// <summary>
    /// Holds the SQLite file and runs/{id}/ (checkpoints, results, ESD data); relative to the working directory.
    /// With several nodes it is the run store they share (one volume mounted on every web and worker node), so
    /// any worker can resume any run and the web node serves every run's files.
    /// </summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>"all" (one process does everything), "web" (pages, API, hub; no training) or "worker" (trains; only /health).</summary>
    public string Role { get; set; } = "all";

    /// <summary><see cref="Role"/> read (an unknown value reads as all; the options' validation refuses it).</summary>
    public NodeRole NodeRole => NodeRoles.TryParse(Role, out var role) ? role : NodeRole.All;

    /// <summary>
    /// A StackExchange.Redis connection string (e.g. "redis:6379"): the SignalR backplane and the channel that
    /// carries live updates and cancel requests between nodes. Required for roles web and worker.
    /// </summary>
    public string? Redis { get; set; }

    public QueueOptions Queue { get; set; } = new();

    /// <summary>"sqlite" (default) or "postgres" (then ConnectionStrings:TempBalance is an Npgsql connection string).</summary>
    public string Database { get; set; } = "sqlite";

    /// <summary>Whether <see cref="Database"/> names PostgreSQL (whose job queue outlives any one process).</summary>
    public bool UsesPostgres => Database?.Trim().ToLowerInvariant() is "postgres" or "postgresql";

    /// <summary>Whether <see cref="Database"/> names SQLite; neither this nor <see cref="UsesPostgres"/> is a bad setting.</summary>
    public bool UsesSqlite => Database?.Trim().ToLowerInvariant() is "sqlite";

    /// <summary>Where datasets are looked up; empty means TEMPBALANCE_DATA_ROOT, else ./data.</summary>
    public string? DatasetRoot { get; set; }

    /// <summary>Training jobs run in parallel; empty means one per CUDA device, or 1 on CPU.</summary>
    public int? Workers { get; set; }

    /// <summary>How many training jobs a training node runs at once: <see cref="Workers"/>, or its default.</summary>
    public int WorkerCount => Workers ?? Math.Max(1, TorchDevices.CudaDeviceCount);

    /// <summary>
    /// Torch CPU threads each training job uses: the cores shared among <see cref="WorkerCount"/> jobs, at least one.
    /// Small models train faster as several one-thread runs side by side than one at a time on every core (the
    /// edge-of-chaos FNN: docs/benchmarks.md), and jobs that each took every core would fight over them.
    /// </summary>
    public int CpuThreadsPerJob => TorchThreads.ShareOfCores(WorkerCount);

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
    public RunLimits Limits { get; set; } = new();

    /// <summary>"TempBalance:Diagnosis": uploads of models to diagnose.</summary>
    public DiagnosisLimits Diagnosis { get; set; } = new();

    public ProxyOptions ForwardedHeaders { get; set; } = new();

    /// <summary>/health/ready reports the data folder unhealthy when less than this is free (a run's checkpoint needs room).</summary>
    public int MinFreeSpaceMegabytes { get; set; } = 100;

    public string DataDirectoryPath => Path.GetFullPath(DataDirectory);

    public string DatasetRootPath => string.IsNullOrWhiteSpace(DatasetRoot) ? DatasetCatalog.DefaultDataRoot() : Path.GetFullPath(DatasetRoot);

    public string RunDirectory(long runId) => Path.Combine(DataDirectoryPath, "runs", runId.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Where a diagnosis keeps its uploaded file (or a zip's extracted files).</summary>
    public string DiagnosisDirectory(long diagnosisId) => Path.Combine(DataDirectoryPath, "diagnoses", diagnosisId.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Uploads being received, before they become a diagnosis.</summary>
    public string IncomingUploadsDirectory => Path.Combine(DataDirectoryPath, "diagnoses", "incoming");

    public string CheckpointPath(long runId) => Path.Combine(RunDirectory(runId), "checkpoint.bin");
}

/// <summary>"TempBalance:Queue": how the PostgreSQL job queue hands training jobs to workers.</summary>
public sealed class QueueOptions
{
    /// <summary>
    /// A job whose worker stopped renewing it (killed, or cut off from the database) is handed to another worker
    /// after this long. A live worker renews its jobs all along, so long trainings are never delivered twice.
    /// </summary>
    public TimeSpan InvisibilityTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often an idle worker asks the queue for a job.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(15);
}

public sealed class HangfireDashboardOptions
{
    /// <summary>The dashboard at /hangfire answers local requests only unless this is true.</summary>
    public bool AllowRemote { get; set; }
}

/// <summary>"TempBalance:Limits": what one request or one person may ask of this server.</summary>
public sealed class RunLimits
{
    public int MaxEpochs { get; set; } = 1000;
    public double MaxWidthFactor { get; set; } = 8;
    public int MaxBatchSize { get; set; } = 4096;

    /// <summary>The largest training subset (images); larger datasets can still train whole by leaving subset empty.</summary>
    public int MaxSubset { get; set; } = 1_000_000;

    public int MaxSeeds { get; set; } = 20;

    /// <summary>Runs one person may have queued or training at once (until runs have owners: all runs together).</summary>
    public int MaxQueuedRunsPerUser { get; set; } = 100;

    /// <summary>POST /api/runs and /api/quickstart requests per client and minute.</summary>
    public int RunCreationsPerMinute { get; set; } = 30;

    /// <summary>The largest request body the API reads; larger ones are refused with 413.</summary>
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;
}

/// <summary>"TempBalance:Diagnosis": what one model upload may be.</summary>
public sealed class DiagnosisLimits
{
    /// <summary>The largest upload (a file, or a zip and what it unpacks to); larger ones are refused with 413.</summary>
    public long MaxUploadBytes { get; set; } = 2L << 30;
}

/// <summary>
/// "TempBalance:ForwardedHeaders": the reverse proxies whose X-Forwarded-For/-Proto are believed. None by
/// default: then forwarded headers are ignored, and a request that carries them is never "local".
/// </summary>
public sealed class ProxyOptions
{
    /// <summary>Proxy addresses, e.g. ["127.0.0.1"] for a proxy on the same host.</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Proxy networks in CIDR notation, e.g. ["10.0.0.0/8"].</summary>
    public List<string> KnownNetworks { get; set; } = [];
}
