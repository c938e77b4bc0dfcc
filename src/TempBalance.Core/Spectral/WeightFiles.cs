using TempBalance.Core.Training;
using static TorchSharp.torch;

namespace TempBalance.Core.Spectral;

/// <summary>
/// Reads layer weights from files this project writes: a TempBalance checkpoint (checkpoint.bin) or a
/// TorchSharp state dict saved with module.save(path). Both hold the state dict in TorchSharp's format
/// (entry count, then name and tensor per entry), so no model definition is needed to read them.
/// </summary>
public static class WeightFiles
{
    /// <summary>Every 2-D or 4-D floating-point "*.weight" tensor as (layer name, weight on the CPU).</summary>
    public static IReadOnlyList<(string Name, Tensor Weight)> ReadStateDictWeights(string path)
    {
        using var file = File.OpenRead(path);
        return ReadStateDictWeights(file);
    }

    /// <summary>The same from a seekable stream.</summary>
    public static IReadOnlyList<(string Name, Tensor Weight)> ReadStateDictWeights(Stream file)
    {
        using var reader = new BinaryReader(file, System.Text.Encoding.UTF8, leaveOpen: true);
        try
        {
            if (!Checkpoint.TrySkipToModel(reader)) file.Position = 0;
            long count = reader.Read7BitEncodedInt64();
            if (count < 0 || count > 1_000_000) throw new InvalidDataException("not a TorchSharp state dict or TempBalance checkpoint");
            var weights = new List<(string, Tensor)>();
            for (long k = 0; k < count; k++)
            {
                var key = reader.ReadString();
                var tensor = Tensor.Load(reader);
                bool isWeight = key.EndsWith(".weight", StringComparison.Ordinal) && tensor.dim() is 2 or 4 && tensor.is_floating_point();
                if (isWeight) weights.Add((key[..^".weight".Length], tensor));
                else tensor.Dispose();
            }
            if (weights.Count == 0) throw new InvalidDataException("the state dict holds no 2-D or 4-D weights");
            return weights;
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException("truncated: the file ends inside the state dict");
        }
        catch (Exception e) when (e is not InvalidDataException and not IOException)
        {
            throw new InvalidDataException($"not a TorchSharp state dict or TempBalance checkpoint ({e.GetType().Name})");
        }
    }
}
