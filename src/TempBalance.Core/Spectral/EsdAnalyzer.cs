using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using TempBalance.Core.Scheduling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TempBalance.Core.Spectral;

/// <summary>
/// Empirical spectral densities of a model's Conv2d and Linear layers (method doc §1) and their power-law fits.
/// </summary>
/// <remarks>
/// Eigenvalues are computed on the weights' device in float64 as the eigenvalues of the smaller Gram matrix
/// (W W^T or W^T W) with a symmetric eigensolver, all matrices of one shape in a single batched call. They
/// equal the squared singular values up to rounding (about 1e-16 of the largest eigenvalue in absolute
/// terms; tiny negative results of that rounding are clamped to zero), which the tests check against SVD.
/// Fits run in float64 on the CPU. <see cref="TempBalanceOptions.Float32Eigenvalues"/> trades that accuracy for
/// speed (see docs/benchmarks.md).
/// </remarks>
public static class EsdAnalyzer
{
    /// <summary>Values at or below this are dropped before fitting when <see cref="TempBalanceOptions.FilterNearZero"/> is set.</summary>
    public const double NearZeroThreshold = 1e-5;

    /// <summary>Every Conv2d and Linear module in registration order, with its dotted name.</summary>
    public static IReadOnlyList<(string Name, LayerKind Kind, nn.Module Module)> AnalysedLayers(nn.Module model)
    {
        var layers = new List<(string, LayerKind, nn.Module)>();
        foreach (var (name, module) in ModulesInRegistrationOrder(model))
        {
            if (module is Conv2d) layers.Add((name, LayerKind.Conv2d, module));
            else if (module is Linear) layers.Add((name, LayerKind.Linear, module));
        }
        return layers;
    }

    /// <summary>
    /// Every sub-module depth-first in registration order with its dotted name, as PyTorch's named_modules()
    /// lists them (TorchSharp's named_modules() lists a module's children before their descendants, which
    /// would put a classifier before the blocks registered ahead of it).
    /// </summary>
    public static IEnumerable<(string Name, nn.Module Module)> ModulesInRegistrationOrder(nn.Module model)
    {
        foreach (var (name, child) in model.named_children())
        {
            yield return (name, child);
            foreach (var (subName, sub) in ModulesInRegistrationOrder(child))
                yield return ($"{name}.{subName}", sub);
        }
    }

    public static IReadOnlyList<LayerSpectrum> Analyze(nn.Module model, TempBalanceOptions options)
    {
        var layers = AnalysedLayers(model);
        var weights = layers.Select(l => WeightOf(l.Module)).ToArray();
        return AnalyzeWeights(layers.Select(l => l.Name).ToArray(), weights, options);
    }

    /// <summary>Analyses one weight: [out, in] is a Linear layer, [out, in, kh, kw] a Conv2d layer.</summary>
    public static LayerSpectrum AnalyzeWeight(int index, string name, Tensor weight, TempBalanceOptions options)
    {
        var spectra = AnalyzeWeights([name], [weight], options);
        return spectra[0] with { Index = index };
    }

    /// <summary>Analyses several weights at once (same-shaped matrices share one batched eigensolver call).</summary>
    public static IReadOnlyList<LayerSpectrum> AnalyzeWeights(IReadOnlyList<string> names, IReadOnlyList<Tensor> weights, TempBalanceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!(options.ConvNorm > 0 && double.IsFinite(options.ConvNorm)))
            throw new ArgumentException($"conv_norm must be a positive number, not {options.ConvNorm}.", nameof(options));
        var kinds = weights.Select((w, i) => w.dim() switch
        {
            2 => LayerKind.Linear,
            4 => LayerKind.Conv2d,
            _ => throw new ArgumentException($"Layer '{names[i]}': a weight must be 2-D [out, in] or 4-D [out, in, kh, kw], not {w.dim()}-D."),
        }).ToArray();

        var eigenvalues = PooledEigenvalues(weights, kinds, options.Float32Eigenvalues ? float32 : float64, options.Farms);
        var spectra = new LayerSpectrum[weights.Count];
        for (int l = 0; l < weights.Count; l++)
        {
            var eigs = eigenvalues.Matrix[l];
            if (eigs is null)
            {
                spectra[l] = LayerSpectrum.From(l, names[l], kinds[l], [], PowerLawFit.Failed("the weight has NaN or infinite entries"));
                continue;
            }
            var windowEigs = eigenvalues.Windows?[l];
            if (kinds[l] == LayerKind.Conv2d)
            {
                Scale(eigs, options.ConvNorm);
                if (windowEigs is not null) Scale(windowEigs, options.ConvNorm);
            }
            Array.Sort(eigs);
            if (windowEigs is null)
            {
                spectra[l] = LayerSpectrum.From(l, names[l], kinds[l], eigs, FitSpectrum(eigs, options));
                continue;
            }
            Array.Sort(windowEigs);
            spectra[l] = LayerSpectrum.From(l, names[l], kinds[l], eigs, FitSpectrum(windowEigs, options)) with { FitEigenvalues = windowEigs };
        }
        return spectra;
    }

    static void Scale(double[] values, double factor)
    {
        for (int k = 0; k < values.Length; k++) values[k] *= factor;
    }

    /// <summary>The fit the options ask for, on the near-zero-filtered values when that filter is on.</summary>
    public static PowerLawFit FitSpectrum(double[] eigenvaluesAscending, TempBalanceOptions options)
    {
        ReadOnlySpan<double> input = eigenvaluesAscending;
        if (options.FilterNearZero)
        {
            int first = 0;
            while (first < input.Length && input[first] <= NearZeroThreshold) first++;
            if (first < input.Length) input = input[first..];
        }
        return PowerLawFitter.Fit(input, options.Fit, options.XminPos, options.ReferencePeakLowerBound);
    }

    /// <summary>The weight of an analysed layer (a Conv2d or Linear module).</summary>
    public static Tensor WeightOf(nn.Module module) => module switch
    {
        Conv2d conv => conv.weight ?? throw new ArgumentException("A Conv2d module has no weight."),
        Linear linear => linear.weight ?? throw new ArgumentException("A Linear module has no weight."),
        _ => throw new ArgumentException($"{module.GetType().Name} is not analysed."),
    };

    /// <summary>
    /// Squared singular values of every per-position matrix of each layer, pooled per layer (unsorted,
    /// unscaled); null for a layer whose weight is not finite. With <paramref name="farms"/>, also those of
    /// every FARMS window of those matrices, pooled per layer, computed in the same worker pass.
    /// </summary>
    static (double[]?[] Matrix, double[]?[]? Windows) PooledEigenvalues(IReadOnlyList<Tensor> weights, LayerKind[] kinds, ScalarType precision, bool farms)
    {
        int count = weights.Count;
        var result = new double[]?[farms ? 2 * count : count];
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();

        // Conv [out, in, kh, kw] -> [kh*kw, out, in]: one matrix per kernel position, never a reshape to [out, in*kh*kw].
        var stacks = new Tensor[result.Length];
        for (int l = 0; l < count; l++)
        {
            var w = weights[l].detach();
            stacks[l] = kinds[l] == LayerKind.Conv2d
                ? w.permute(2, 3, 0, 1).reshape(w.shape[2] * w.shape[3], w.shape[0], w.shape[1])
                : w.unsqueeze(0);
        }

        var finite = Enumerable.Range(0, count).Where(l => isfinite(stacks[l]).all().item<bool>()).ToArray();
        if (farms)
        {
            foreach (var l in finite) stacks[count + l] = FarmsSampler.Sample(stacks[l]);
            finite = [.. finite, .. finite.Select(l => count + l)];
        }
        if (finite.All(l => stacks[l].device_type == DeviceType.CPU))
            EigenvaluesOnCpuWorkers(stacks, finite, result, precision);
        else
            EigenvaluesByShape(stacks, finite, result, precision);
        return farms ? (result[..count], result[count..]) : (result, null);
    }

    /// <summary>On an accelerator: one batched solver call per matrix shape.</summary>
    static void EigenvaluesByShape(Tensor[] stacks, int[] layers, double[]?[] result, ScalarType precision)
    {
        foreach (var group in layers.GroupBy(l => (Rows: stacks[l].shape[1], Cols: stacks[l].shape[2])))
        {
            var members = group.ToArray();
            var values = GramEigenvalues(cat(members.Select(l => stacks[l]).ToArray(), 0), precision);
            int offset = 0;
            foreach (var l in members)
            {
                int length = (int)(stacks[l].shape[0] * Math.Min(group.Key.Rows, group.Key.Cols));
                result[l] = values[offset..(offset + length)];
                offset += length;
            }
        }
    }

    /// <summary>Eigenvalues of the smaller Gram matrix of every matrix in a [B, rows, cols] batch, clamped at 0.</summary>
    static double[] GramEigenvalues(Tensor stack, ScalarType precision)
    {
        using var scope = NewDisposeScope();
        var batch = stack.to(precision);
        if (stack.shape[1] > stack.shape[2]) batch = batch.mT; // rows <= cols: the Gram matrix is rows x rows
        var values = linalg.eigvalsh(batch.matmul(batch.mT)).to(float64).cpu().contiguous().data<double>().ToArray();
        for (int k = 0; k < values.Length; k++) values[k] = Math.Max(values[k], 0);
        return values;
    }

    /// <summary>
    /// On the CPU, independent solver calls on worker threads (as many as torch's intra-op threads), jobs of
    /// three matrices, largest first. One batched call leaves the parallelism to libtorch's OpenMP LAPACK,
    /// which slows down by an order of magnitude on busy cores (27 eigvalsh of 512x512: 15.8 s with 2 threads
    /// vs 1.3 s with 1, see docs/benchmarks.md). Torch's thread settings are left alone: they are process-wide,
    /// and other runs may be training in the same process.
    /// </summary>
    static void EigenvaluesOnCpuWorkers(Tensor[] stacks, int[] layers, double[]?[] result, ScalarType precision)
    {
        // Jobs of a few matrices each, largest first, so the workers stay busy until the end.
        const int MatricesPerJob = 3;
        var jobs = new List<(int Layer, int Start, int Count, long Cost)>();
        foreach (var l in layers)
        {
            long count = stacks[l].shape[0], rows = stacks[l].shape[1], cols = stacks[l].shape[2];
            long small = Math.Min(rows, cols);
            result[l] = new double[count * small];
            for (int start = 0; start < count; start += MatricesPerJob)
            {
                int n = (int)Math.Min(MatricesPerJob, count - start);
                jobs.Add((l, start, n, n * small * small * Math.Max(rows, cols)));
            }
        }
        var queue = new ConcurrentQueue<(int Layer, int Start, int Count, long Cost)>(jobs.OrderByDescending(j => j.Cost));
        var failures = new ConcurrentQueue<Exception>();
        var workers = Enumerable.Range(0, Math.Clamp(jobs.Count, 1, get_num_threads())).Select(_ => new Thread(() =>
        {
            try
            {
                while (queue.TryDequeue(out var job))
                {
                    var stack = stacks[job.Layer];
                    var values = GramEigenvalues(stack.narrow(0, job.Start, job.Count), precision);
                    values.CopyTo(result[job.Layer]!, job.Start * Math.Min(stack.shape[1], stack.shape[2]));
                }
            }
            catch (Exception e)
            {
                failures.Enqueue(e);
            }
        })
        { IsBackground = true, Name = "ESD eigensolver" }).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
        if (failures.TryDequeue(out var failure)) ExceptionDispatchInfo.Throw(failure);
    }
}
