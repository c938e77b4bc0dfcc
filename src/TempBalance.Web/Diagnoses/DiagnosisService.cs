using System.Security.Claims;
using System.Text.Json;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TempBalance.Core.Diagnosis;
using TempBalance.Web.Auth;
using TempBalance.Web.Data;
using TempBalance.Web.Runs;

namespace TempBalance.Web.Diagnoses;

/// <summary>
/// Diagnoses of uploaded models: creating one (options checked, the file's headers read by Core, then stored and
/// queued), history, layers, spectra, comparisons, deletion and recovery at start. The job that analyses is
/// <see cref="DiagnosisJob"/>; who may change what is <see cref="RunAccess"/>'s rule.
/// </summary>
public sealed class DiagnosisService(
    IDbContextFactory<TempBalanceDbContext> dbFactory,
    IBackgroundJobClient jobs,
    DiagnosisUploads uploads,
    RunAccess access,
    IOptions<TempBalanceWebOptions> options,
    TimeProvider time,
    ILogger<DiagnosisService> logger)
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public DiagnosisUploads Uploads => uploads;

    /// <summary>
    /// Turns a received upload into a queued diagnosis. Refused with <see cref="DiagnosisUploadException"/> (and
    /// the upload removed): options that cannot work (400 naming the field), or a file Core cannot list — truncated
    /// or corrupt, a wrong safetensors header length, an unknown dtype, a pickle that asks for code (400, one line
    /// naming the file and the problem).
    /// </summary>
    public async Task<CreatedDiagnosis> CreateAsync(StoredUpload upload, DiagnosisSettings settings, RunActor actor, CancellationToken cancellationToken = default)
    {
        try
        {
            if (settings.Validate().FirstOrDefault() is { Key: { } field, Value: { } messages })
                throw new DiagnosisUploadException(StatusCodes.Status400BadRequest, field, messages[0]);
            var input = InputPath(upload.Folder, upload.FileName);
            var inspection = await Task.Run(() => ModelDiagnosis.Inspect([input], cancellationToken), cancellationToken);
            if (inspection.Failures.Count > 0)
                throw new DiagnosisUploadException(StatusCodes.Status400BadRequest, "file", Describe(inspection.Failures[0], upload.Folder, upload.FileName));
            if (inspection.TensorCount == 0)
                throw new DiagnosisUploadException(StatusCodes.Status400BadRequest, "file", $"{upload.FileName}: holds no tensors.");

            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var diagnosis = new Diagnosis
            {
                FileName = upload.FileName,
                FileBytes = upload.Bytes,
                OptionsJson = JsonSerializer.Serialize(settings, Json),
                Status = DiagnosisStatus.Queued,
                CreatedAt = time.GetUtcNow().UtcDateTime,
                CreatedBy = actor.Name,
                CreatedByUserId = actor.UserId,
            };
            db.Diagnoses.Add(diagnosis);
            await db.SaveChangesAsync(cancellationToken);
            var folder = options.Value.DiagnosisDirectory(diagnosis.Id);
            try
            {
                if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
                Directory.CreateDirectory(Path.GetDirectoryName(folder)!);
                Directory.Move(upload.Folder, folder);
            }
            catch
            {
                db.Diagnoses.Remove(diagnosis);
                await db.SaveChangesAsync(CancellationToken.None);
                throw;
            }
            logger.LogInformation("Diagnosis {Id}: {File} ({Bytes} bytes) queued by {Actor}", diagnosis.Id, upload.FileName, upload.Bytes, actor.Name);
            Enqueue(diagnosis.Id);
            return new CreatedDiagnosis(diagnosis.Id, diagnosis.Status);
        }
        finally
        {
            DiagnosisUploads.Discard(upload.Folder);
        }
    }

    void Enqueue(long id) => jobs.Enqueue<DiagnosisJob>(job => job.RunAsync(id, CancellationToken.None));

    /// <summary>What Core reads: the uploaded file, or the folder a zip was unpacked into.</summary>
    public static string InputPath(string folder, string fileName) =>
        DiagnosisUploads.IsZip(fileName) ? Path.Combine(folder, DiagnosisUploads.ZipFolder) : Path.Combine(folder, fileName);

    /// <summary>A failure in one line, naming the file as uploaded (a zip's files as "upload.zip/name"), never a server path.</summary>
    public static string Describe(DiagnosisFailure failure, string folder, string fileName) =>
        (failure with { Source = DisplayName(failure.Source, folder, fileName) }).Message;

    static string DisplayName(string source, string folder, string fileName)
    {
        var full = Path.GetFullPath(source, folder);
        var relative = Path.GetRelativePath(folder, full);
        if (relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative)) return Path.GetFileName(source);
        var zipPrefix = DiagnosisUploads.ZipFolder + Path.DirectorySeparatorChar;
        if (DiagnosisUploads.IsZip(fileName))
            return relative == DiagnosisUploads.ZipFolder ? fileName : relative.StartsWith(zipPrefix, StringComparison.Ordinal) ? $"{fileName}/{relative[zipPrefix.Length..]}" : relative;
        return relative;
    }

    /// <summary>Every diagnosis, newest first.</summary>
    public async Task<IReadOnlyList<DiagnosisSummaryView>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.Diagnoses.AsNoTracking().OrderByDescending(d => d.CreatedAt).ThenByDescending(d => d.Id).ToListAsync(cancellationToken);
        return [.. rows.Select(ToView)];
    }

    /// <summary>One diagnosis without its layers (what a page polls while it runs).</summary>
    public async Task<DiagnosisSummaryView?> GetSummaryAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Diagnoses.AsNoTracking().FirstOrDefaultAsync(d => d.Id == id, cancellationToken) is { } diagnosis ? ToView(diagnosis) : null;
    }

    public async Task<DiagnosisDetails?> GetAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var diagnosis = await db.Diagnoses.AsNoTracking().FirstOrDefaultAsync(d => d.Id == id, cancellationToken);
        if (diagnosis is null) return null;
        var layers = await db.DiagnosisLayers.AsNoTracking().Where(l => l.DiagnosisId == id).OrderBy(l => l.LayerIndex)
            .Select(l => new DiagnosisLayerView(l.LayerIndex, l.Name, l.Kind, l.Shape, l.DType, l.Part, l.PartCount, l.Rows, l.Columns, l.EigsNum,
                l.Alpha, l.D, l.Xmin, l.TailSize, l.AlphaWeighted, l.LogSpectralNorm, l.LogNorm, l.LogAlphaNorm, l.StableRank, l.MatrixEntropy,
                l.NumSpikes, l.MpBulkMax, l.Verdict, l.FitError))
            .ToListAsync(cancellationToken);
        return new DiagnosisDetails(ToView(diagnosis), SettingsOf(diagnosis), layers, diagnosis.SkippedCount, Lines(diagnosis.Skipped), Lines(diagnosis.InputErrors),
            diagnosis.ElapsedSeconds);
    }

    public async Task<DiagnosisSpectrum?> GetSpectrumAsync(long id, int layerIndex, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var layer = await db.DiagnosisLayers.AsNoTracking().FirstOrDefaultAsync(l => l.DiagnosisId == id && l.LayerIndex == layerIndex, cancellationToken);
        if (layer is null) return null;
        var histogram = EsdHistogramBlob.Unpack(layer.Histogram);
        var view = new DiagnosisLayerView(layer.LayerIndex, layer.Name, layer.Kind, layer.Shape, layer.DType, layer.Part, layer.PartCount, layer.Rows, layer.Columns,
            layer.EigsNum, layer.Alpha, layer.D, layer.Xmin, layer.TailSize, layer.AlphaWeighted, layer.LogSpectralNorm, layer.LogNorm, layer.LogAlphaNorm,
            layer.StableRank, layer.MatrixEntropy, layer.NumSpikes, layer.MpBulkMax, layer.Verdict, layer.FitError);
        return new DiagnosisSpectrum(view, histogram.Log10BinEdges, histogram.Counts);
    }

    /// <summary>Two diagnoses with their layers matched by name; null when either does not exist.</summary>
    public async Task<DiagnosisComparison?> CompareAsync(long before, long after, CancellationToken cancellationToken = default) =>
        await GetAsync(before, cancellationToken) is { } a && await GetAsync(after, cancellationToken) is { } b ? DiagnosisComparison.Of(a, b) : null;

    /// <summary>May this person delete the diagnosis? Its creator (a researcher) or an admin; everyone without accounts.</summary>
    public bool CanChange(ClaimsPrincipal user, DiagnosisSummaryView diagnosis) => access.CanChange(user, diagnosis.CreatedByUserId);

    public async Task<RunChangeCheck> CheckChangeAsync(ClaimsPrincipal user, long id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var row = await db.Diagnoses.AsNoTracking().Where(d => d.Id == id).Select(d => new { d.CreatedByUserId }).FirstOrDefaultAsync(cancellationToken);
        if (row is null) return RunChangeCheck.NotFound;
        return access.CanChange(user, row.CreatedByUserId) ? RunChangeCheck.Allowed : RunChangeCheck.Forbidden;
    }

    /// <summary>Deletes a finished diagnosis with its layers and files; one still queued or running is left alone.</summary>
    public async Task<DiagnosisDeletion> DeleteAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var deleted = await db.Diagnoses.Where(d => d.Id == id && (d.Status == DiagnosisStatus.Completed || d.Status == DiagnosisStatus.Failed))
            .ExecuteDeleteAsync(cancellationToken);
        if (deleted == 0)
            return await db.Diagnoses.AnyAsync(d => d.Id == id, cancellationToken) ? DiagnosisDeletion.StillRunning : DiagnosisDeletion.NotFound;
        // SQLite's foreign keys cascade in the database; say so explicitly for any provider that would not.
        await db.DiagnosisLayers.Where(l => l.DiagnosisId == id).ExecuteDeleteAsync(cancellationToken);
        DiagnosisUploads.Discard(options.Value.DiagnosisDirectory(id));
        logger.LogInformation("Diagnosis {Id} deleted", id);
        return DiagnosisDeletion.Deleted;
    }

    /// <summary>
    /// At start: a diagnosis the last process was running starts again, and every queued one is queued again (the
    /// in-memory job queue did not survive the restart; a job finding its diagnosis already claimed does nothing).
    /// Leftover incoming uploads are removed.
    /// </summary>
    public async Task RecoverAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await db.Diagnoses.Where(d => d.Status == DiagnosisStatus.Running)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.Status, DiagnosisStatus.Queued).SetProperty(d => d.LayersDone, 0), cancellationToken);
        var queued = await db.Diagnoses.Where(d => d.Status == DiagnosisStatus.Queued).Select(d => d.Id).ToListAsync(cancellationToken);
        foreach (var id in queued) Enqueue(id);
        DiagnosisUploads.Discard(options.Value.IncomingUploadsDirectory);
    }

    static DiagnosisSettings SettingsOf(Diagnosis diagnosis) => JsonSerializer.Deserialize<DiagnosisSettings>(diagnosis.OptionsJson, Json) ?? new DiagnosisSettings();

    static IReadOnlyList<string> Lines(string? text) => string.IsNullOrEmpty(text) ? [] : text.Split('\n');

    static DiagnosisSummaryView ToView(Diagnosis d) => new(d.Id, d.FileName, d.FileBytes, d.Status, d.CreatedAt, d.StartedAt, d.FinishedAt, d.ErrorMessage,
        d.LayersDone, d.LayerTotal, d.LayerCount, d.MeanAlpha, d.Summary, SettingsOf(d).Describe(), d.CreatedBy, d.CreatedByUserId);
}
