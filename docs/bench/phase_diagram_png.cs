#:project ../../src/TempBalance.Core/TempBalance.Core.csproj
// Draws docs/screenshots/phase-diagram.png: the default phase diagram and, when given, the trajectory of a run
// written by docs/bench/edge_of_chaos_run.py (best epoch = lowest validation loss). Also prints the timing of the
// diagram and the guideline's numbers for that run (docs/edge-of-chaos-method.md).
//
//   dotnet run docs/bench/phase_diagram_png.cs -- docs/screenshots/phase-diagram.png [docs/bench/edge-of-chaos-run.csv]
using System.Diagnostics;
using System.Globalization;
using TempBalance.Core.EdgeOfChaos;

var clock = Stopwatch.StartNew();
var diagram = PhaseDiagram.Default;
Console.WriteLine($"default diagram: {clock.Elapsed.TotalMilliseconds:F0} ms (first call, including JIT)");
clock.Restart();
PhaseDiagram.Compute(new PhaseDiagramSettings());
Console.WriteLine($"default diagram again: {clock.Elapsed.TotalMilliseconds:F0} ms");

var trajectories = new List<PhaseTrajectory>();
if (args.Length > 1)
{
    var lines = File.ReadAllLines(args[1]);
    var setting = lines[0].TrimStart('#', ' ').Split(' ').Select(kv => kv.Split('=')).ToDictionary(kv => kv[0], kv => kv[1]);
    var rows = lines.Skip(2).Select(l => l.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray()).ToList();
    var points = rows.Select(r => new OrderParameters(r[1], r[2]).Point).ToList();
    int best = rows.IndexOf(rows.MinBy(r => r[4])!);
    var sgd = new SgdSetting(double.Parse(setting["lr"], CultureInfo.InvariantCulture), double.Parse(setting["momentum"], CultureInfo.InvariantCulture), int.Parse(setting["batch"], CultureInfo.InvariantCulture));
    trajectories.Add(new PhaseTrajectory($"Fashion-MNIST, lr {sgd.LearningRate}, momentum {sgd.Momentum}, batch {sgd.BatchSize}", points, best));

    var fit = ChaosGuideline.FitSlope(rows.Select(r => r[1] * r[1]).ToList(), sgd);
    var edge = ChaosGuideline.PredictEdgeEpoch(fit, rows[0][1] * rows[0][1]);
    var decay = ChaosGuideline.WeightDecayForEdge(fit, 60000);
    Console.WriteLine($"J^2 slope {fit.Slope:G4} per epoch over epochs {fit.FirstEpoch}-{fit.LastEpoch} (R^2 {fit.RSquared:F4}), c = {fit.Coefficient:F2}");
    Console.WriteLine($"  the seed's c = {ChaosGuideline.SeedFashionMnistCoefficient} predicts {ChaosGuideline.SlopeFor(ChaosGuideline.SeedFashionMnistCoefficient, sgd):G4}");
    Console.WriteLine($"predicted edge epoch {edge.EdgeEpoch:F1}; J first >= 1 at epoch {rows.FindIndex(r => r[1] >= 1)}; best epoch {best} (J = {rows[best][1]:F3}, J0 = {rows[best][2]:F3}, val loss {rows[best][4]:F4})");
    Console.WriteLine($"weight decay for the edge {decay.WeightDecay:G3} (Keras l2 {decay.KerasL2:G3}), relaxation {decay.RelaxationEpochs:F0} epochs");
    Console.WriteLine($"phase at best epoch: {diagram.Classify(points[best])}; at the last: {diagram.Classify(points[^1])}");
}
clock.Restart();
PhaseDiagramPlot.SavePng(diagram, args[0], trajectories);
Console.WriteLine($"drew {args[0]} in {clock.Elapsed.TotalMilliseconds:F0} ms");
