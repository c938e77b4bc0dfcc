using System.Text.Json;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TempBalance.Core.Diagnosis;
using TempBalance.Core.Spectral;
using TempBalance.Web.Data;
using TempBalance.Web.Jobs;
using TempBalance.Web.Runs;

namespace TempBalance.Web.Diagnoses;

/// <summary>
/// The Hangfire job that analyses one uploaded model with Core's <see cref="ModelDiagnosis"/> and stores every
/// layer's metrics and ESD histogram in one SaveChanges. Problems of single tensors are kept with the result; a
/// problem that leaves nothing to analyse, or any other failure, marks the diagnosis Failed with one line that
/// names the file and never a server path. Runs on its own queue, so a diagnosis does not wait behind training.
/// </summary>
public sealed class DiagnosisJob(
    IDbContextFactory<TempBalanceDbContext> dbFactory,
    IOptions<TempBalanceWebOptions> options,
    UserMessageCleaner cleaner,
    TimeProvider time,
    ILogger<DiagnosisJob> logger)
{
    public const string Queue = "diagnosis";

    static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(1);

    [Queue(Queue)]
    [AutomaticRetry(Attempts = 0)]
    public async Task RunAsync(long diagnosisId, CancellationToken shutdown)
    {
        Diagnosis? diagnosis;
        await using (var db = await dbFactory.CreateDbContextAsync(shutdown))
        {
            // Claim: only a queued diagnosis starts, so one delivered twice is analysed once.
            var claimed = await db.Diagnoses.Where(d => d.Id == diagnosisId && d.Status == DiagnosisStatus.Queued)
                .ExecuteUpdateAsync(s => s.SetProperty(d => d.Status, DiagnosisStatus.Running).SetProperty(d => d.StartedAt, time.GetUtcNow().UtcDateTime), shutdown);
            if (claimed == 0) return;
            diagnosis = await db.Diagnoses.AsNoTracking().FirstAsync(d => d.Id == diagnosisId, shutdown);
        }

        var folder = options.Value.DiagnosisDirectory(diagnosisId);
        var settings = JsonSerializer.Deserialize<DiagnosisSettings>(diagnosis.OptionsJson, new JsonSerializerOptions(JsonSerializerDefaults.Web)) ?? new DiagnosisSettings();
        var input = DiagnosisService.InputPath(folder, diagnosis.FileName);
        DiagnosisReport? report = null;
        string? error = null;
        try
        {
            var progress = new ProgressWriter(dbFactory, time, diagnosisId);
            // The analysis holds its thread for seconds to minutes: a thread of its own, not one of the pool's.
            report = await Task.Factory.StartNew(() => ModelDiagnosis.Analyze(input, settings.ToOptions(), progress, shutdown),
                CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
        {
            // The app is stopping: start again at the next start (RecoverAsync).
            await SetQueuedAsync(diagnosisId);
            return;
        }
        catch (DiagnosisInputException e)
        {
            error = DiagnosisService.Describe(e.Failures[0], folder, diagnosis.FileName)
                + (e.Failures.Count > 1 ? $" (and {e.Failures.Count - 1} more problem{(e.Failures.Count == 2 ? "" : "s")})" : "");
        }
        catch (Exception e)
        {
            logger.LogError(e, "Diagnosis {Id} failed", diagnosisId);
            error = $"{diagnosis.FileName}: the analysis failed: {cleaner.Clean(e.Message).Split('\n', 2)[0].Trim()}";
        }
        finally
        {
            NativeMemory.ReturnFreedMemory();
        }

        if (report is not null)
        {
            try
            {
                await StoreAsync(diagnosisId, report, folder, diagnosis.FileName);
                logger.LogInformation("Diagnosis {Id}: {Layers} layers in {Seconds:0.0} s", diagnosisId, report.Layers.Count, report.Elapsed.TotalSeconds);
                return;
            }
            catch (Exception e)
            {
                logger.LogError(e, "Diagnosis {Id}: storing the result failed", diagnosisId);
                error = StorageFaults.Classify(e) == StorageFault.Full
                    ? $"{diagnosis.FileName}: the server's database or data folder is full; the result could not be stored."
                    : $"{diagnosis.FileName}: the result could not be stored.";
            }
        }
        await FailAsync(diagnosisId, cleaner.Clean(error!));
    }

    async Task StoreAsync(long id, DiagnosisReport report, string folder, string fileName)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        var diagnosis = await db.Diagnoses.FirstOrDefaultAsync(d => d.Id == id);
        if (diagnosis is null) return;
        db.DiagnosisLayers.AddRange(report.Layers.Select(l => new DiagnosisLayer
        {
            DiagnosisId = id,
            LayerIndex = l.Index,
            Name = l.Name,
            Kind = l.Kind.ToString(),
            Shape = string.Join("x", l.Shape),
            DType = l.DType,
            Part = l.Part,
            PartCount = l.PartCount,
            Rows = l.Rows,
            Columns = l.Columns,
            EigsNum = l.EigenvalueCount,
            Alpha = l.Alpha,
            D = l.D,
            Xmin = l.Xmin,
            TailSize = l.TailSize,
            AlphaWeighted = l.AlphaWeighted,
            LogSpectralNorm = l.LogSpectralNorm,
            LogNorm = l.LogNorm,
            LogAlphaNorm = l.LogAlphaNorm,
            StableRank = l.StableRank,
            MatrixEntropy = l.MatrixEntropy,
            NumSpikes = l.NumSpikes,
            MpBulkMax = l.MpBulkMax,
            Verdict = l.Verdict,
            FitError = l.FitError is { } fitError ? Shorten(fitError, 1000) : null,
            Histogram = EsdHistogramBlob.Pack(EsdHistogramBuilder.Build(l.Spectrum.Eigenvalues)),
        }));
        diagnosis.Status = DiagnosisStatus.Completed;
        diagnosis.FinishedAt = time.GetUtcNow().UtcDateTime;
        diagnosis.LayerCount = report.Layers.Count;
        diagnosis.LayersDone = report.Layers.Count;
        diagnosis.LayerTotal = report.Layers.Count;
        diagnosis.MeanAlpha = report.Summary.MeanAlpha;
        diagnosis.Summary = report.Summary.Describe();
        diagnosis.SkippedCount = report.Skipped.Count;
        diagnosis.Skipped = report.Skipped.Count == 0 ? null : string.Join('\n', report.Skipped.Take(200).Select(s => $"{s.Name}: {s.Detail}"));
        diagnosis.InputErrors = report.Failures.Count == 0 ? null : string.Join('\n', report.Failures.Select(f => DiagnosisService.Describe(f, folder, fileName)));
        diagnosis.ElapsedSeconds = report.Elapsed.TotalSeconds;
        await db.SaveChangesAsync();
    }

    static string Shorten(string text, int max) => text.Length > max ? text[..(max - 1)] + "…" : text;

    async Task FailAsync(long id, string message)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        await db.Diagnoses.Where(d => d.Id == id).ExecuteUpdateAsync(s => s
            .SetProperty(d => d.Status, DiagnosisStatus.Failed)
            .SetProperty(d => d.ErrorMessage, Shorten(message, UserMessages.MaxLength))
            .SetProperty(d => d.FinishedAt, time.GetUtcNow().UtcDateTime));
        logger.LogWarning("Diagnosis {Id} failed: {Message}", id, message);
    }

    async Task SetQueuedAsync(long id)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        await db.Diagnoses.Where(d => d.Id == id).ExecuteUpdateAsync(s => s.SetProperty(d => d.Status, DiagnosisStatus.Queued).SetProperty(d => d.LayersDone, 0));
    }

    /// <summary>Stores how many layers are done, at most once a second (the page polls it).</summary>
    sealed class ProgressWriter(IDbContextFactory<TempBalanceDbContext> dbFactory, TimeProvider time, long id) : IProgress<DiagnosisProgress>
    {
        DateTime _last = DateTime.MinValue;

        public void Report(DiagnosisProgress value)
        {
            var now = time.GetUtcNow().UtcDateTime;
            if (now - _last < ProgressInterval && value.LayersDone != value.LayerCount) return;
            _last = now;
            using var db = dbFactory.CreateDbContext();
            db.Diagnoses.Where(d => d.Id == id && d.Status == DiagnosisStatus.Running)
                .ExecuteUpdate(s => s.SetProperty(d => d.LayersDone, value.LayersDone).SetProperty(d => d.LayerTotal, value.LayerCount));
        }
    }
}
