namespace TempBalance.Web.Components.Runs;

/// <summary>
/// What each New run field does and when to change it, in plain words (docs/tempbalance-method.md, docs/training.md,
/// docs/methods-lawn.md and docs/diagnosis.md have the details). Shown in the tooltips next to the fields.
/// </summary>
public static class RunFormHelp
{
    public const string MethodRule =
        "The method's name follows its parts: it stays a preset's name while the optimizer and the parts switched on " +
        "(TempBalance, SNR, Lookahead, LAWN, SGDR) are that preset's, whatever their coefficients, and becomes 'custom' otherwise.";

    // Recipe parts
    public const string Optimizer =
        "SGD with momentum is the paper's. Adam and AdamW (decoupled weight decay) adapt a step size per weight. SGDP removes " +
        "the radial part of the update of weights that a BatchNorm follows. LARS and LAMB scale each layer's step by a trust " +
        "ratio (weight norm / update norm): LARS on SGD's update, LAMB on Adam's. Picking another optimizer keeps the learning " +
        "rate; the method presets set the usual one (LARS 28, LAMB 0.01, Adam 0.001).";
    public const string Momentum =
        "Momentum of SGD, SGDP and LARS (0.9 in the paper; LARS runs as the reference did, without). Adam-style optimizers use beta1 instead.";
    public const string Beta1 = "Decay of Adam's running mean of the gradient (0.9). Lower it for faster reaction to changing gradients, rarely needed.";
    public const string Beta2 = "Decay of Adam's running mean of the squared gradient (0.999). 0.98 or 0.99 can steady training with large learning rates.";
    public const string Eps =
        "Added to the denominator to keep steps finite. Empty: the optimizer's own default (Adam, AdamW, SGDP 1e-8; LAMB 1e-6; " +
        "LARS 1e-5). Raise it (e.g. 1e-6) if Adam's steps blow up on weights with tiny gradients.";
    public const string TrustCoefficient =
        "LARS's eta: each layer's step is lr x eta x |w| / |update|. 0.001 is the reference's; with it the learning rate must be " +
        "large (28). Change the two together.";
    public const string Schedule =
        "How the global learning rate moves over the epochs. cosine (the paper's): from lr to 0. step: x0.1 at 50 % and again at " +
        "75 % of the epochs. constant: lr throughout. sgdr: cosine periods that restart at lr (warm restarts). TempBalance " +
        "scales every layer's rate around this global one.";
    public const string WarmupEpochs =
        "Epochs over which the rate rises linearly to lr before the schedule starts (the schedule then spans the rest). 0 in " +
        "the paper; use a few for large learning rates, large batches, LARS or LAMB.";
    public const string SgdrT0 = "Length of SGDR's first cosine period in epochs. Empty: half the epochs after warm-up.";
    public const string SgdrTMult = "Each next SGDR period is this many times longer than the one before: 1 keeps them equal, 2 doubles them.";
    public const string TempBalanceSwitch =
        "TempBalance sets each layer's learning rate from the heavy-tailedness (alpha) of its weights' eigenvalue spectrum, " +
        "refitted every epoch: layers with a small alpha (already well trained) slow down, layers with a large alpha speed up. " +
        "It works on top of any optimizer. Off, every layer follows the global rate.";
    public const string Snr =
        "Spectral-norm regularisation: before each step, every weight matrix's gradient gets sg x sigma1 x u1 v1^T (its largest " +
        "singular direction), which pulls its spectral norm down. A baseline of the paper and a partner of TempBalance.";
    public const string SnrCoefficient = "sg, the regulariser's strength: 0.01 alone (the reference), 0.001 together with TempBalance. Too large and accuracy drops.";
    public const string SnrPowerIterations =
        "Power iterations per step to estimate each matrix's top singular vectors (5 in the paper). More is more exact and slower.";
    public const string Lookahead =
        "Lookahead wraps the optimizer: it takes k fast steps, then moves slow weights alpha of the way towards the fast ones " +
        "and restarts the fast ones from there. It smooths training and makes it less sensitive to the learning rate.";
    public const string LookaheadK = "Fast steps between two syncs (10 in the reference). Larger k explores further before each pull back.";
    public const string LookaheadAlpha = "How far the slow weights move towards the fast ones at a sync, in (0, 1] (0.8). 1 is the plain optimizer.";
    public const string LookaheadSync =
        "When syncs happen. paper: after steps k, 2k, 3k. torchOptimizer: after steps 1, k + 1, 2k + 1, as the torch_optimizer " +
        "package the TempBalance reference used does; pick it to reproduce the reference's numbers.";
    public const string Lawn =
        "LAWN: train freely, then hold the weight norms of the network's final layers at their values, so the logits cannot keep " +
        "growing and the network stays adaptive. Its authors report the largest gain for Adam and at large batch sizes.";
    public const string LawnFreeEpochs =
        "Epochs trained freely before the norms are held; fewer than the run's epochs. The presets use a tenth of the epochs, rounded up.";

    // Layer analysis and TempBalance options
    public const string Fit =
        "Where the power-law tail of each layer's eigenvalues starts (xmin). median (the paper's): at the eigenvalue the xmin " +
        "position gives, one fit, fast. ks: the start with the best Kolmogorov-Smirnov fit, as WeightWatcher; slower, one fit " +
        "per candidate. peak: like ks, but only starts below 1.5 x the spectrum's peak. Change it to compare with WeightWatcher " +
        "analyses.";
    public const string XminPos =
        "Median rule only: the tail starts at eigenvalue number N / this, counted from the smallest. 2 (the paper) fits the largest " +
        "half; larger values fit a longer tail with more of the bulk, smaller alphas and less noise.";
    public const string ConvNorm =
        "Each conv kernel position's matrix is scaled by sqrt(this) before its eigenvalues are taken (0.5, the reference's). It " +
        "scales a conv layer's eigenvalues alike, so alpha does not change; spectral norms do, and with them the spectral-norm " +
        "and alpha-weighted metrics, which compare conv with linear layers. Keep 0.5 to compare with the paper.";
    public const string FilterNearZero =
        "Drop eigenvalues of at most 1e-5 before the fit (all are kept if none would remain). Turn it on for rank-deficient layers " +
        "(pruned, low-rank, or with more outputs than a small input allows), whose zero eigenvalues would spoil the fit.";
    public const string Float32Eigenvalues =
        "Take eigenvalues in float32 instead of float64: a faster analysis for large models; alphas move by about 1e-6 relative, " +
        "as with the reference's own float32 SVD. Turn it on when the analysis time per epoch matters.";
    public const string ReferencePeakLowerBound =
        "Peak rule only. The reference (from WeightWatcher) also bounds the candidates below by log10(0.95 x peak) but compares " +
        "that log value with eigenvalues, a unit mix-up. On: its numbers exactly; off: the upper bound alone.";
    public const string Farms =
        "FARMS fits alpha to the pooled spectrum of fixed-aspect-ratio windows of each matrix instead of the whole matrix: a " +
        "matrix's shape changes its spectrum, so plain alphas of differently shaped layers are not comparable. Not the paper's; " +
        "try it when layer shapes differ a lot. Slower (up to 100 windows per matrix).";
    public const string Assign =
        "How alphas become rates. linear (the paper's): from s1 x lr for the smallest alpha to s2 x lr for the largest, in " +
        "proportion. step: by rank, evenly spaced from s1 to s2. sqrt and log2: in proportion to sqrt(alpha) or log2(alpha), " +
        "averaging lr; they ignore s1 and s2. The others are the paper's ablations.";
    public const string Metric =
        "The layer quantity the rates follow: alpha (the paper's), the spectral norm (largest eigenvalue), or alpha-weighted " +
        "(alpha x log10 of the spectral norm). The others are ablations.";
    public const string MinRatio =
        "s1: the layer with the smallest alpha trains at s1 x the global rate (linear and step). Paper: 0.5; 0.6 on TinyImageNet " +
        "and with SNR. Narrow s1..s2 if training is unstable; s1 = s2 = 1 is the baseline.";
    public const string MaxRatio = "s2: the layer with the largest alpha trains at s2 x the global rate (linear and step). Paper: 1.5; 1.4 on TinyImageNet and with SNR.";
    public const string EigsThresh =
        "Layers with fewer eigenvalues than this keep the global rate: a tail fitted to a few eigenvalues is noise. 0 (the paper) " +
        "tunes every layer but the first and the last; the current reference code drops layers with fewer than 50 (eigs_thresh, " +
        "added after the paper): set 50 to match it.";
    public const string UpdateEverySteps =
        "0 (the paper): refit the layers once per epoch, before it. K: refit every K optimizer steps and hold the rates between; " +
        "the reference does this for transformers, whose epochs are long. Each refit costs a full analysis.";
    public const string ReferenceTieBehaviour =
        "When every tuned layer has the same metric, the linear rule has no spread to use. The reference then gives every layer " +
        "s2 x lr; off, each gets the midpoint (s1 + s2) / 2 x lr. Turn it on to reproduce the reference exactly.";

    // Model, data, runs
    public const string Model =
        "smallcnn and mlp train in minutes on a CPU (28x28 data: Fashion-MNIST, MNIST, synthetic). resnet18/34, vgg11/16/19 and " +
        "wrn16-8/28-10 are the paper's CIFAR-style networks for 32x32 colour data. TempBalance leaves the first and last layer " +
        "alone, so it needs a model with at least 3 analysed layers.";
    public const string Dataset =
        "Read from the data folder (TEMPBALANCE_DATA_ROOT, else ./data), then /usr/share/datasets; the hint under the field says " +
        "where it was found. synthetic needs no files (10 noisy class patterns, 28x28): for trying a recipe out.";
    public const string Seed =
        "Fixes the initial weights and the order of the batches: the same seed and number of CPU threads give the same run. Keep " +
        "it to compare recipes on equal terms; several seeds show the spread.";
    public const string Subset =
        "Train on the first N images only, and test on at most N unless the whole test set is kept. Empty: all. For quick looks and smoke tests.";
    public const string KeepFullTestSet =
        "With a subset, still test on the whole test set: slower evaluation, accuracies comparable with full runs.";
    public const string WidthFactor = "Multiplies the ResNets' and WideResNets' channel widths (1 = the paper's 64 base channels).";
    public const string Augment = "Random crop with 4-pixel padding and horizontal flip, as the paper (colour 32x32 datasets).";
    public const string Device = "auto: CUDA when present, else the CPU. cpu, cuda or cuda:N choose.";
    public const string CompareWithTempBalance =
        "Queues the same recipe with TempBalance switched the other way too (TB + SNR and SNR, TB and the baseline), as the " +
        "paper compares every method, in one group.";
    public const string Seeds = "Runs per recipe, with seeds first seed, first seed + 1, ...; more than one run makes a group.";
    public const string Name = "Empty: a name from the recipe, model, data and seed. Several runs get their recipe and seed after it.";
}
