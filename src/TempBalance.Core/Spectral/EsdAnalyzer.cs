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
/// Fits run in float64 on the CPU.
/// </remarks>
public static class EsdAnalyzer
{
    /// <summary>Values at or below this are dropped before fitting when <see cref="TempBalanceOptions.FilterNearZero"/> is set.</summary>
    public const double NearZeroThreshold = 1e-5;

    /// <summary>Every Conv2d and Linear module in registration order, with its dotted name.</summary>
    public static IReadOnlyList<(string Name, LayerKind Kind, nn.Module Module)> AnalysedLayers(nn.Module model)
    {
        var layers = new List<(string, LayerKind, nn.Module)>();
        foreach (var (name, module) in model.named_modules())
        {
            if (module is Conv2d) layers.Add((name, LayerKind.Conv2d, module));
            else if (module is Linear) layers.Add((name, LayerKind.Linear, module));
        }
        return layers;
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

        var eigenvalues = PooledEigenvalues(weights, kinds);
        var spectra = new LayerSpectrum[weights.Count];
        for (int l = 0; l < weights.Count; l++)
        {
            var eigs = eigenvalues[l];
            if (eigs is null)
            {
                spectra[l] = LayerSpectrum.From(l, names[l], kinds[l], [], PowerLawFit.Failed("the weight has NaN or infinite entries"));
                continue;
            }
            if (kinds[l] == LayerKind.Conv2d)
                for (int k = 0; k < eigs.Length; k++) eigs[k] *= options.ConvNorm;
            Array.Sort(eigs);
            spectra[l] = LayerSpectrum.From(l, names[l], kinds[l], eigs, FitSpectrum(eigs, options));
        }
        return spectra;
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

    static Tensor WeightOf(nn.Module module) => module switch
    {
        Conv2d conv => conv.weight ?? throw new ArgumentException("A Conv2d module has no weight."),
        Linear linear => linear.weight ?? throw new ArgumentException("A Linear module has no weight."),
        _ => throw new ArgumentException($"{module.GetType().Name} is not analysed."),
    };

    /// <summary>
    /// Squared singular values of every per-position matrix of each layer, pooled per layer (unsorted,
    /// unscaled); null for a layer whose weight is not finite.
    /// </summary>
    static double[]?[] PooledEigenvalues(IReadOnlyList<Tensor> weights, LayerKind[] kinds)
    {
        var result = new double[]?[weights.Count];
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();

        // Conv [out, in, kh, kw] -> [kh*kw, out, in]: one matrix per kernel position, never a reshape to [out, in*kh*kw].
        var stacks = new Tensor[weights.Count];
        for (int l = 0; l < weights.Count; l++)
        {
            var w = weights[l].detach();
            stacks[l] = kinds[l] == LayerKind.Conv2d
                ? w.permute(2, 3, 0, 1).reshape(w.shape[2] * w.shape[3], w.shape[0], w.shape[1])
                : w.unsqueeze(0);
        }

        var byShape = Enumerable.Range(0, weights.Count)
            .Where(l => isfinite(stacks[l]).all().item<bool>())
            .GroupBy(l => (Rows: stacks[l].shape[1], Cols: stacks[l].shape[2]));
        foreach (var group in byShape)
        {
            var members = group.ToArray();
            var batch = cat(members.Select(l => stacks[l]).ToArray(), 0).to(float64);
            var (rows, cols) = group.Key;
            var gram = rows <= cols ? batch.matmul(batch.transpose(1, 2)) : batch.transpose(1, 2).matmul(batch);
            var values = linalg.eigvalsh(gram).cpu().contiguous().data<double>().ToArray();
            int perMatrix = (int)Math.Min(rows, cols), offset = 0;
            foreach (var l in members)
            {
                int length = (int)stacks[l].shape[0] * perMatrix;
                var eigs = new double[length];
                for (int k = 0; k < length; k++) eigs[k] = Math.Max(values[offset + k], 0);
                result[l] = eigs;
                offset += length;
            }
        }
        return result;
    }
}
