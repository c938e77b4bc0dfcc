#:project ../../src/TempBalance.Core/TempBalance.Core.csproj
// Trains the seed's edge-of-chaos network and records the order parameters of its hidden layer per epoch,
// for the example trajectory in docs/edge-of-chaos-method.md and docs/screenshots/phase-diagram.png.
//
// Our own re-statement of the setup of zhanglin010/Edge_of_Chaos_Training (3.Model_evolution/main.py, Keras):
// 784 -> 784 tanh without bias (weights N(0, (1/(2 sqrt 784))^2)) -> 10 softmax with bias (Glorot uniform),
// cross-entropy, SGD with momentum, no weight decay, Fashion-MNIST pixels scaled to [0, 1], the test set as
// validation. Epoch 0 is the initial state (the seed logs at the start of each epoch).
//
//   dotnet run docs/bench/edge_of_chaos_run.cs -- LR MOMENTUM BATCH EPOCHS OUT.csv [SEED]
//   dotnet run docs/bench/edge_of_chaos_run.cs -- 0.2 0.5 128 40 docs/bench/edge-of-chaos-run.csv
using System.Globalization;
using TempBalance.Core.Data;
using TempBalance.Core.EdgeOfChaos;
using TorchSharp;
using static TorchSharp.torch;

var invariant = CultureInfo.InvariantCulture;
double lr = double.Parse(args[0], invariant), momentum = double.Parse(args[1], invariant);
int batch = int.Parse(args[2], invariant), epochs = int.Parse(args[3], invariant);
string outPath = args[4];
int seed = args.Length > 5 ? int.Parse(args[5], invariant) : 0;
torch.manual_seed(seed);

using var data = DatasetLoader.Load("fashion-mnist", "data");
var xTrain = data.Train.Images.reshape(-1, 784).to(float32).div(255);
var yTrain = data.Train.Labels;
var xTest = data.Test.Images.reshape(-1, 784).to(float32).div(255);
var yTest = data.Test.Labels;

var hidden = nn.Linear(784, 784, hasBias: false);
var output = nn.Linear(784, 10);
using (no_grad())
{
    nn.init.normal_(hidden.weight!, 0, 1 / (2 * Math.Sqrt(784)));
    nn.init.xavier_uniform_(output.weight!);
    nn.init.zeros_(output.bias!);
}
var model = nn.Sequential(("hidden", hidden), ("tanh", nn.Tanh()), ("output", output));
var optimizer = optim.SGD(model.parameters(), lr, momentum);

(double Loss, double Accuracy) Evaluate(Tensor x, Tensor y)
{
    using var scope = NewDisposeScope();
    using var noGrad = no_grad();
    var logits = model.forward(x);
    return (nn.functional.cross_entropy(logits, y).item<float>(), logits.argmax(1).eq(y).to(float32).mean().item<float>());
}

using var writer = new StreamWriter(outPath);
writer.WriteLine($"# lr={lr.ToString(invariant)} momentum={momentum.ToString(invariant)} batch={batch} seed={seed}");
writer.WriteLine("epoch,J,J0,train_loss,val_loss,val_acc");
for (int epoch = 0; ; epoch++)
{
    var (j, j0) = OrderParameters.Of(hidden.weight!);
    var (trainLoss, _) = Evaluate(xTrain, yTrain);
    var (valLoss, valAccuracy) = Evaluate(xTest, yTest);
    string row = string.Format(invariant, "{0},{1:F6},{2:F6},{3:F6},{4:F6},{5:F6}", epoch, j, j0, trainLoss, valLoss, valAccuracy);
    writer.WriteLine(row);
    writer.Flush();
    Console.WriteLine($"{DateTime.Now:HH:mm:ss} {row}");
    if (epoch == epochs) break;
    using var order = randperm(xTrain.shape[0]);
    for (long start = 0; start < xTrain.shape[0]; start += batch)
    {
        using var scope = NewDisposeScope();
        var index = order.narrow(0, start, Math.Min(batch, xTrain.shape[0] - start));
        optimizer.zero_grad();
        nn.functional.cross_entropy(model.forward(xTrain.index_select(0, index)), yTrain.index_select(0, index)).backward();
        optimizer.step();
    }
}
