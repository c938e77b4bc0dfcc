using System.IO.Compression;
using Microsoft.Extensions.Options;

namespace TempBalance.Web.Diagnoses;

/// <summary>Why an upload was refused: 400 (a bad name, a corrupt file) or 413 (over the size limit), with a one-line message naming the file.</summary>
public sealed class DiagnosisUploadException(int status, string field, string message) : Exception(message)
{
    public int Status { get; } = status;

    /// <summary>The form field the problem is in (file, or an option's name).</summary>
    public string Field { get; } = field;
}

/// <summary>
/// An upload received to disk under {DataDirectory}/diagnoses/incoming/{random}/, not yet a diagnosis: the file as
/// sent, or for a .zip the weight files it holds, unpacked flat into <c>model/</c>.
/// </summary>
public sealed record StoredUpload(string Folder, string FileName, long Bytes)
{
    public bool IsZip => DiagnosisUploads.IsZip(FileName);
}

/// <summary>
/// Receives model uploads: streamed to disk in chunks (never whole in memory) with the size limit
/// (<see cref="DiagnosisLimits.MaxUploadBytes"/>) counted as the bytes arrive, so a client that lies about its size
/// is stopped too. A .zip of a Hugging Face folder is unpacked; only its weight files are kept.
/// </summary>
public sealed class DiagnosisUploads(IOptions<TempBalanceWebOptions> options)
{
    /// <summary>What an upload may be; a folder (a sharded model) travels as a .zip.</summary>
    public static readonly IReadOnlyList<string> Extensions = [".safetensors", ".pt", ".pth", ".bin", ".npy", ".zip"];

    /// <summary>Files kept from a zip: what Core reads from a folder (docs/diagnosis.md, Inputs).</summary>
    static readonly string[] WeightFileEndings = [".safetensors", ".index.json", ".pt", ".pth", ".bin", ".npy"];

    /// <summary>The folder a zip's files are unpacked into, inside the upload's folder.</summary>
    public const string ZipFolder = "model";

    const int ChunkBytes = 1 << 20;

    public long MaxUploadBytes => options.Value.Diagnosis.MaxUploadBytes;

    public static bool IsZip(string fileName) => fileName.EndsWith(".zip", StringComparison.OrdinalIgnoreCase);

    /// <summary>"2 GB", "512 MB", "4 KB": a size limit people read.</summary>
    public static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.#} GB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.#} MB",
        _ => $"{bytes / 1024.0:0.#} KB",
    };

    /// <summary>The file name without folders, or the 400 that says why it cannot be a model upload.</summary>
    public static string CheckFileName(string? name)
    {
        var fileName = Path.GetFileName((name ?? "").Replace('\\', '/')).Trim();
        if (fileName.Length == 0) throw new DiagnosisUploadException(StatusCodes.Status400BadRequest, "file", "The upload has no file name.");
        if (fileName.Length > Data.Diagnosis.MaxFileNameLength || fileName.Any(char.IsControl) || fileName is "." or "..")
            throw new DiagnosisUploadException(StatusCodes.Status400BadRequest, "file", $"'{Shorten(fileName)}' is not a usable file name.");
        if (!Extensions.Any(e => fileName.EndsWith(e, StringComparison.OrdinalIgnoreCase)))
            throw new DiagnosisUploadException(StatusCodes.Status400BadRequest, "file",
                $"{fileName}: not a model file this server reads; upload {string.Join(", ", Extensions.SkipLast(1))} or a .zip of a model folder.");
        return fileName;
    }

    static string Shorten(string text) => text.Length > 60 ? text[..60] + "…" : text;

    /// <summary>
    /// Streams <paramref name="content"/> to a new incoming folder, reporting the bytes received so far. Throws
    /// <see cref="DiagnosisUploadException"/> (nothing is left behind) for a bad name, a zip without weight files,
    /// or more bytes than the limit.
    /// </summary>
    public async Task<StoredUpload> ReceiveAsync(string? name, Stream content, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        var fileName = CheckFileName(name);
        var folder = Path.Combine(options.Value.IncomingUploadsDirectory, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var path = Path.Combine(folder, fileName);
            long bytes;
            await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, ChunkBytes, FileOptions.Asynchronous))
                bytes = await CopyAsync(content, file, fileName, progress, cancellationToken);
            if (bytes == 0) throw new DiagnosisUploadException(StatusCodes.Status400BadRequest, "file", $"{fileName}: the file is empty.");
            if (IsZip(fileName))
            {
                Unzip(path, Path.Combine(folder, ZipFolder), fileName);
                File.Delete(path);
            }
            return new StoredUpload(folder, fileName, bytes);
        }
        catch
        {
            Discard(folder);
            throw;
        }
    }

    async Task<long> CopyAsync(Stream from, Stream to, string fileName, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var buffer = new byte[ChunkBytes];
        long total = 0;
        int read;
        while ((read = await from.ReadAsync(buffer, cancellationToken)) > 0)
        {
            total += read;
            if (total > MaxUploadBytes) throw TooLarge(fileName);
            await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            progress?.Report(total);
        }
        return total;
    }

    public DiagnosisUploadException TooLarge(string fileName) => new(StatusCodes.Status413PayloadTooLarge, "file",
        $"{fileName}: larger than this server accepts ({Size(MaxUploadBytes)}, TempBalance:Diagnosis:MaxUploadBytes).");

    /// <summary>
    /// Unpacks the zip's weight files flat into <paramref name="target"/> (a sharded model's index names its shards
    /// by file name). What they unpack to counts against the size limit as it is written: a zip's own sizes can lie.
    /// </summary>
    void Unzip(string zipPath, string target, string fileName)
    {
        Directory.CreateDirectory(target);
        ZipArchive archive;
        try
        {
            archive = ZipFile.OpenRead(zipPath);
        }
        catch (InvalidDataException)
        {
            throw new DiagnosisUploadException(StatusCodes.Status400BadRequest, "file", $"{fileName}: not a readable zip archive (truncated or corrupt).");
        }
        using (archive)
        {
            long total = 0;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var entry in archive.Entries)
            {
                var name = Path.GetFileName(entry.FullName.Replace('\\', '/'));
                if (name.Length == 0 || entry.FullName.Contains("__MACOSX", StringComparison.Ordinal) || name.StartsWith("._", StringComparison.Ordinal)) continue;
                if (!WeightFileEndings.Any(e => name.EndsWith(e, StringComparison.OrdinalIgnoreCase))) continue;
                if (!seen.Add(name))
                    throw new DiagnosisUploadException(StatusCodes.Status400BadRequest, "file", $"{fileName}: holds two files named {name}; zip one model folder.");
                try
                {
                    using var source = entry.Open();
                    using var file = File.Create(Path.Combine(target, name));
                    var buffer = new byte[ChunkBytes];
                    int read;
                    while ((read = source.Read(buffer)) > 0)
                    {
                        total += read;
                        if (total > MaxUploadBytes)
                            throw new DiagnosisUploadException(StatusCodes.Status413PayloadTooLarge, "file",
                                $"{fileName}: unpacks to more than this server accepts ({Size(MaxUploadBytes)}, TempBalance:Diagnosis:MaxUploadBytes).");
                        file.Write(buffer, 0, read);
                    }
                }
                catch (InvalidDataException)
                {
                    throw new DiagnosisUploadException(StatusCodes.Status400BadRequest, "file", $"{fileName}: {name} cannot be unpacked (truncated or corrupt zip).");
                }
            }
            if (seen.Count == 0)
                throw new DiagnosisUploadException(StatusCodes.Status400BadRequest, "file",
                    $"{fileName}: holds no weight files (.safetensors, .pt, .pth, .bin, .npy).");
        }
    }

    /// <summary>Removes an incoming upload that did not become a diagnosis.</summary>
    public static void Discard(string folder)
    {
        try
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
