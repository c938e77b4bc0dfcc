namespace TempBalance.Core.Models;

/// <summary>
/// A model with BatchNorm layers says which conv each one belongs to, so that TempBalance can give a
/// BatchNorm the learning rate of its conv (method doc §4). Keys and values are dotted module names.
/// </summary>
public interface IHasBatchNormMap
{
    IReadOnlyDictionary<string, string> BatchNormToConv { get; }
}
