using System.Runtime.InteropServices;
using System.Text.Json;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TempBalance.Core.Training;

/// <summary>
/// Everything needed to continue a run exactly after a completed epoch: the model (parameters and
/// BatchNorm statistics), the optimizer with its momentum buffers and group learning rates, the torch and
/// data-order random states, the step count and every epoch report so far. Written to a temp file and
/// renamed over {runDirectory}/checkpoint.bin, so a crash leaves the previous checkpoint intact.
/// </summary>
public sealed record CheckpointState(
    TrainingConfig Config, int Epoch, long Step, IReadOnlyList<EpochReport> Epochs, IReadOnlyList<double> GroupLearningRates);

public static class Checkpoint
{
    public const string FileName = "checkpoint.bin";
    // v2 adds the recipe's optimizer parts (Lookahead, LAWN) after the base optimizer; v1 files still load.
    const string Magic = "TempBalance checkpoint v2";
    const string MagicV1 = "TempBalance checkpoint v1";

    public static string PathIn(string runDirectory) => Path.Combine(runDirectory, FileName);

    public static void Save(string runDirectory, CheckpointState state, nn.Module model, OptimizerStack optimizer, Generator dataGenerator)
    {
        Directory.CreateDirectory(runDirectory);
        var path = PathIn(runDirectory);
        var temp = path + ".tmp";
        try
        {
            using (var file = File.Create(temp))
            using (var writer = new BinaryWriter(file))
            {
                writer.Write(Magic);
                writer.Write(JsonSerializer.Serialize(state, ResultsWriter.Json));
                WriteBytes(writer, torch.random.get_rng_state());
                WriteBytes(writer, dataGenerator.get_state());
                model.save(writer);
                optimizer.Save(writer);
                writer.Flush();
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            // A partial file (a full disk) would hold on to the space the previous checkpoint still needs.
            DeleteQuietly(temp);
            throw;
        }
    }

    internal static void DeleteQuietly(string path)
    {
        try { File.Delete(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    public static bool Exists(string runDirectory) => File.Exists(PathIn(runDirectory));

    /// <summary>Restores model, optimizer and random states in place and returns the run's progress.</summary>
    public static CheckpointState Load(string runDirectory, nn.Module model, OptimizerStack optimizer, Generator dataGenerator, TrainingConfig? expectedConfig = null)
    {
        var path = PathIn(runDirectory);
        using var file = File.OpenRead(path);
        using var reader = new BinaryReader(file);
        var magic = reader.ReadString();
        if (magic != Magic && magic != MagicV1) throw new InvalidDataException($"{path} is not a TempBalance checkpoint.");
        var state = JsonSerializer.Deserialize<CheckpointState>(reader.ReadString(), ResultsWriter.Json)
            ?? throw new InvalidDataException($"{path} has no run state.");
        if (magic == MagicV1) state = state with { Epochs = FromV1(state.Epochs) };
        // A run may move to another device; anything else that differs would not continue the same run.
        if (expectedConfig is not null && state.Config with { Device = expectedConfig.Device } != expectedConfig)
            throw new InvalidDataException(
                $"{path} belongs to a run with another configuration ({JsonSerializer.Serialize(state.Config, ResultsWriter.Json)}); use another run directory or the same settings.");
        try
        {
            using (var rng = ReadBytes(reader)) torch.random.set_rng_state(rng);
            using (var rng = ReadBytes(reader)) dataGenerator.set_state(rng);
            model.load(reader);
            optimizer.Load(reader, withParts: magic == Magic);
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or EndOfStreamException or ExternalException)
        {
            throw new InvalidDataException(
                $"{path} does not fit this run's model and method ({e.Message}); was the configuration changed? Use another run directory.", e);
        }
        if (state.GroupLearningRates.Count != optimizer.Groups.Count)
            throw new InvalidDataException($"{path} was saved with {state.GroupLearningRates.Count} parameter groups, but this run has {optimizer.Groups.Count}; was the configuration changed?");
        foreach (var (group, lr) in optimizer.Groups.Zip(state.GroupLearningRates)) group.LearningRate = lr;
        return state;
    }

    /// <summary>
    /// v1 stored with each layer only the rate assigned for the NEXT epoch (as learningRate) and the rate of epoch 1
    /// as epoch 0's global rate; v2 stores the rate used during the epoch and the next one apart.
    /// </summary>
    static IReadOnlyList<EpochReport> FromV1(IReadOnlyList<EpochReport> epochs) => epochs.Select((e, i) => e with
    {
        LearningRate = e.Epoch == 0 ? null : e.LearningRate,
        Layers = e.Layers.Select(l => l with
        {
            NextLearningRate = l.LearningRate ?? 0,
            LearningRate = i == 0 ? null : epochs[i - 1].Layers.FirstOrDefault(p => p.Index == l.Index)?.LearningRate,
        }).ToList(),
    }).ToList();

    /// <summary>
    /// Reads past what precedes the model in a checkpoint (magic, run state, random states), leaving the reader
    /// at the model's state dict; false, with the reader's position undefined, when this is no checkpoint.
    /// </summary>
    public static bool TrySkipToModel(BinaryReader reader)
    {
        try
        {
            if (reader.ReadString() is not (Magic or MagicV1)) return false;
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or FormatException)
        {
            return false;
        }
        reader.ReadString(); // run state as JSON
        for (int k = 0; k < 2; k++) reader.BaseStream.Seek(reader.ReadInt32(), SeekOrigin.Current); // torch and data random states
        return true;
    }

    static void WriteBytes(BinaryWriter writer, Tensor state)
    {
        using (state)
        {
            var bytes = state.data<byte>().ToArray();
            writer.Write(bytes.Length);
            writer.Write(bytes);
        }
    }

    static Tensor ReadBytes(BinaryReader reader)
    {
        var bytes = reader.ReadBytes(reader.ReadInt32());
        return tensor(bytes, ScalarType.Byte);
    }
}
