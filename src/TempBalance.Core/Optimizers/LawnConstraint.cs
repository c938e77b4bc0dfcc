using TorchSharp;
using static TorchSharp.torch;
using Parameter = TorchSharp.Modules.Parameter;

namespace TempBalance.Core.Optimizers;

/// <summary>
/// The norm constraint of LAWN (Logit Attenuating Weight Normalization, arXiv 2108.05839; docs/methods.md, section 8):
/// after the free phase, each layer of the final homogeneous sub-network keeps the norm it had at the switch.
/// Parameters are grouped by the module that owns them (the dotted name up to the last '.'), so a layer's
/// weight and bias share one norm, the Euclidean norm of both together: scaling that pair scales the logits
/// of a final linear layer exactly. The constraint does not own the parameters.
/// </summary>
/// <remarks>
/// Use per constrained-phase step: <c>backward()</c>, <see cref="ProjectGradients"/>, <c>optimizer.step()</c>,
/// <see cref="Project"/>. <see cref="Capture"/> once at the switch.
/// </remarks>
public sealed class LawnConstraint : IDisposable
{
    const string Magic = "TempBalance LAWN constraint v1";

    readonly Layer[] layers;
    double[]? capturedNorms;
    Tensor[]? targets;

    public LawnConstraint(IEnumerable<(string Name, Parameter Parameter)> parameters)
    {
        var list = parameters.ToList();
        if (list.Count == 0) throw new ArgumentException("LAWN needs at least one parameter to constrain.", nameof(parameters));
        var duplicate = list.GroupBy(p => p.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"Parameter '{duplicate.Key}' is listed twice.", nameof(parameters));
        layers = list
            .GroupBy(p => OwnerOf(p.Name))
            .Select(g => new Layer(g.Key, g.Select(p => p.Name).ToArray(), g.Select(p => p.Parameter).ToArray()))
            .ToArray();
    }

    /// <summary>The constrained layers (owning module names), in the order their parameters were given.</summary>
    public IReadOnlyList<string> LayerNames => layers.Select(l => l.Name).ToArray();

    /// <summary>Every constrained parameter's dotted name, e.g. to give these parameters their own optimizer group.</summary>
    public IReadOnlyList<string> ParameterNames => layers.SelectMany(l => l.ParameterNames).ToArray();

    /// <summary>True from <see cref="Capture"/> on: the run is in LAWN's constrained phase.</summary>
    public bool IsActive => capturedNorms is not null;

    /// <summary>The norm each layer is held at, in <see cref="LayerNames"/> order; empty before <see cref="Capture"/>.</summary>
    public IReadOnlyList<double> CapturedNorms => capturedNorms ?? [];

    /// <summary>The layers' norms now (reads them back from the device).</summary>
    public IReadOnlyList<double> CurrentNorms()
    {
        using var noGrad = no_grad();
        return layers.Select(l =>
        {
            using var scope = NewDisposeScope();
            return l.Norm().item<double>();
        }).ToArray();
    }

    /// <summary>Records each layer's norm at the switch; from now on <see cref="Project"/> holds it there.</summary>
    public void Capture()
    {
        if (IsActive)
            throw new InvalidOperationException("LAWN captured its norms already; it holds the norms of the switch for the rest of the run.");
        var norms = CurrentNorms();
        for (int i = 0; i < layers.Length; i++)
            if (!(norms[i] > 0) || double.IsInfinity(norms[i]))
                throw new InvalidOperationException($"Layer '{layers[i].Name}' has norm {norms[i]} at the switch; LAWN can only hold a finite, non-zero norm.");
        Activate(norms.ToArray());
    }

    /// <summary>
    /// Removes from each layer's gradient its component along the layer's weights (the direction that only
    /// changes the norm), leaving the tangent of the norm sphere. Call after backward(), before the step, so
    /// that momentum and Adam's moment estimates see only what can move the weights on the sphere.
    /// </summary>
    public void ProjectGradients()
    {
        RequireActive(nameof(ProjectGradients));
        using var noGrad = no_grad();
        foreach (var layer in layers)
        {
            using var scope = NewDisposeScope();
            var gradients = layer.Parameters.Select(p => p.grad).ToArray();
            if (gradients.All(g => g is null)) continue;
            Tensor along = zeros([], ScalarType.Float64, layer.Device);
            Tensor squared = zeros([], ScalarType.Float64, layer.Device);
            for (int k = 0; k < gradients.Length; k++)
            {
                var weights = layer.Parameters[k].detach().to(ScalarType.Float64);
                squared = squared + weights.square().sum();
                if (gradients[k] is { } g) along = along + (g.to(ScalarType.Float64) * weights).sum();
            }
            var coefficient = along / squared;
            for (int k = 0; k < gradients.Length; k++)
                if (gradients[k] is { } g) g.sub_(layer.Parameters[k].detach() * coefficient.to(g.dtype));
        }
    }

    /// <summary>Rescales each layer back to its captured norm. Call after every optimizer step of the constrained phase.</summary>
    public void Project()
    {
        RequireActive(nameof(Project));
        using var noGrad = no_grad();
        for (int i = 0; i < layers.Length; i++)
        {
            using var scope = NewDisposeScope();
            var scale = targets![i] / layers[i].Norm();
            foreach (var parameter in layers[i].Parameters) parameter.mul_(scale.to(parameter.dtype));
        }
    }

    /// <summary>Writes whether the constraint is active and, if so, the captured norms (exact doubles).</summary>
    public void Save(BinaryWriter writer)
    {
        writer.Write(Magic);
        writer.Write(layers.Length);
        foreach (var layer in layers) writer.Write(layer.Name);
        writer.Write(IsActive);
        if (capturedNorms is not null)
            foreach (var norm in capturedNorms) writer.Write(norm);
    }

    /// <summary>Restores what <see cref="Save"/> wrote; the constrained layers must be the same.</summary>
    public void Load(BinaryReader reader)
    {
        if (reader.ReadString() != Magic) throw new InvalidDataException("This is no saved LAWN constraint.");
        int count = reader.ReadInt32();
        var names = Enumerable.Range(0, count).Select(_ => reader.ReadString()).ToArray();
        if (!names.SequenceEqual(layers.Select(l => l.Name)))
            throw new InvalidDataException(
                $"The saved LAWN constraint holds layers [{string.Join(", ", names)}], but this one holds [{string.Join(", ", LayerNames)}].");
        bool active = reader.ReadBoolean();
        var norms = active ? Enumerable.Range(0, count).Select(_ => reader.ReadDouble()).ToArray() : null;
        DisposeTargets();
        capturedNorms = null;
        if (norms is not null) Activate(norms);
    }

    public void Dispose() => DisposeTargets();

    void Activate(double[] norms)
    {
        targets = layers.Select((l, i) => tensor(norms[i], ScalarType.Float64, l.Device).DetachFromDisposeScope()).ToArray();
        capturedNorms = norms;
    }

    void DisposeTargets()
    {
        if (targets is null) return;
        foreach (var target in targets) target.Dispose();
        targets = null;
    }

    void RequireActive(string operation)
    {
        if (!IsActive) throw new InvalidOperationException($"{operation} belongs to LAWN's constrained phase; call Capture() at the switch first.");
    }

    static string OwnerOf(string parameterName)
    {
        int dot = parameterName.LastIndexOf('.');
        return dot < 0 ? parameterName : parameterName[..dot];
    }

    sealed record Layer(string Name, string[] ParameterNames, Parameter[] Parameters)
    {
        public Device Device => Parameters[0].device;

        /// <summary>Euclidean norm of all the layer's parameters together, computed in double precision.</summary>
        public Tensor Norm()
        {
            Tensor sum = zeros([], ScalarType.Float64, Device);
            foreach (var parameter in Parameters) sum = sum + parameter.detach().to(ScalarType.Float64).square().sum();
            return sum.sqrt();
        }
    }
}
