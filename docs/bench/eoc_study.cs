#:project ../../src/TempBalance.Core/TempBalance.Core.csproj
// The study of docs/edge-of-chaos.md: reads the run folders written by docs/bench/eoc_study.sh (tempbalance train
// and sweep on the edge-of-chaos paper's network), prints the numbers the page quotes and draws its figures.
// Slopes, best epochs and edge crossings come from Core's RunMetrics (the same as sweep.csv and the web pages).
//
//   dotnet run docs/bench/eoc_study.cs -- STUDY_DIR docs/figures
//
// STUDY_DIR holds a-centre/ (one train run) and b-grid/, b-momentum/, c-decay/ (sweeps, runs/<n>-<values>/).
using System.Globalization;
using System.Text.Json;
using SkiaSharp;
using TempBalance.Core.EdgeOfChaos;
using TempBalance.Core.Sweeps;

var inv = CultureInfo.InvariantCulture;
CultureInfo.DefaultThreadCurrentCulture = inv;
CultureInfo.CurrentCulture = inv;
string study = args[0], figures = args[1];
Directory.CreateDirectory(figures);
const int TrainingSamples = 60000;

// ---------------------------------------------------------------- (a) the centre run, the paper's Fig. 2
var centre = Run.Load(Path.Combine(study, "a-centre"));
var cm = centre.Metrics;
Console.WriteLine($"## (a) centre run: {centre.Describe()}, {cm.LastEpoch} epochs");
PrintFit("J^2 fit", cm.Slope!);
var predicted = ChaosGuideline.PredictEdgeEpoch(cm.Slope!, cm.InitialJSquared!.Value);
Console.WriteLine($"predicted edge epoch {predicted.EdgeEpoch:F1} (the seed's c = {ChaosGuideline.SeedFashionMnistCoefficient} predicts {ChaosGuideline.PredictEdgeEpoch(ChaosGuideline.SlopeFor(ChaosGuideline.SeedFashionMnistCoefficient, centre.Setting), cm.InitialJSquared.Value, centre.Setting).EdgeEpoch:F1}); J^2 crosses 1 at epoch {cm.EdgeEpoch:F1}, first J >= 1 at epoch {cm.EpochsToEdge}");
Console.WriteLine($"best epoch (lowest test loss) {cm.BestEpoch}: loss {cm.BestTestLoss:F4}, J {cm.JAtBestEpoch:F3}; best accuracy {cm.BestTestAccuracy:P2} at epoch {centre.Epochs.Where(e => e.Epoch >= 1).MaxBy(e => e.TestAccuracy)!.Epoch}; final {cm.FinalTestAccuracy:P2}, loss {cm.FinalTestLoss:F4}, J {cm.FinalJ:F3}");
Console.WriteLine("lowest test losses: " + string.Join("; ", centre.Epochs.Where(e => e.Epoch >= 1).OrderBy(e => e.TestLoss).Take(6)
    .Select(e => $"epoch {e.Epoch} {e.TestLoss:F4} (J {e.J:F3}, acc {e.TestAccuracy:P2})")));
foreach (var window in new[] { (1, 10), (11, 20), (21, 30), (31, 40), (41, 50), (51, 60), (61, 70), (71, 80), (81, 100) })
{
    var part = centre.Epochs.Where(e => e.Epoch >= window.Item1 && e.Epoch <= window.Item2).ToList();
    if (part.Count == 0) continue;
    Console.WriteLine($"  epochs {window.Item1}-{Math.Min(window.Item2, part[^1].Epoch)}: mean test loss {part.Average(e => e.TestLoss!.Value):F4}, mean acc {part.Average(e => e.TestAccuracy!.Value):P2}, J {part[0].J:F3}-{part[^1].J:F3}, mean train loss {part.Average(e => e.TrainLoss):F4}");
}
// Single epochs' test losses are noisy (±0.01); the minimum of a centred 9-epoch mean is steadier.
{
    var trained = centre.Epochs.Where(e => e.Epoch >= 1).ToList();
    var smooth = Enumerable.Range(4, trained.Count - 8).Select(i => (trained[i].Epoch, Loss: trained.Skip(i - 4).Take(9).Average(e => e.TestLoss!.Value), trained[i].J)).ToList();
    var low = smooth.MinBy(p => p.Loss);
    Console.WriteLine($"9-epoch mean test loss: lowest {low.Loss:F4} centred on epoch {low.Epoch} (J {low.J:F3}); " +
        string.Join(", ", smooth.Where(p => p.Epoch % 10 == 5).Select(p => $"epoch {p.Epoch}: {p.Loss:F4}")));
}
// The local slope: J^2 growth per epoch over 10-epoch windows, to see whether the growth stays linear up to the edge.
Console.WriteLine("J^2 growth per epoch by window: " + string.Join(", ", Enumerable.Range(0, (cm.LastEpoch!.Value) / 10)
    .Select(w => $"{w * 10}-{w * 10 + 10}: {(Sq(centre.JAt(w * 10 + 10)) - Sq(centre.JAt(w * 10))) / 10:F5}")));
Console.WriteLine($"phase at the best epoch: {PhaseDiagram.Default.Classify(centre.PointAt(cm.BestEpoch!.Value))}, at the last: {PhaseDiagram.Default.Classify(centre.PointAt(cm.LastEpoch.Value))}; J0/J from {centre.Points.Min(p => p.J0OverJ):F3} to {centre.Points.Max(p => p.J0OverJ):F3}");

var zoom = PhaseDiagram.Compute(new PhaseDiagramSettings { J0OverJMin = -1, J0OverJMax = 1.5, InverseJMin = 0.6, InverseJMax = 2.1 });
PhaseDiagramPlot.SavePng(zoom, Path.Combine(figures, "eoc-a-trajectory.png"),
    [new PhaseTrajectory($"fc1, {centre.Short()}, epochs 0-{cm.LastEpoch}", centre.Points, cm.BestEpoch)]);

{
    var fitLine = new Series("linear fit of the ordered phase", Palette.Grey,
        [(0, cm.Slope!.Intercept), (cm.LastEpoch.Value, cm.Slope.Intercept + cm.Slope.Slope * cm.LastEpoch.Value)], Dashed: true, Markers: false);
    var marks = new List<(double X, string Label)> { (cm.EdgeEpoch!.Value, $"J = 1 (epoch {cm.EdgeEpoch:F1})"), (cm.BestEpoch.Value, $"lowest test loss (epoch {cm.BestEpoch})") };
    var top = new Chart("J² of fc1", "epoch", "J²",
        [new Series("J²", Palette.Blue, centre.Epochs.Select(e => ((double)e.Epoch, Sq(e.J))).ToList(), Markers: false), fitLine], VLines: marks, HLines: [1.0], LegendBelow: true);
    var bottom = new Chart("Test loss and train loss", "epoch", "cross-entropy",
        [new Series("test loss", Palette.Red, centre.Epochs.Where(e => e.Epoch >= 1).Select(e => ((double)e.Epoch, e.TestLoss!.Value)).ToList(), Markers: false),
         new Series("test loss, centred 9-epoch mean", Palette.Purple, Enumerable.Range(5, Math.Max(0, cm.LastEpoch.Value - 8))
             .Select(t => ((double)t, centre.Epochs.Where(e => e.Epoch >= t - 4 && e.Epoch <= t + 4).Average(e => e.TestLoss!.Value))).ToList(), Markers: false),
         new Series("train loss (running mean over the epoch)", Palette.Orange, centre.Epochs.Where(e => e.Epoch >= 1).Select(e => ((double)e.Epoch, e.TrainLoss)).ToList(), Markers: false)],
        VLines: marks, YMin: 0.05, YMax: 0.55, MarkLabelsBelow: true);
    Charts.Save(Path.Combine(figures, "eoc-a-curves.png"), $"Centre run: {centre.Short()}, Fashion-MNIST", [top, bottom]);
}

// ---------------------------------------------------------------- (b) J^2 slope against eta, B, alpha: the paper's Fig. 3
var slopeRuns = Run.LoadSweep(Path.Combine(study, "b-grid")).Concat(Run.LoadSweep(Path.Combine(study, "b-momentum"))).ToList();
Console.WriteLine();
Console.WriteLine("## (b) J^2 slopes");
Console.WriteLine("| lr | batch | momentum | x = lr/((1-m)B) | epochs | fit epochs | slope A | R^2 | c = A/x | seed c predicts | final acc |");
Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
foreach (var r in slopeRuns)
{
    var s = r.Metrics.Slope!;
    Console.WriteLine($"| {r.Setting.LearningRate} | {r.Setting.BatchSize} | {r.Setting.Momentum} | {r.Setting.ScalingVariable:G4} | {r.Metrics.LastEpoch} | {s.FirstEpoch}-{s.LastEpoch} | {s.Slope:G4} | {s.RSquared:F4} | {s.Coefficient:F2} | {ChaosGuideline.SlopeFor(ChaosGuideline.SeedFashionMnistCoefficient, r.Setting):G4} | {r.Metrics.FinalTestAccuracy:P2} |");
}
var fitted = slopeRuns.Where(r => r.Metrics.Slope!.Succeeded).ToList();
var power = PowerFit(fitted.Select(r => (r.Setting.ScalingVariable, r.Metrics.Slope!.Slope)).ToList());
double c = ChaosGuideline.FitCoefficient(fitted.Select(r => (r.Setting, r.Metrics.Slope!.Slope)));
double proportionalR2 = ProportionalR2(fitted.Select(r => (r.Setting.ScalingVariable, r.Metrics.Slope!.Slope)).ToList(), c);
Console.WriteLine($"all {fitted.Count} runs: A = {Math.Exp(power.LogIntercept):G4} x^{power.Exponent:F3} (log-log R^2 {power.RSquared:F4}); through the origin c = {c:F2} (R^2 {proportionalR2:F4}); seed c = {ChaosGuideline.SeedFashionMnistCoefficient}");
Console.WriteLine($"c over runs: min {fitted.Min(r => r.Metrics.Slope!.Coefficient):F2}, max {fitted.Max(r => r.Metrics.Slope!.Coefficient):F2}, max |A - c x| / A {fitted.Max(r => Math.Abs(r.Metrics.Slope!.Slope - c * r.Setting.ScalingVariable) / r.Metrics.Slope!.Slope):P1}");
// One factor at a time, the others at the centre (lr 0.02, batch 32, momentum 0.5).
Factor("lr (batch 32, momentum 0.5)", fitted.Where(r => r.Setting.BatchSize == 32 && r.Setting.Momentum == 0.5).Select(r => (r.Setting.LearningRate, r)));
Factor("batch (lr 0.02, momentum 0.5)", fitted.Where(r => r.Setting.LearningRate == 0.02 && r.Setting.Momentum == 0.5).Select(r => ((double)r.Setting.BatchSize, r)));
Factor("1/(1-momentum) (lr 0.02, batch 32)", fitted.Where(r => r.Setting.LearningRate == 0.02 && r.Setting.BatchSize == 32).Select(r => (1 / (1 - r.Setting.Momentum), r)));

{
    double xMin = fitted.Min(r => r.Setting.ScalingVariable) / 1.5, xMax = fitted.Max(r => r.Setting.ScalingVariable) * 1.5;
    var groups = new[]
    {
        ("lr × batch grid, momentum 0.5 (8 epochs)", Palette.Blue, fitted.Where(r => r.Setting.Momentum == 0.5).ToList()),
        ("momentum 0, 0.75, 0.9; lr 0.02, batch 32 (5 epochs)", Palette.Orange, fitted.Where(r => r.Setting.Momentum != 0.5).ToList()),
    };
    var series = groups.Select(g => new Series(g.Item1, g.Item2, g.Item3.Select(r => (r.Setting.ScalingVariable, r.Metrics.Slope!.Slope)).ToList(), Line: false)).ToList();
    series.Add(new Series($"seed: A = {ChaosGuideline.SeedFashionMnistCoefficient:F2} x", Palette.Grey, [(xMin, ChaosGuideline.SeedFashionMnistCoefficient * xMin), (xMax, ChaosGuideline.SeedFashionMnistCoefficient * xMax)], Dashed: true, Markers: false));
    series.Add(new Series($"ours: A = {Math.Exp(power.LogIntercept):F2} x^{power.Exponent:F3} (R² {power.RSquared:F3})", Palette.Red, [(xMin, Math.Exp(power.LogIntercept) * Math.Pow(xMin, power.Exponent)), (xMax, Math.Exp(power.LogIntercept) * Math.Pow(xMax, power.Exponent))], Markers: false));
    var left = new Chart("J² slope per epoch against η/((1−α)B)", "η / ((1 − α) B)", "slope A of J² per epoch", series, LogX: true, LogY: true, LegendBelow: true);
    var collapse = fitted.Select((r, k) => new Series(r.Short(), Palette.Cycle(k),
        r.Epochs.Where(e => Sq(e.J) < 0.9025).Select(e => (e.Epoch * r.Setting.ScalingVariable, Sq(e.J) - Sq(r.Epochs[0].J))).ToList(), Markers: false, InLegend: false)).ToList();
    double reach = collapse.Max(s => s.Points.Max(p => p.X));
    collapse.Add(new Series($"c = {ChaosGuideline.SeedFashionMnistCoefficient:F2} (seed)", Palette.Grey, [(0, 0), (reach, ChaosGuideline.SeedFashionMnistCoefficient * reach)], Dashed: true, Markers: false));
    var right = new Chart("J² − J²(0) against epoch · η/((1−α)B), every run", "epoch · η / ((1 − α) B)", "J² − J²(0)", collapse, XMin: 0, YMin: 0, LegendBelow: true);
    Charts.Save(Path.Combine(figures, "eoc-b-slopes.png"), "J² growth in the ordered phase: does it scale as η/((1−α)B)?", [left, right], Horizontal: true);
}

// ---------------------------------------------------------------- (c) weight decay: the paper's Fig. 6
var decayRuns = Run.LoadSweep(Path.Combine(study, "c-decay")).Where(r => r.Metrics.LastEpoch >= 1).OrderBy(r => r.WeightDecay).ToList();
if (decayRuns.Count > 0)
{
    var free = decayRuns.First(r => r.WeightDecay == 0);
    var freeFit = free.Metrics.Slope!;
    var edgeDecay = ChaosGuideline.WeightDecayForEdge(freeFit, TrainingSamples);
    int steps = free.Setting.StepsPerEpoch(TrainingSamples);
    Console.WriteLine();
    Console.WriteLine($"## (c) weight decay: {free.Describe()}");
    PrintFit("J^2 fit of the run without decay", freeFit);
    Console.WriteLine($"guideline: lambda* = {edgeDecay.WeightDecay:G3} (Keras l2 {edgeDecay.KerasL2:G3}), relaxation {edgeDecay.RelaxationEpochs:F1} epochs; with the seed's c: {ChaosGuideline.WeightDecayForEdge(ChaosGuideline.SlopeFor(ChaosGuideline.SeedFashionMnistCoefficient, free.Setting), free.Setting, TrainingSamples).WeightDecay:G3}");
    Console.WriteLine("| weight decay | final J | final J0/J | phase at the end | J^2 projected by the guideline | best test loss (epoch, J) | final test acc | best test acc |");
    Console.WriteLine("|---|---|---|---|---|---|---|---|");
    foreach (var r in decayRuns)
    {
        var last = r.Epochs[^1];
        double projected = ChaosGuideline.ProjectJSquared(freeFit.Slope, r.Setting, steps, r.WeightDecay, Sq(r.Epochs[0].J), last.Epoch);
        Console.WriteLine($"| {r.WeightDecay:G3} | {last.J:F3} | {r.PointAt(last.Epoch).J0OverJ:F3} | {PhaseDiagram.Default.Classify(r.PointAt(last.Epoch))} | J^2 {Sq(last.J):F3} vs {projected:F3} | {r.Metrics.BestTestLoss:F4} ({r.Metrics.BestEpoch}, {r.Metrics.JAtBestEpoch:F3}) | {r.Metrics.FinalTestAccuracy:P2} | {r.Metrics.BestTestAccuracy:P2} |");
    }

    SKColor[] decayColours = [Palette.Blue, Palette.Orange, Palette.Green, Palette.Purple, Palette.Brown, Palette.Teal];
    var colours = decayRuns.Select((r, k) => decayColours[k % decayColours.Length]).ToList();
    // Strong decay shrinks J below its initial 0.5, so this window reaches higher 1/J than the centre run's.
    var decayWindow = PhaseDiagram.Compute(new PhaseDiagramSettings { J0OverJMin = -1, J0OverJMax = 1.5, InverseJMin = 0.6,
        InverseJMax = Math.Max(2.1, Math.Ceiling(decayRuns.Max(r => r.Points.Max(p => p.InverseJ)) * 10 + 1) / 10) });
    var png = PhaseDiagramPlot.EncodePng(decayWindow);
    using (var bitmap = SKBitmap.Decode(png))
    using (var canvas = new SKCanvas(bitmap))
    {
        using var font = new SKFont(Charts.Typeface, 13);
        for (int k = 0; k < decayRuns.Count; k++)
        {
            var pixels = decayRuns[k].Points.Select(p => PhaseDiagramPlot.PixelOf(decayWindow.Settings, p)).ToList();
            using var stroke = new SKPaint { Color = colours[k], StrokeWidth = 2.5f, IsAntialias = true, Style = SKPaintStyle.Stroke };
            using var fill = new SKPaint { Color = colours[k], IsAntialias = true };
            for (int i = 1; i < pixels.Count; i++) canvas.DrawLine(pixels[i - 1], pixels[i], stroke);
            foreach (var p in pixels) canvas.DrawCircle(p, 2.5f, fill);
            canvas.DrawCircle(pixels[^1], 7, fill);
            float y = 470 + 22 * k;
            canvas.DrawCircle(850, y - 4, 6, fill);
            using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
            canvas.DrawText($"weight decay {decayRuns[k].WeightDecay:G3}", 864, y + 1, font, ink);
        }
        using var title = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        canvas.DrawText($"lr {free.Setting.LearningRate}, batch {free.Setting.BatchSize}, momentum {free.Setting.Momentum},", 836, 430, font, title);
        canvas.DrawText($"epochs 0-{free.Metrics.LastEpoch} (large dot: the last)", 836, 448, font, title);
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(Path.Combine(figures, "eoc-c-decay-phase.png"), data.ToArray());
    }

    var measured = decayRuns.Select((r, k) => new Series($"λ = {r.WeightDecay:G3}", colours[k], r.Epochs.Select(e => ((double)e.Epoch, Sq(e.J))).ToList())).ToList();
    var projectedSeries = decayRuns.Select((r, k) => new Series("", colours[k], Enumerable.Range(0, 41).Select(t => t * r.Epochs[^1].Epoch / 40.0)
        .Select(t => (t, ChaosGuideline.ProjectJSquared(freeFit.Slope, r.Setting, steps, r.WeightDecay, Sq(r.Epochs[0].J), t))).ToList(), Dashed: true, Markers: false, InLegend: false));
    var j2Chart = new Chart("J² per epoch (dashed: dJ²/dt = A − kJ² with A of λ = 0)", "epoch", "J² of fc1", [.. measured, .. projectedSeries], HLines: [1.0], YMin: 0);
    var ticks = decayRuns.Select((r, k) => ((double)k, r.WeightDecay == 0 ? "0" : r.WeightDecay.ToString("G2", inv))).ToList();
    var accuracy = new Chart($"Test accuracy at the end (epoch {free.Metrics.LastEpoch}) and at best", "weight decay λ", "test accuracy (%)",
    [
        new Series("final", Palette.Blue, decayRuns.Select((r, k) => ((double)k, 100 * r.Metrics.FinalTestAccuracy!.Value)).ToList()),
        new Series("best epoch", Palette.Green, decayRuns.Select((r, k) => ((double)k, 100 * r.Metrics.BestTestAccuracy!.Value)).ToList(), Dashed: true),
    ], XTicks: ticks, XMin: -0.4, XMax: decayRuns.Count - 0.6);
    var finalJ = new Chart("J of fc1 at the end", "weight decay λ", "final J", [new Series("final J", Palette.Red, decayRuns.Select((r, k) => ((double)k, r.Epochs[^1].J)).ToList())],
        XTicks: ticks, XMin: -0.4, XMax: decayRuns.Count - 0.6, HLines: [1.0]);
    Charts.Save(Path.Combine(figures, "eoc-c-decay.png"), $"Weight decay: {free.Short()}", [j2Chart, accuracy, finalJ], Horizontal: true);
}

Console.WriteLine();
Console.WriteLine("## compute (sum of epoch_seconds + esd_seconds per run; one torch thread per run, shared machine)");
var parts = new (string Name, List<Run> Runs)[] { ("a-centre", [centre]), ("b-grid", Run.LoadSweep(Path.Combine(study, "b-grid")).ToList()),
    ("b-momentum", Run.LoadSweep(Path.Combine(study, "b-momentum")).ToList()), ("c-decay", decayRuns),
    ("x-c-decay-lr0.4-diverged", Run.LoadSweep(Path.Combine(study, "x-c-decay-lr0.4-diverged")).ToList()),
    ("x-c-decay-lr0.2-b64-stopped", Run.LoadSweep(Path.Combine(study, "x-c-decay-lr0.2-b64-stopped")).ToList()) };
foreach (var (name, runs) in parts)
    Console.WriteLine($"{name}: {runs.Count} run(s), {runs.Sum(r => r.Epochs.Count - 1)} epochs, {runs.Sum(r => r.Seconds) / 60:F1} min");
Console.WriteLine($"total: {parts.Sum(p => p.Runs.Sum(r => r.Seconds)) / 3600:F2} h");
// The abandoned weight-decay settings: J and test loss per epoch, to say why they were abandoned.
foreach (var (name, runs) in parts.Where(p => p.Name.StartsWith("x-", StringComparison.Ordinal)))
    foreach (var r in runs)
        Console.WriteLine($"{name} ({r.Short()}, weight decay {r.WeightDecay}): " + string.Join("; ", r.Epochs.Select(e => $"{e.Epoch}: J {e.J:F3}, test loss {e.TestLoss:F3}")));

static void PrintFit(string what, JSquaredSlope s) =>
    Console.WriteLine(s.Succeeded
        ? $"{what}: A = {s.Slope:G4} per epoch over epochs {s.FirstEpoch}-{s.LastEpoch} ({s.Points} points, R^2 {s.RSquared:F4}), c = {s.Coefficient:F2}; seed c = {ChaosGuideline.SeedFashionMnistCoefficient} predicts {ChaosGuideline.SlopeFor(ChaosGuideline.SeedFashionMnistCoefficient, s.Setting):G4}"
        : $"{what}: no fit ({s.Error})");

static void Factor(string name, IEnumerable<(double Value, Run Run)> runs)
{
    var list = runs.OrderBy(p => p.Value).ToList();
    if (list.Count < 2) { Console.WriteLine($"{name}: fewer than 2 runs"); return; }
    var fit = PowerFit(list.Select(p => (p.Value, p.Run.Metrics.Slope!.Slope)).ToList());
    Console.WriteLine($"{name}: slopes {string.Join(", ", list.Select(p => $"{p.Value:G3} -> {p.Run.Metrics.Slope!.Slope:G4}"))}; exponent {fit.Exponent:F3} (R^2 {fit.RSquared:F4})");
}

// Least squares of log A on log x.
static (double Exponent, double LogIntercept, double RSquared) PowerFit(IReadOnlyList<(double X, double Y)> points)
{
    var logs = points.Select(p => (X: Math.Log(p.X), Y: Math.Log(p.Y))).ToList();
    double mx = logs.Average(p => p.X), my = logs.Average(p => p.Y);
    double sxx = logs.Sum(p => (p.X - mx) * (p.X - mx)), sxy = logs.Sum(p => (p.X - mx) * (p.Y - my)), syy = logs.Sum(p => (p.Y - my) * (p.Y - my));
    double slope = sxy / sxx;
    return (slope, my - slope * mx, sxy * sxy / (sxx * syy));
}

static double ProportionalR2(IReadOnlyList<(double X, double Y)> points, double c)
{
    double mean = points.Average(p => p.Y);
    return 1 - points.Sum(p => Sq(p.Y - c * p.X)) / points.Sum(p => Sq(p.Y - mean));
}

static double Sq(double x) => x * x;

/// <summary>One epoch of a run folder: epochs.csv joined with J and J0 of fc1 (layers.csv, index 0).</summary>
sealed record EpochRow(int Epoch, double TrainLoss, double? TestLoss, double? TestAccuracy, double J, double J0, double Seconds, double EsdSeconds);

sealed class Run
{
    public required string Folder { get; init; }
    public required SgdSetting Setting { get; init; }
    public required double WeightDecay { get; init; }
    public required IReadOnlyList<EpochRow> Epochs { get; init; }
    public required RunMetrics Metrics { get; init; }

    public IReadOnlyList<PhasePoint> Points => Epochs.Select(e => new OrderParameters(e.J, e.J0).Point).ToList();
    public PhasePoint PointAt(int epoch) => Points[Epochs.ToList().FindIndex(e => e.Epoch == epoch)];
    public double JAt(int epoch) => Epochs.First(e => e.Epoch == epoch).J;
    public double Seconds => Epochs.Sum(e => e.Seconds + e.EsdSeconds);
    public string Short() => $"lr {Setting.LearningRate}, batch {Setting.BatchSize}, momentum {Setting.Momentum}";
    public string Describe() => $"{Short()}, weight decay {WeightDecay} ({Folder})";

    public static IEnumerable<Run> LoadSweep(string sweep) =>
        Directory.Exists(Path.Combine(sweep, "runs"))
            ? Directory.GetDirectories(Path.Combine(sweep, "runs")).Order().Where(d => File.Exists(Path.Combine(d, "layers.csv"))).Select(Load)
            : [];

    public static Run Load(string folder)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "results.json")));
        var config = json.RootElement.GetProperty("config");
        var setting = new SgdSetting(config.GetProperty("lr").GetDouble(), config.GetProperty("momentum").GetDouble(), config.GetProperty("batchSize").GetInt32());
        var layers = Table(Path.Combine(folder, "layers.csv")).Where(r => r["index"] == "0").ToDictionary(r => int.Parse(r["epoch"], CultureInfo.InvariantCulture));
        var epochs = Table(Path.Combine(folder, "epochs.csv"))
            .Where(r => layers.ContainsKey(int.Parse(r["epoch"], CultureInfo.InvariantCulture)))
            .Select(r =>
            {
                int epoch = int.Parse(r["epoch"], CultureInfo.InvariantCulture);
                return new EpochRow(epoch, D(r["train_loss"]), N(r["test_loss"]), N(r["test_accuracy"]), D(layers[epoch]["j"]), D(layers[epoch]["j0"]), D(r["epoch_seconds"]), D(r["esd_seconds"]));
            }).OrderBy(e => e.Epoch).ToList();
        var metrics = RunMetrics.From(epochs.Select(e => new EpochMeasurement(e.Epoch, e.TestLoss, e.TestAccuracy, e.J)).ToList(), setting);
        return new Run { Folder = folder, Setting = setting, WeightDecay = config.GetProperty("weightDecay").GetDouble(), Epochs = epochs, Metrics = metrics };
    }

    static double D(string s) => double.Parse(s, CultureInfo.InvariantCulture);
    static double? N(string s) => s.Length == 0 ? null : D(s);

    // The CSVs' only quoted field (the recipe) comes last, so splitting the first columns on commas is safe.
    static IEnumerable<Dictionary<string, string>> Table(string path)
    {
        var lines = File.ReadAllLines(path);
        var header = lines[0].Split(',');
        return lines.Skip(1).Where(l => l.Length > 0).Select(l =>
        {
            var cells = l.Split(',');
            return header.Select((h, i) => (h, i)).ToDictionary(p => p.h, p => p.i < cells.Length ? cells[p.i] : "");
        });
    }
}

static class Palette
{
    public static readonly SKColor Blue = new(31, 100, 180), Orange = new(230, 120, 10), Green = new(40, 140, 60), Red = new(200, 30, 40),
        Purple = new(130, 70, 180), Brown = new(140, 90, 50), Teal = new(20, 150, 160), Grey = new(110, 110, 110);
    static readonly SKColor[] All = [Blue, Orange, Green, Red, Purple, Brown, Teal, new(200, 80, 160), new(120, 140, 20), new(60, 60, 60), new(90, 160, 230), new(240, 170, 60)];
    public static SKColor Cycle(int k) => All[k % All.Length];
}

sealed record Series(string Name, SKColor Color, IReadOnlyList<(double X, double Y)> Points, bool Dashed = false, bool Markers = true, bool Line = true, bool InLegend = true);

sealed record Chart(string Title, string XLabel, string YLabel, IReadOnlyList<Series> Series, bool LogX = false, bool LogY = false,
    IReadOnlyList<(double X, string Label)>? VLines = null, IReadOnlyList<double>? HLines = null, IReadOnlyList<(double X, string Label)>? XTicks = null,
    double? XMin = null, double? XMax = null, double? YMin = null, double? YMax = null, bool LegendBelow = false, bool LegendLeft = false, bool MarkLabelsBelow = false);

/// <summary>Small line and scatter charts with SkiaSharp, stacked or side by side in one PNG.</summary>
static class Charts
{
    const int PanelWidth = 760, PanelHeight = 400, Header = 44;
    public static readonly SKTypeface Typeface = new[] { "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf" }
        .Where(File.Exists).Select(SKTypeface.FromFile).FirstOrDefault(t => t is not null) ?? SKTypeface.Default;

    public static void Save(string path, string title, IReadOnlyList<Chart> charts, bool Horizontal = false)
    {
        int width = Horizontal ? PanelWidth * charts.Count : PanelWidth, height = Header + (Horizontal ? PanelHeight : PanelHeight * charts.Count);
        using var surface = SKSurface.Create(new SKImageInfo(width, height));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using var titleFont = new SKFont(Typeface, 19);
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        canvas.DrawText(title, 16, 30, titleFont, ink);
        for (int k = 0; k < charts.Count; k++)
            Draw(canvas, Horizontal ? SKRect.Create(PanelWidth * k, Header, PanelWidth, PanelHeight) : SKRect.Create(0, Header + PanelHeight * k, PanelWidth, PanelHeight), charts[k]);
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
    }

    static void Draw(SKCanvas canvas, SKRect panel, Chart chart)
    {
        var plot = new SKRect(panel.Left + 78, panel.Top + 34, panel.Right - 20, panel.Bottom - 56);
        var all = chart.Series.SelectMany(s => s.Points).Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList();
        Func<double, double> fx = chart.LogX ? Math.Log10 : v => v, fy = chart.LogY ? Math.Log10 : v => v;
        double x0 = fx(chart.XMin ?? all.Min(p => p.X)), x1 = fx(chart.XMax ?? all.Max(p => p.X));
        double y0 = fy(chart.YMin ?? all.Min(p => p.Y)), y1 = fy(chart.YMax ?? all.Max(p => p.Y));
        foreach (double h in chart.HLines ?? []) { y0 = Math.Min(y0, fy(h)); y1 = Math.Max(y1, fy(h)); }
        double padX = (x1 - x0) * 0.03, padY = (y1 - y0) * 0.06;
        if (chart.XMin is null) x0 -= padX;
        if (chart.XMax is null) x1 += padX;
        if (chart.YMin is null) y0 -= padY;
        if (chart.YMax is null) y1 += padY;
        SKPoint P(double x, double y) => new((float)(plot.Left + (fx(x) - x0) / (x1 - x0) * plot.Width), (float)(plot.Bottom - (fy(y) - y0) / (y1 - y0) * plot.Height));

        using var font = new SKFont(Typeface, 13);
        using var labelFont = new SKFont(Typeface, 15);
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        using var grid = new SKPaint { Color = new SKColor(225, 225, 225), StrokeWidth = 1, Style = SKPaintStyle.Stroke };
        using var frame = new SKPaint { Color = SKColors.Black, StrokeWidth = 1, Style = SKPaintStyle.Stroke };
        canvas.DrawText(chart.Title, panel.Left + 78, panel.Top + 22, labelFont, ink);

        var xTicks = chart.XTicks?.ToList() ?? Ticks(x0, x1, chart.LogX).Select(v => (v, Format(v))).ToList();
        foreach (var (value, label) in xTicks)
        {
            var p = P(value, chart.LogY ? Math.Pow(10, y0) : y0);
            if (p.X < plot.Left - 0.5 || p.X > plot.Right + 0.5) continue;
            canvas.DrawLine(p.X, plot.Top, p.X, plot.Bottom, grid);
            canvas.DrawText(label, p.X - font.MeasureText(label) / 2, plot.Bottom + 18, font, ink);
        }
        foreach (double value in Ticks(y0, y1, chart.LogY))
        {
            var p = P(chart.LogX ? Math.Pow(10, x0) : x0, value);
            if (p.Y < plot.Top - 0.5 || p.Y > plot.Bottom + 0.5) continue;
            canvas.DrawLine(plot.Left, p.Y, plot.Right, p.Y, grid);
            string label = Format(value);
            canvas.DrawText(label, plot.Left - 6 - font.MeasureText(label), p.Y + 4, font, ink);
        }
        canvas.DrawRect(plot, frame);
        canvas.DrawText(chart.XLabel, plot.MidX - labelFont.MeasureText(chart.XLabel) / 2, plot.Bottom + 42, labelFont, ink);
        canvas.Save();
        canvas.RotateDegrees(-90, panel.Left + 20, plot.MidY);
        canvas.DrawText(chart.YLabel, panel.Left + 20 - labelFont.MeasureText(chart.YLabel) / 2, plot.MidY + 5, labelFont, ink);
        canvas.Restore();

        canvas.Save();
        canvas.ClipRect(plot);
        using var reference = new SKPaint { Color = new SKColor(60, 60, 60), StrokeWidth = 1.2f, IsAntialias = true, Style = SKPaintStyle.Stroke, PathEffect = SKPathEffect.CreateDash([6, 5], 0) };
        foreach (double h in chart.HLines ?? [])
        {
            var p = P(chart.LogX ? Math.Pow(10, x0) : x0, h);
            canvas.DrawLine(plot.Left, p.Y, plot.Right, p.Y, reference);
        }
        int mark = 0;
        foreach (var (x, label) in chart.VLines ?? [])
        {
            var p = P(x, chart.LogY ? Math.Pow(10, y0) : y0);
            canvas.DrawLine(p.X, plot.Top, p.X, plot.Bottom, reference);
            float y = chart.MarkLabelsBelow ? plot.Bottom - 8 - 16 * mark++ : plot.Top + 16 + 16 * mark++;
            canvas.DrawText(label, p.X + 4, y, font, ink);
        }
        foreach (var s in chart.Series)
        {
            var pts = s.Points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y) && (!chart.LogX || p.X > 0) && (!chart.LogY || p.Y > 0)).Select(p => P(p.X, p.Y)).ToList();
            using var stroke = new SKPaint { Color = s.Color, StrokeWidth = 2, IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeJoin = SKStrokeJoin.Round };
            if (s.Dashed) stroke.PathEffect = SKPathEffect.CreateDash([7, 5], 0);
            using var fill = new SKPaint { Color = s.Color, IsAntialias = true };
            if (s.Line && pts.Count > 1)
            {
                using var path = new SKPath();
                path.MoveTo(pts[0]);
                foreach (var p in pts.Skip(1)) path.LineTo(p);
                canvas.DrawPath(path, stroke);
            }
            if (s.Markers) foreach (var p in pts) canvas.DrawCircle(p, s.Line ? 3 : 5, fill);
        }
        canvas.Restore();

        var legend = chart.Series.Where(s => s.InLegend && s.Name.Length > 0).ToList();
        float width = legend.Count == 0 ? 0 : legend.Max(s => font.MeasureText(s.Name)) + 42;
        float top = chart.LegendBelow ? plot.Bottom - 20 * legend.Count - 14 : plot.Top + 8, left = chart.LegendLeft ? plot.Left + 8 : plot.Right - width - 8;
        if (legend.Count > 0)
        {
            using var back = new SKPaint { Color = new SKColor(255, 255, 255, 225) };
            canvas.DrawRect(SKRect.Create(left, top, width, 20 * legend.Count + 6), back);
        }
        for (int k = 0; k < legend.Count; k++)
        {
            var s = legend[k];
            float y = top + 16 + 20 * k;
            using var stroke = new SKPaint { Color = s.Color, StrokeWidth = 2, IsAntialias = true, Style = SKPaintStyle.Stroke };
            if (s.Dashed) stroke.PathEffect = SKPathEffect.CreateDash([7, 5], 0);
            using var fill = new SKPaint { Color = s.Color, IsAntialias = true };
            if (s.Line) canvas.DrawLine(left + 6, y - 4, left + 30, y - 4, stroke);
            if (s.Markers) canvas.DrawCircle(left + 18, y - 4, s.Line ? 3 : 5, fill);
            canvas.DrawText(s.Name, left + 36, y, font, ink);
        }
    }

    // Tick positions in plot units (log10 of the value on a log axis).
    static List<double> Ticks(double from, double to, bool log)
    {
        if (log)
        {
            var ticks = new List<double>();
            for (int d = (int)Math.Floor(from); d <= Math.Ceiling(to); d++)
                foreach (double m in new[] { 1.0, 2, 5 })
                {
                    double v = Math.Log10(m) + d;
                    if (v >= from && v <= to) ticks.Add(Math.Pow(10, v));
                }
            return ticks;
        }
        double raw = (to - from) / 6, magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = new[] { 1.0, 2, 2.5, 5, 10 }.Select(m => m * magnitude).First(s => s >= raw);
        var result = new List<double>();
        for (double v = Math.Ceiling(from / step) * step; v <= to + step * 1e-9; v += step) result.Add(Math.Round(v / step) * step);
        return result;
    }

    static string Format(double v) => Math.Abs(v) >= 1e-3 || v == 0 ? v.ToString("G4", CultureInfo.InvariantCulture) : v.ToString("0.#E+0", CultureInfo.InvariantCulture);
}
