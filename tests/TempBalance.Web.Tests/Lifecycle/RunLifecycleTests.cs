using Microsoft.EntityFrameworkCore;
using TempBalance.Core.Training;
using TempBalance.Web.Data;
using TempBalance.Web.Live;
using TempBalance.Web.Runs;

namespace TempBalance.Web.Tests.Lifecycle;

/// <summary>The run state machine in milliseconds: an in-memory database, a recording job client, a clock the test moves.</summary>
public sealed class RunLifecycleTests : IAsyncLifetime
{
    LifecycleHarness _h = null!;

    public async Task InitializeAsync() => _h = await LifecycleHarness.CreateAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public void The_table_allows_exactly_its_edges_and_nothing_leaves_completed_or_diverged()
    {
        var all = Enum.GetValues<RunStatus>();
        int allowed = 0;
        foreach (var from in all)
            foreach (var to in all)
                foreach (var cause in Enum.GetValues<RunCause>())
                {
                    bool listed = RunTransitions.All.Contains(new RunTransitions.Edge(from, to, cause));
                    Assert.Equal(listed, RunTransitions.IsAllowed(from, to, cause));
                    if (listed) allowed++;
                }
        Assert.Equal(20, allowed);
        Assert.DoesNotContain(RunTransitions.All, e => e.From is RunStatus.Completed or RunStatus.Diverged);
        // What the pages offer follows the table.
        Assert.Equal([RunStatus.Queued, RunStatus.Running], all.Where(s => s.CanCancel()));
        Assert.Equal([RunStatus.Cancelled, RunStatus.Failed, RunStatus.Interrupted], all.Where(s => s.CanResume()));
        Assert.Equal([RunStatus.Cancelled, RunStatus.Completed, RunStatus.Failed, RunStatus.Diverged, RunStatus.Interrupted], all.Where(RunTransitions.CanDelete));
    }

    [Theory]
    [InlineData(RunStatus.Completed)]
    [InlineData(RunStatus.Diverged)]
    [InlineData(RunStatus.Cancelled)]
    public async Task Illegal_transitions_are_conflicts_that_change_nothing(RunStatus status)
    {
        var id = await _h.AddRunAsync(status, lastSequence: 7);

        var cancel = await _h.Lifecycle.CancelAsync(id, RunActor.Anonymous);
        Assert.Equal(RunTransitionOutcome.Conflict, cancel.Outcome);
        Assert.Contains($"already {status}", cancel.Message);
        Assert.Null(await _h.Lifecycle.ClaimAsync(id));
        Assert.Null(await _h.Lifecycle.FinishAsync(id, new JobEnd(RunOutcome.Completed, null, false)));
        if (status != RunStatus.Cancelled)
            Assert.Equal(RunTransitionOutcome.Conflict, (await _h.Lifecycle.ResumeAsync(id, RunActor.Anonymous)).Outcome);

        var run = await _h.ReadAsync(id);
        Assert.Equal(status, run.Status);
        Assert.Equal(7, run.LastSequence);
        Assert.Empty(_h.StatusMessages);
    }

    [Theory]
    [InlineData(RunStatus.Queued)]
    [InlineData(RunStatus.Running)]
    [InlineData(RunStatus.CancelRequested)]
    public async Task Active_runs_cannot_be_resumed_or_deleted(RunStatus status)
    {
        var id = await _h.AddRunAsync(status, heartbeat: _h.Clock.GetUtcNow().UtcDateTime);
        Assert.Equal(RunTransitionOutcome.Conflict, (await _h.Lifecycle.ResumeAsync(id, RunActor.Anonymous)).Outcome);
        var delete = await _h.Lifecycle.DeleteAsync(id, RunActor.Anonymous);
        Assert.Equal(RunTransitionOutcome.Conflict, delete.Outcome);
        Assert.Contains("cancel it before deleting", delete.Message);
        Assert.Equal(status, (await _h.ReadAsync(id)).Status);
        Assert.Empty(_h.Jobs.Enqueued);
    }

    [Fact]
    public async Task A_running_run_is_claimed_again_only_once_its_heartbeat_is_stale()
    {
        var now = _h.Clock.GetUtcNow().UtcDateTime;
        var id = await _h.AddRunAsync(RunStatus.Running, heartbeat: now, lastSequence: 5);

        Assert.Null(await _h.Lifecycle.ClaimAsync(id));
        _h.Clock.Advance(TimeSpan.FromSeconds(119));
        Assert.Null(await _h.Lifecycle.ClaimAsync(id));
        _h.Clock.Advance(TimeSpan.FromSeconds(2));
        Assert.NotNull(await _h.Lifecycle.ClaimAsync(id));

        var run = await _h.ReadAsync(id);
        Assert.Equal(RunStatus.Running, run.Status);
        Assert.Equal(_h.Clock.GetUtcNow().UtcDateTime, run.HeartbeatAt);
        // A fresh heartbeat again: the next delivery of the same job does not train it a second time.
        Assert.Null(await _h.Lifecycle.ClaimAsync(id));
    }

    [Fact]
    public async Task Of_many_jobs_claiming_one_queued_run_at_once_exactly_one_gets_it()
    {
        var id = await _h.QueueRunAsync();
        var claims = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => _h.Lifecycle.ClaimAsync(id))));
        Assert.Single(claims, c => c is not null);
        Assert.Equal([RunStatus.Queued, RunStatus.Running], _h.StatusMessages.Select(m => m.Status));
    }

    [Fact]
    public async Task The_sweeper_interrupts_stale_runs_completes_stale_cancels_and_leaves_live_runs_alone()
    {
        var now = _h.Clock.GetUtcNow().UtcDateTime;
        var stale = await _h.AddRunAsync(RunStatus.Running, heartbeat: now.AddMinutes(-3));
        var staleCancel = await _h.AddRunAsync(RunStatus.CancelRequested, heartbeat: now.AddMinutes(-3));
        var never = await _h.AddRunAsync(RunStatus.Running, heartbeat: null);
        var live = await _h.AddRunAsync(RunStatus.Running, heartbeat: now.AddSeconds(-30));
        var queued = await _h.AddRunAsync(RunStatus.Queued);

        Assert.Equal(3, await _h.Lifecycle.SweepStaleAsync());

        var interrupted = await _h.ReadAsync(stale);
        Assert.Equal(RunStatus.Interrupted, interrupted.Status);
        Assert.StartsWith("No heartbeat since 2026-12-01 11:57:00Z", interrupted.ErrorMessage);
        Assert.Equal(now, interrupted.FinishedAt);
        Assert.Equal(RunStatus.Cancelled, (await _h.ReadAsync(staleCancel)).Status);
        Assert.Equal(RunStatus.Interrupted, (await _h.ReadAsync(never)).Status);
        Assert.Equal(RunStatus.Running, (await _h.ReadAsync(live)).Status);
        Assert.Equal(RunStatus.Queued, (await _h.ReadAsync(queued)).Status);
        Assert.Equal(0, await _h.Lifecycle.SweepStaleAsync());
        // The interrupted run resumes and is queued for a job again.
        Assert.Equal(RunTransitionOutcome.Done, (await _h.Lifecycle.ResumeAsync(stale, RunActor.Anonymous)).Outcome);
        Assert.Equal([stale], _h.Jobs.Enqueued);
    }

    [Fact]
    public async Task Sequence_numbers_keep_growing_across_a_restart_and_are_stored_with_each_change()
    {
        var id = await _h.QueueRunAsync();
        Assert.Equal(1, (await _h.ReadAsync(id)).LastSequence);
        await _h.Lifecycle.ClaimAsync(id);
        await _h.Lifecycle.CancelAsync(id, RunActor.Anonymous);
        var beforeRestart = _h.StatusMessages.Select(m => m.Sequence).ToList();
        Assert.Equal([1, 2, 3], beforeRestart);
        Assert.Equal(3, (await _h.ReadAsync(id)).LastSequence);

        // The process dies with the cancel pending; the next one completes it, then the run is resumed.
        _h.Restart();
        await _h.Lifecycle.RecoverAsync();
        await _h.Lifecycle.ResumeAsync(id, RunActor.Anonymous);
        var after = _h.StatusMessages.Skip(3).ToList();
        Assert.Equal([RunStatus.Cancelled, RunStatus.Queued], after.Select(m => m.Status));
        // Messages after the last stored number (batch progress) may have been seen, so a new process jumps ahead.
        Assert.Equal([3 + 1000, 3 + 1001], after.Select(m => m.Sequence));
        Assert.Equal(1004, (await _h.ReadAsync(id)).LastSequence);
        Assert.Equal("Resumed", after[^1].Message);
    }

    [Fact]
    public async Task Start_up_recovery_queues_running_runs_again_and_completes_pending_cancels()
    {
        var running = await _h.AddRunAsync(RunStatus.Running, heartbeat: _h.Clock.GetUtcNow().UtcDateTime);
        var cancelling = await _h.AddRunAsync(RunStatus.CancelRequested);
        var queued = await _h.AddRunAsync(RunStatus.Queued);
        var failed = await _h.AddRunAsync(RunStatus.Failed);

        var requeued = await _h.Lifecycle.RecoverAsync();

        Assert.Equal([running, queued], requeued);
        Assert.Equal([running, queued], _h.Jobs.Enqueued);
        Assert.Equal(RunStatus.Queued, (await _h.ReadAsync(running)).Status);
        Assert.Equal(RunStatus.Cancelled, (await _h.ReadAsync(cancelling)).Status);
        Assert.Equal(RunStatus.Failed, (await _h.ReadAsync(failed)).Status);
    }

    [Fact]
    public async Task Racing_cancels_resumes_claims_and_ends_never_break_the_table_and_every_resume_is_queued_once()
    {
        var id = await _h.QueueRunAsync();
        int resumes = 0;
        async Task Repeat(Func<Task> action)
        {
            for (int i = 0; i < 40; i++) await action();
        }
        // How many changes interleave depends on the scheduler (a loaded machine runs the tasks almost one after
        // another), so race again until there are enough changes to judge; the table must hold throughout.
        for (int round = 0; round < 10 && _h.StatusMessages.Count(m => m.RunId == id) <= 10; round++)
            await Race();

        async Task Race() => await Task.WhenAll(
            Task.Run(() => Repeat(async () => await _h.Lifecycle.CancelAsync(id, RunActor.Anonymous))),
            Task.Run(() => Repeat(async () =>
            {
                if ((await _h.Lifecycle.ResumeAsync(id, RunActor.Anonymous)).Outcome == RunTransitionOutcome.Done) Interlocked.Increment(ref resumes);
            })),
            Task.Run(() => Repeat(async () =>
            {
                if (await _h.Lifecycle.ClaimAsync(id) is not null)
                    await _h.Lifecycle.FinishAsync(id, new JobEnd(RunOutcome.Cancelled, "stopped", StoppedByShutdown: false));
            })),
            Task.Run(() => Repeat(async () => await _h.Lifecycle.SweepStaleAsync())));

        // In the order of their numbers (threads may publish out of order), each change is an edge of the table
        // from the state the previous one left, and no number is used twice.
        var changes = _h.StatusMessages.Where(m => m.RunId == id).OrderBy(m => m.Sequence).ToList();
        Assert.True(changes.Count > 10, $"only {changes.Count} changes");
        Assert.Equal(changes.Count, changes.Select(m => m.Sequence).Distinct().Count());
        foreach (var (before, after) in changes.Zip(changes.Skip(1)))
            Assert.True(RunTransitions.All.Any(e => e.From == before.Status && e.To == after.Status),
                $"{before.Status} -> {after.Status} is not in the table");
        Assert.Equal(changes[^1].Status, (await _h.ReadAsync(id)).Status);
        Assert.Equal(changes[^1].Sequence, (await _h.ReadAsync(id)).LastSequence);
        Assert.Equal(1 + resumes, _h.Jobs.Enqueued.Count);
    }

    [Fact]
    public async Task Deleting_a_finished_run_removes_its_rows_and_folder()
    {
        var id = await _h.AddRunAsync(RunStatus.Completed);
        var folder = _h.Options.RunDirectory(id);
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "checkpoint.bin"), "weights");

        Assert.Equal(RunTransitionOutcome.Done, (await _h.Lifecycle.DeleteAsync(id, RunActor.Anonymous)).Outcome);
        Assert.False(Directory.Exists(folder));
        await using var db = await _h.Db.CreateDbContextAsync();
        Assert.False(await db.Runs.AnyAsync(r => r.Id == id));
        Assert.Equal(RunTransitionOutcome.NotFound, (await _h.Lifecycle.DeleteAsync(id, RunActor.Anonymous)).Outcome);
    }

    [Fact]
    public async Task Stored_messages_lose_server_paths_and_native_stack_frames()
    {
        var id = await _h.AddRunAsync(RunStatus.Running, heartbeat: _h.Clock.GetUtcNow().UtcDateTime);
        var checkpoint = Path.Combine(_h.Options.RunDirectory(id), "checkpoint.bin");
        var message = $"""
            ExternalException: shape '[64, 10]' is invalid for input of size 12 while writing {checkpoint}
            Exception raised from infer_size_impl at /pytorch/aten/src/ATen/InferSize.h:95 (most recent call first):
            frame #0: c10::Error::Error(c10::SourceLocation, std::string) + 0x8f (0x7f3a in /opt/app/runtimes/linux-x64/native/libc10.so)
            frame #1: <unknown function> + 0x1a2b (0x7f3b in /opt/app/runtimes/linux-x64/native/libtorch_cpu.so)
            """;

        Assert.Equal(RunStatus.Failed, await _h.Lifecycle.FinishAsync(id, new JobEnd(null, message, false)));

        var stored = (await _h.ReadAsync(id)).ErrorMessage!;
        Assert.Equal($"ExternalException: shape '[64, 10]' is invalid for input of size 12 while writing runs/{id}/checkpoint.bin", stored);
        Assert.Equal(stored, _h.StatusMessages.Last().Message);
    }

    [Fact]
    public async Task The_queue_takes_at_most_the_configured_runs_per_person()
    {
        await using var h = await LifecycleHarness.CreateAsync(o => o.Limits.MaxQueuedRunsPerUser = 3);
        var first = await h.Runs.CreateAsync(new NewRunRequest { Config = LifecycleHarness.Config(1), Seeds = 2 });
        Assert.True(first.Succeeded);
        var tooMany = await h.Runs.CreateAsync(new NewRunRequest { Config = LifecycleHarness.Config(1), Seeds = 2 });
        Assert.True(tooMany.QueueFull);
        Assert.Contains("TempBalance:Limits:MaxQueuedRunsPerUser", tooMany.Errors["queue"][0]);
        Assert.Equal(2, h.Jobs.Enqueued.Count);

        // A finished run no longer counts.
        await h.Runs.CancelAsync(first.RunIds[0]);
        Assert.True((await h.Runs.CreateAsync(new NewRunRequest { Config = LifecycleHarness.Config(1) })).Succeeded);
    }

    [Fact]
    public async Task Caps_and_seed_overflow_are_errors_naming_the_field_and_the_setting()
    {
        var errors = RunRequestValidation.Validate(new NewRunRequest
        {
            Config = LifecycleHarness.Config(int.MaxValue) with { WidthFactor = 1e6, BatchSize = 1 << 20, Subset = int.MaxValue, Seed = int.MaxValue },
            Seeds = 2,
        }, _h.Options.DatasetRootPath, _h.Options.Limits);

        Assert.Contains("TempBalance:Limits:MaxEpochs", errors["config.epochs"].Single());
        Assert.Contains("TempBalance:Limits:MaxWidthFactor", errors["config.widthFactor"].Single());
        Assert.Contains("TempBalance:Limits:MaxBatchSize", errors["config.batchSize"].Single());
        Assert.Contains("TempBalance:Limits:MaxSubset", errors["config.subset"].Single());
        Assert.Contains("go past the largest seed, 2147483647", errors["seeds"].Single());
    }

    [Fact]
    public async Task A_page_far_past_the_end_is_empty_instead_of_overflowing_to_page_one()
    {
        await _h.QueueRunAsync();
        var page = await _h.Runs.ListAsync(new RunQuery { Page = int.MaxValue, PageSize = 500 });
        Assert.Empty(page.Items);
        Assert.Equal(1, page.TotalCount);
        Assert.Equal(int.MaxValue, page.Page);
    }
}
