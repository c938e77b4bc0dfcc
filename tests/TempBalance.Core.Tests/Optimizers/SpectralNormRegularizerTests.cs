using TempBalance.Core.Optimizers;
using TorchSharp;
using TorchSharp.Modules;
using Xunit.Abstractions;
using static TempBalance.Core.Tests.Optimizers.OptimizerGoldens;
using static TorchSharp.torch;

namespace TempBalance.Core.Tests.Optimizers;

public sealed class SpectralNormRegularizerTests(ITestOutputHelper output)
{
    const double Tolerance = 1e-6;

    [Fact]
    public void TorchSharp_randn_after_manual_seed_draws_pytorch_1_13_s_numbers()
    {
        // The regularizer draws u like the reference, so the goldens can only match if the generators agree:
        // torch.manual_seed(s) then randn(1, m), float32, for the sizes the fixture's parameters use and more.
        using var scope = NewDisposeScope();
        var golden = Read<RandnGolden>("randn");
        random.manual_seed(golden.Seed);
        for (int k = 0; k < golden.Sizes.Length; k++)
            Assert.Equal(golden.Draws[k], randn(1, golden.Sizes[k], dtype: float32).data<float>().ToArray());

        var snr = Case("sgd_snr");
        random.manual_seed((long)snr.Hyper("seed"));
        foreach (var u in snr.UDraws!)
            Assert.Equal(u, randn(1, u.Length, dtype: float32).data<float>().ToArray());
    }

    [Fact]
    public void Sgd_with_the_regularizer_matches_the_reference_sgdsnr()
    {
        var golden = Case("sgd_snr");
        var parameters = FreshParameters();
        var groups = Groups(parameters);
        using var sgd = OptimizerFactory.Sgd(groups, golden.Hyper("momentum"), golden.Hyper("weight_decay"));
        var snr = new SpectralNormRegularizer(golden.Hyper("sg"));
        var inReferenceOrder = groups.SelectMany(g => g.Parameters).ToList();

        random.manual_seed((long)golden.Hyper("seed"));
        Run(parameters, sgd.ParamGroups, () =>
        {
            snr.AddToGradients(inReferenceOrder);
            sgd.step();
        });

        var (errors, moves) = RelativeErrors(parameters, golden);
        output.WriteLine($"sgd_snr: max relative error {errors:E2} (parameters), {moves:E2} (distance moved)");
        Assert.True(errors <= Tolerance, $"parameters differ by {errors:E2} relative");
        Assert.True(moves <= Tolerance, $"the distance moved differs by {moves:E2} relative");

        // The term must matter at this tolerance, or the comparison above would prove nothing.
        var plain = FreshParameters();
        using var plainSgd = OptimizerFactory.Sgd(Groups(plain), golden.Hyper("momentum"), golden.Hyper("weight_decay"));
        Run(plain, plainSgd.ParamGroups, () => plainSgd.step());
        Assert.True(RelativeErrors(plain, golden).Displacements > 1e3 * Tolerance);
    }

    [Fact]
    public void Float32_weights_stay_close_to_the_float64_golden()
    {
        var golden = Case("sgd_snr");
        var parameters = FreshParameters(ScalarType.Float32);
        var groups = Groups(parameters);
        using var sgd = OptimizerFactory.Sgd(groups, golden.Hyper("momentum"), golden.Hyper("weight_decay"));
        var snr = new SpectralNormRegularizer(golden.Hyper("sg"));

        random.manual_seed((long)golden.Hyper("seed"));
        Run(parameters, sgd.ParamGroups, () =>
        {
            snr.AddToGradients(groups.SelectMany(g => g.Parameters));
            sgd.step();
        });

        Assert.True(RelativeErrors(parameters, golden).Parameters <= 1e-5);
    }

    [Fact]
    public void The_term_is_sg_sigma_u1_v1_transposed_for_a_known_spectrum()
    {
        // W = diag(10, 1) padded with a zero column: σ = 10, u1 = e1, v1 = e1, so the term is sg·10 at [0, 0] only.
        // Five power iterations from a random u leave errors of about (1/10)^9 times its initial tilt.
        using var scope = NewDisposeScope();
        var weight = new Parameter(tensor(new double[] { 10, 0, 0, 0, 1, 0 }, float64).reshape(2, 3));
        weight.grad = zeros_like(weight);
        random.manual_seed(7);

        new SpectralNormRegularizer(0.5).AddToGradients([weight]);

        var expected = zeros(2, 3, dtype: float64);
        expected[0, 0] = 5;
        Assert.True((weight.grad! - expected).abs().max().ToDouble() < 1e-6, weight.grad!.ToString(TorchSharp.TensorStringStyle.Numpy));
    }

    [Fact]
    public void Vectors_parameters_without_gradients_and_a_zero_coefficient_are_skipped_without_drawing()
    {
        using var scope = NewDisposeScope();
        var bias = new Parameter(ones(4));
        bias.grad = zeros_like(bias);
        var noGradient = new Parameter(ones(3, 3));

        random.manual_seed(11);
        new SpectralNormRegularizer(0.1).AddToGradients([bias, noGradient]);
        var matrix = new Parameter(ones(3, 3));
        matrix.grad = zeros_like(matrix);
        new SpectralNormRegularizer(0).AddToGradients([matrix]);
        var next = randn(1, 5).data<float>().ToArray();

        random.manual_seed(11);
        Assert.Equal(randn(1, 5).data<float>().ToArray(), next);
        Assert.Equal(0, bias.grad!.abs().sum().ToDouble());
        Assert.Null(noGradient.grad);
        Assert.Equal(0, matrix.grad!.abs().sum().ToDouble());
    }

    [Fact]
    public void A_non_finite_coefficient_or_no_power_iteration_is_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SpectralNormRegularizer(double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SpectralNormRegularizer(0.1, powerIterations: 0));
    }
}
