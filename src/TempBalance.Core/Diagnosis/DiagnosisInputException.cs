namespace TempBalance.Core.Diagnosis;

/// <summary>
/// A problem with the input that stopped one file or one tensor: <see cref="Source"/> names the file,
/// <see cref="Tensor"/> the tensor when only that tensor is affected, <see cref="Problem"/> says what is wrong
/// in one line.
/// </summary>
public sealed record DiagnosisFailure(string Source, string? Tensor, string Problem)
{
    /// <summary>One line: "file: problem" or "file: tensor 'name': problem".</summary>
    public string Message => Tensor is null ? $"{Source}: {Problem}" : $"{Source}: tensor '{Tensor}': {Problem}";

    public override string ToString() => Message;
}

/// <summary>
/// The input cannot be diagnosed: a file is missing, truncated or corrupt, a safetensors header is wrong, a
/// shard is missing, a pickle asks for code, and nothing else could be analysed. The message is one line
/// naming the file and the problem; <see cref="Failures"/> lists every problem found. The CLI maps it to exit
/// code 2, the web app to HTTP 400.
/// </summary>
public sealed class DiagnosisInputException : Exception
{
    public DiagnosisInputException(string source, string problem)
        : this([new DiagnosisFailure(source, null, problem)])
    {
    }

    public DiagnosisInputException(IReadOnlyList<DiagnosisFailure> failures)
        : base(failures.Count > 0 ? failures[0].Message : "nothing to analyse")
    {
        Failures = failures;
    }

    public IReadOnlyList<DiagnosisFailure> Failures { get; }
}
