namespace TempBalance.Core.Diagnosis;

/// <summary>
/// One input file of a diagnosis: its name (a path, or the uploaded file's name; shards named in a
/// *.index.json are found by file name among the inputs) and a way to open it. <see cref="Open"/> is called
/// once per read and must return a new readable, seekable stream each time (tensors are read lazily, batch
/// by batch). <see cref="Folder"/>, set for files on disk, is where an index also looks for its shards.
/// </summary>
public sealed record DiagnosisInput(string Name, Func<Stream> Open, string? Folder = null)
{
    public static DiagnosisInput FromFile(string path) => new(path, () => File.OpenRead(path), System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path)));

    /// <summary>An in-memory file (e.g. an upload); the bytes are not copied.</summary>
    public static DiagnosisInput FromBytes(string name, byte[] bytes) => new(name, () => new MemoryStream(bytes, writable: false));

    /// <summary>The file name without folders (what a shard index refers to).</summary>
    public string FileName => Path.GetFileName(Name);
}
