using System.Diagnostics;
using TempBalance.Core.Spectral;
using static TorchSharp.torch;

namespace TempBalance.Core.Diagnosis;

/// <summary>
/// HT-SR diagnosis of a saved model, WeightWatcher-style: reads the weights (safetensors, sharded Hugging Face
/// folders, torch.save state dicts, this project's checkpoints, .npy), picks the layers, and computes per
/// layer the power-law alpha and WeightWatcher's metrics with a verdict (docs/diagnosis.md).
/// </summary>
/// <remarks>
/// Tensors are read lazily in batches of <see cref="DiagnosisOptions.BatchElements"/> elements and released
/// after each batch, so memory stays near one batch however large the model. One bad file or tensor is
/// recorded in <see cref="DiagnosisReport.Failures"/> and the rest is still analysed; only when nothing at all
/// could be analysed because of such problems does <see cref="DiagnosisInputException"/> come out.
/// Eigenvalues use torch's CPU threads (<c>torch.set_num_threads</c>).
/// </remarks>
public static class ModelDiagnosis
{
    /// <summary>A file or folder (see <see cref="Analyze(IEnumerable{string}, DiagnosisOptions?, IProgress{DiagnosisProgress}?, CancellationToken)"/>).</summary>
    public static DiagnosisReport Analyze(string path, DiagnosisOptions? options = null, IProgress<DiagnosisProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Analyze([path], options, progress, cancellationToken);

    /// <summary>
    /// Files and folders. A folder contributes its safetensors files and shard index when it has any, otherwise
    /// its PyTorch files; and its .npy files and checkpoint.bin (see docs/diagnosis.md).
    /// </summary>
    public static DiagnosisReport Analyze(IEnumerable<string> paths, DiagnosisOptions? options = null, IProgress<DiagnosisProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var failures = new List<DiagnosisFailure>();
        var inputs = WeightCatalog.ExpandPaths(paths, failures);
        return Run(inputs, failures, options, progress, cancellationToken);
    }

    /// <summary>
    /// Input files given as names and streams (e.g. uploads). A shard index finds its shards among these inputs
    /// by file name.
    /// </summary>
    /// <exception cref="DiagnosisInputException">Nothing could be analysed because of bad input.</exception>
    /// <exception cref="ArgumentException">The options cannot work (see <see cref="DiagnosisOptions.Validate"/>).</exception>
    /// <exception cref="OperationCanceledException">Cancelled (checked between files and between batches).</exception>
    public static DiagnosisReport Analyze(IReadOnlyList<DiagnosisInput> inputs, DiagnosisOptions? options = null, IProgress<DiagnosisProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Run(inputs, [], options, progress, cancellationToken);

    /// <summary>
    /// Lists the tensors of files and folders without reading their values: the same header, shard-index and
    /// pickle checks as <see cref="Analyze(IEnumerable{string}, DiagnosisOptions?, IProgress{DiagnosisProgress}?, CancellationToken)"/>
    /// in a fraction of its time, so an upload can be refused before it is queued.
    /// </summary>
    public static DiagnosisInspection Inspect(IEnumerable<string> paths, CancellationToken cancellationToken = default)
    {
        var failures = new List<DiagnosisFailure>();
        var inputs = WeightCatalog.ExpandPaths(paths, failures);
        var catalog = WeightCatalog.Read(inputs, cancellationToken);
        failures.AddRange(catalog.Failures);
        return new DiagnosisInspection(catalog.Tensors.Count, failures);
    }

    static DiagnosisReport Run(IReadOnlyList<DiagnosisInput> inputs, List<DiagnosisFailure> failures, DiagnosisOptions? options, IProgress<DiagnosisProgress>? progress, CancellationToken cancellationToken)
    {
        options ??= new DiagnosisOptions();
        options.Validate();
        var clock = Stopwatch.StartNew();
        var catalog = WeightCatalog.Read(inputs, cancellationToken);
        failures.AddRange(catalog.Failures);
        var (jobs, skipped, selectionFailures) = LayerSelection.Select(catalog.Tensors, options);
        failures.AddRange(selectionFailures);

        var spectralOptions = options.ToSpectralOptions();
        var layers = new List<DiagnosedLayer>();
        progress?.Report(new DiagnosisProgress(0, jobs.Count, null));
        int done = 0;
        foreach (var batch in Batches(jobs, options.BatchElements))
        {
            cancellationToken.ThrowIfCancellationRequested();
            AnalyzeBatch(batch, spectralOptions, options, layers, failures);
            done += batch.Count;
            progress?.Report(new DiagnosisProgress(done, jobs.Count, batch[^1].Name));
        }

        if (layers.Count == 0 && failures.Count > 0) throw new DiagnosisInputException(failures);
        var summary = DiagnosisSummary.From(layers, skipped.Count, failures.Count);
        return new DiagnosisReport(layers, skipped, failures, summary, options, clock.Elapsed);
    }

    /// <summary>Consecutive jobs up to about <paramref name="budget"/> elements; the parts of one tensor stay together.</summary>
    static IEnumerable<List<LayerJob>> Batches(List<LayerJob> jobs, long budget)
    {
        var batch = new List<LayerJob>();
        long elements = 0;
        foreach (var job in jobs)
        {
            bool newTensor = batch.Count == 0 || !ReferenceEquals(batch[^1].Tensor, job.Tensor);
            if (newTensor && batch.Count > 0 && elements + job.Elements > budget)
            {
                yield return batch;
                batch = [];
                elements = 0;
            }
            if (newTensor) elements += job.Elements;
            batch.Add(job);
        }
        if (batch.Count > 0) yield return batch;
    }

    static void AnalyzeBatch(List<LayerJob> batch, Scheduling.TempBalanceOptions spectralOptions, DiagnosisOptions options, List<DiagnosedLayer> layers, List<DiagnosisFailure> failures)
    {
        using var scope = NewDisposeScope();
        var loaded = new Dictionary<StoredTensor, Tensor?>(ReferenceEqualityComparer.Instance);
        var ready = new List<(LayerJob Job, Tensor Weight)>();
        foreach (var job in batch)
        {
            if (!loaded.TryGetValue(job.Tensor, out var tensor))
            {
                tensor = Load(job.Tensor, failures);
                loaded[job.Tensor] = tensor;
            }
            if (tensor is null) continue;
            ready.Add((job, job.PartCount == 1 ? tensor : Part(tensor, job)));
        }
        if (ready.Count == 0) return;

        var spectra = EsdAnalyzer.AnalyzeWeights(ready.Select(r => r.Job.Name).ToArray(), ready.Select(r => r.Weight).ToArray(), spectralOptions);
        for (int k = 0; k < ready.Count; k++)
        {
            var (job, weight) = ready[k];
            var spectrum = spectra[k] with { Index = layers.Count };
            var metrics = WeightWatcherMetrics.From(spectrum.Eigenvalues, job.Rows, job.Columns);
            layers.Add(new DiagnosedLayer(
                layers.Count, job.Name, job.Tensor.Source, job.Tensor.Name, job.Tensor.Shape, job.Tensor.DisplayDType, job.Kind,
                job.Part, job.PartCount, job.Rows, job.Columns, spectrum, metrics, LayerSpectrum.VerdictFor(spectrum, options.MinEigenvalues), options.Farms,
                EdgeOfChaos.OrderParameters.Of(weight)));
        }
    }

    static Tensor? Load(StoredTensor tensor, List<DiagnosisFailure> failures)
    {
        try
        {
            return tensor.Load();
        }
        catch (Exception e) when (e is IOException or InvalidDataException or NpyFormatException or UnauthorizedAccessException or DiagnosisInputException)
        {
            var problem = e is DiagnosisInputException d ? d.Failures[0].Problem : e.Message.Split('\n', 2)[0].Trim();
            failures.Add(new DiagnosisFailure(tensor.Source, tensor.Name, problem));
            return null;
        }
    }

    /// <summary>Part k of a fused matrix split along its long side.</summary>
    static Tensor Part(Tensor matrix, LayerJob job)
    {
        bool alongColumns = matrix.shape[1] >= matrix.shape[0];
        long width = alongColumns ? job.Columns : job.Rows;
        return matrix.narrow(alongColumns ? 1 : 0, job.Part * width, width);
    }
}
