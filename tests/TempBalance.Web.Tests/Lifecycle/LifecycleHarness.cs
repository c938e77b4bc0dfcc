using System.Collections.Concurrent;
using Hangfire;
using Hangfire.Common;
using Hangfire.States;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using TempBalance.Core.Training;
using TempBalance.Web.Data;
using TempBalance.Web.Jobs;
using TempBalance.Web.Live;
using TempBalance.Web.Runs;

namespace TempBalance.Web.Tests.Lifecycle;

/// <summary>
/// The run lifecycle without a web host, TorchSharp or Hangfire: an in-memory SQLite database with the real
/// migrations, a job client that records what is enqueued, a clock the test moves, and a scripted trainer.
/// <see cref="Restart"/> makes a new process's in-memory parts over the same database.
/// </summary>
public sealed class LifecycleHarness : IAsyncDisposable
{
    readonly SqliteConnection _keepAlive;
    readonly string _connectionString = $"Data Source=file:lifecycle-{Guid.NewGuid():N}?mode=memory&cache=shared";

    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("tempbalance-lifecycle-").FullName;
    public TempBalanceWebOptions Options { get; }
    public ManualClock Clock { get; } = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
    public RecordingJobClient Jobs { get; private set; } = new();
    public TrainingUpdates Updates { get; private set; } = null!;
    public RunCancellations Cancellations { get; private set; } = null!;
    public RunLifecycle Lifecycle { get; private set; } = null!;
    public RunService Runs { get; private set; } = null!;
    public ScriptedTrainerFactory Trainers { get; } = new();
    public IDbContextFactory<TempBalanceDbContext> Db { get; }

    /// <summary>Every StatusChanged message published, in order.</summary>
    public ConcurrentQueue<StatusChangedUpdate> StatusMessages { get; } = new();

    /// <summary>Every message published, in order.</summary>
    public ConcurrentQueue<RunUpdate> Messages { get; } = new();

    LifecycleHarness(Action<TempBalanceWebOptions>? configure)
    {
        Options = new TempBalanceWebOptions { DataDirectory = DataDirectory, StaleRunTimeout = TimeSpan.FromMinutes(2), HeartbeatInterval = TimeSpan.FromMinutes(1) };
        configure?.Invoke(Options);
        _keepAlive = new SqliteConnection(_connectionString);
        _keepAlive.Open();
        Db = new Factory(new DbContextOptionsBuilder<TempBalanceDbContext>().UseSqlite(_connectionString).Options);
        Restart();
    }

    public static async Task<LifecycleHarness> CreateAsync(Action<TempBalanceWebOptions>? configure = null)
    {
        var harness = new LifecycleHarness(configure);
        await new DatabaseSettings(false, harness._connectionString).MigrateAsync();
        return harness;
    }

    /// <summary>A new process on the same database: new sequence counters, cancellation registry and job client.</summary>
    public void Restart()
    {
        Jobs = new RecordingJobClient();
        Updates = new TrainingUpdates(NullLogger<TrainingUpdates>.Instance);
        Updates.SubscribeAll(update =>
        {
            Messages.Enqueue(update);
            if (update is StatusChangedUpdate status) StatusMessages.Enqueue(status);
        });
        Cancellations = new RunCancellations();
        var options = Microsoft.Extensions.Options.Options.Create(Options);
        Lifecycle = new RunLifecycle(Db, Jobs, Updates, Cancellations, new UserMessageCleaner(options), options, Clock, NullLogger<RunLifecycle>.Instance);
        Runs = new RunService(Db, Lifecycle, Updates, options);
    }

    public TrainingJob Job() => new(Db, Lifecycle, Trainers, Updates, Cancellations, Microsoft.Extensions.Options.Options.Create(Options), Clock, NullLogger<TrainingJob>.Instance);

    /// <summary>Stores a run directly in the given state (as a crash or an earlier process left it).</summary>
    public async Task<long> AddRunAsync(RunStatus status, DateTime? heartbeat = null, long lastSequence = 0, int epochs = 3)
    {
        await using var db = await Db.CreateDbContextAsync();
        var run = Run.For(Config(epochs), status, Clock.GetUtcNow().UtcDateTime);
        run.HeartbeatAt = heartbeat;
        run.LastSequence = lastSequence;
        db.Runs.Add(run);
        await db.SaveChangesAsync();
        return run.Id;
    }

    /// <summary>A queued run made the way the app makes them.</summary>
    public async Task<long> QueueRunAsync(int epochs = 3)
    {
        var result = await Runs.CreateAsync(new NewRunRequest { Config = Config(epochs) });
        Assert.True(result.Succeeded, string.Join(" ", result.Errors.SelectMany(e => e.Value)));
        return result.RunIds.Single();
    }

    // The synthetic dataset needs no files, so validation passes without any dataset on disk.
    public static TrainingConfig Config(int epochs) => RecipePresets.WithTempBalance(
        new TrainingConfig { Model = "smallcnn", Dataset = "synthetic", Epochs = epochs, BatchSize = 16, Subset = 64, Device = "cpu" }, false);

    public async Task<Run> ReadAsync(long id)
    {
        await using var db = await Db.CreateDbContextAsync();
        return await db.Runs.AsNoTracking().SingleAsync(r => r.Id == id);
    }

    public async ValueTask DisposeAsync()
    {
        await _keepAlive.DisposeAsync();
        try { Directory.Delete(DataDirectory, recursive: true); }
        catch (IOException) { }
    }

    sealed class Factory(DbContextOptions<TempBalanceDbContext> options) : IDbContextFactory<TempBalanceDbContext>
    {
        public TempBalanceDbContext CreateDbContext() => new(options);
    }
}

/// <summary>A clock that moves only when the test says so.</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}

/// <summary>Records the run ids of enqueued training jobs instead of running them.</summary>
public sealed class RecordingJobClient : IBackgroundJobClient
{
    public ConcurrentQueue<long> Enqueued { get; } = new();

    public string Create(Job job, IState state)
    {
        Assert.Equal(nameof(TrainingJob.RunAsync), job.Method.Name);
        Enqueued.Enqueue((long)job.Args[0]);
        return Guid.NewGuid().ToString();
    }

    public bool ChangeState(string jobId, IState state, string expectedState) => true;
}

/// <summary>Trainers whose run is a script the test writes; each created trainer is kept for the test to inspect.</summary>
public sealed class ScriptedTrainerFactory : ITrainerFactory
{
    public Func<ScriptedTrainer, CancellationToken, TrainingResult> Script { get; set; } = (trainer, _) => trainer.Complete();

    public ConcurrentQueue<ScriptedTrainer> Created { get; } = new();

    public ITrainer Create(TrainingConfig config, string runDirectory, string datasetRoot)
    {
        var trainer = new ScriptedTrainer(config, runDirectory, Script);
        Created.Enqueue(trainer);
        return trainer;
    }
}

public sealed class ScriptedTrainer(TrainingConfig config, string runDirectory, Func<ScriptedTrainer, CancellationToken, TrainingResult> script) : ITrainer
{
    readonly List<EpochReport> _epochs = [];

    public TrainingConfig Config { get; } = config;
    public string RunDirectory { get; } = runDirectory;

    public event Action<BatchProgress>? BatchCompleted;
    public event Action<EpochReport>? EpochCompleted;
    public event Action<string>? Notice;
    public event Action<RunEnvironment>? Started;
    public event Action<PhaseChange>? PhaseChanged;

    public TrainingResult Run(CancellationToken cancellationToken)
    {
        Notice?.Invoke("scripted");
        Started?.Invoke(new RunEnvironment("cpu", "test", 1, "0", "0", "0", "test", "test", 64, 64));
        return script(this, cancellationToken);
    }

    /// <summary>Reports epoch <paramref name="epoch"/> as the real trainer does after checkpointing it.</summary>
    public void ReportEpoch(int epoch)
    {
        PhaseChanged?.Invoke(new PhaseChange(epoch, TrainingPhase.Training));
        if (epoch > 0) BatchCompleted?.Invoke(new BatchProgress(epoch, 4, 4, 1.0 / epoch, 0.5, 100, TimeSpan.Zero, []));
        var report = new EpochReport(epoch, 1.0 / (epoch + 1), 0.5, 1.0 / (epoch + 1), 0.4 + 0.1 * epoch, epoch == 0 ? null : 0.05, 1, 0.1,
            [new LayerReport(0, "conv", "Conv2d", 16, 3.0, 0.05, 0.1, 2.0, 1.0, epoch == 0 ? null : 0.05, 0.05, false, null, new EsdHistogram([0, 1], [3]))]);
        _epochs.Add(report);
        EpochCompleted?.Invoke(report);
    }

    /// <summary>Reports every epoch from 0 and completes.</summary>
    public TrainingResult Complete()
    {
        for (int e = 0; e <= Config.Epochs; e++) ReportEpoch(e);
        return new TrainingResult(RunOutcome.Completed, null, _epochs);
    }

    public TrainingResult Stopped(string message) => new(RunOutcome.Cancelled, message, _epochs);
}
