using static TorchSharp.torch;

namespace TempBalance.Core.Diagnosis;

/// <summary>How a tensor is stored in a file.</summary>
public enum StoredDType { Float32, Float64, Float16, BFloat16, Int64, Int32, Int16, Int8, UInt8, Bool, Other }

public static class StoredDTypes
{
    /// <summary>Bytes per element; 0 for <see cref="StoredDType.Other"/>.</summary>
    public static int ItemSize(this StoredDType dtype) => dtype switch
    {
        StoredDType.Float64 or StoredDType.Int64 => 8,
        StoredDType.Float32 or StoredDType.Int32 => 4,
        StoredDType.Float16 or StoredDType.BFloat16 or StoredDType.Int16 => 2,
        StoredDType.Int8 or StoredDType.UInt8 or StoredDType.Bool => 1,
        _ => 0,
    };

    /// <summary>The floating-point formats the analysis reads (widened to float32, or float64 as stored).</summary>
    public static bool IsAnalysable(this StoredDType dtype) =>
        dtype is StoredDType.Float32 or StoredDType.Float64 or StoredDType.Float16 or StoredDType.BFloat16;

    /// <summary>PyTorch's name: float32, bfloat16, int64, ...</summary>
    public static string TorchName(this StoredDType dtype) => dtype switch
    {
        StoredDType.Float32 => "float32",
        StoredDType.Float64 => "float64",
        StoredDType.Float16 => "float16",
        StoredDType.BFloat16 => "bfloat16",
        StoredDType.Int64 => "int64",
        StoredDType.Int32 => "int32",
        StoredDType.Int16 => "int16",
        StoredDType.Int8 => "int8",
        StoredDType.UInt8 => "uint8",
        StoredDType.Bool => "bool",
        _ => "other",
    };
}

/// <summary>
/// A tensor found in an input file, not yet read: its name, shape and stored type, and how to read it.
/// </summary>
internal sealed class StoredTensor(string source, string name, long[] shape, StoredDType dtype, string dtypeName, Func<Tensor> load)
{
    public string Source { get; } = source;
    public string Name { get; } = name;
    public long[] Shape { get; } = shape;
    public StoredDType DType { get; } = dtype;

    /// <summary>The dtype as the file names it (e.g. "F8_E4M3" for <see cref="StoredDType.Other"/>).</summary>
    public string DTypeName { get; } = dtypeName;

    /// <summary>PyTorch's name of the dtype, or the file's own name for one the analysis does not know (float8).</summary>
    public string DisplayDType => DType == StoredDType.Other ? DTypeName : DType.TorchName();

    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>Reads the values: a float32 tensor (float64 when stored as float64) on the CPU; the caller disposes it.</summary>
    public Tensor Load() => load();
}
