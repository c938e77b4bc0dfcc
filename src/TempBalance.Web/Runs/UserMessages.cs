using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using TempBalance.Core.Data;

namespace TempBalance.Web.Runs;

/// <summary>
/// Makes messages from the training core fit for the people using the app: they must not learn the server's
/// folder layout, and a native stack trace (TorchSharp appends libtorch's) tells them nothing. A path under a
/// known root (datasets, the data folder) is shown relative to it; any other absolute path by its file name.
/// </summary>
public static partial class UserMessages
{
    public const int MaxLength = 4000;

    public static string Clean(string message, IEnumerable<string> roots)
    {
        var text = CutNativeTrace(message).Trim();
        var knownRoots = roots.Where(r => !string.IsNullOrWhiteSpace(r))
            .Select(r => Path.TrimEndingDirectorySeparator(Path.GetFullPath(r)))
            .Distinct()
            .OrderByDescending(r => r.Length)
            .ToList();
        text = AbsolutePath().Replace(text, match =>
        {
            var path = match.Value.TrimEnd('.', ':');
            var trailing = match.Value[path.Length..];
            return Relative(path, knownRoots) + trailing;
        });
        // Two candidate folders of a dataset (its root and the system one) read the same once relative.
        text = RepeatedAlternative().Replace(text, "$1");
        return text.Length > MaxLength ? text[..(MaxLength - 1)] + "…" : text;
    }

    static string Relative(string path, IReadOnlyList<string> roots)
    {
        foreach (var root in roots)
        {
            if (root == "/") continue;
            if (path.StartsWith(root + "/", StringComparison.Ordinal)) return path[(root.Length + 1)..];
            if (path == root) return Path.GetFileName(root);
        }
        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(path));
        return name.Length > 0 ? name : "(server path)";
    }

    /// <summary>libtorch's "Exception raised from ..." and its "frame #N" lines, and .NET's "   at ..." lines.</summary>
    static string CutNativeTrace(string message)
    {
        var lines = message.Split('\n');
        int keep = Array.FindIndex(lines, l => NativeTraceLine().IsMatch(l));
        return keep < 0 ? message : string.Join('\n', lines[..keep]);
    }

    [GeneratedRegex(@"^\s*(Exception raised from |frame #\d+:|at [\w.<>`]+[.(])")]
    private static partial Regex NativeTraceLine();

    // An absolute Unix path: a slash that starts a word (not inside a URL, a relative path or a number).
    [GeneratedRegex(@"(?<![\w:/.~-])/(?=[\w.])[^\s'""(),;]*")]
    private static partial Regex AbsolutePath();

    [GeneratedRegex(@"(?<![\w/.-])([\w.-]+(?:/[\w.-]+)*) or \1(?![\w/.-])")]
    private static partial Regex RepeatedAlternative();
}

/// <summary><see cref="UserMessages"/> with this app's roots: the data folder and the dataset folders.</summary>
public sealed class UserMessageCleaner(IOptions<TempBalanceWebOptions> options)
{
    public string Clean(string message) => UserMessages.Clean(message,
        [options.Value.DataDirectoryPath, options.Value.DatasetRootPath, DatasetCatalog.SystemDatasetsRoot, AppContext.BaseDirectory]);
}
