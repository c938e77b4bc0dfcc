using TempBalance.Core.Training;

namespace TempBalance.Web.Jobs;

/// <summary>Makes the trainer a job runs; the app trains with TorchSharp, the fast tests with a scripted trainer.</summary>
public interface ITrainerFactory
{
    ITrainer Create(TrainingConfig config, string runDirectory, string datasetRoot);
}

/// <summary>TorchSharp trainers that read their datasets through the node's <see cref="SharedDatasets"/>.</summary>
public sealed class TorchTrainerFactory(SharedDatasets datasets) : ITrainerFactory
{
    public ITrainer Create(TrainingConfig config, string runDirectory, string datasetRoot) => new Trainer(config, runDirectory, datasetRoot, datasets);
}
