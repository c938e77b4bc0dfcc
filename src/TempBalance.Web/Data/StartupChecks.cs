using Microsoft.Extensions.Options;

namespace TempBalance.Web.Data;

/// <summary>A fault that stops the app from starting, with a message for the operator: what is wrong, where, and which setting to change.</summary>
public sealed class StartupException(string message, Exception? inner = null) : Exception(message, inner);

public static class StartupChecks
{
    const string DataDirectorySetting = TempBalanceWebOptions.Section + ":DataDirectory";

    /// <summary>Creates the data folder and writes a probe file into it; a read-only or full folder is a <see cref="StartupException"/> naming it.</summary>
    public static void EnsureDataFolderWritable(string folder)
    {
        try
        {
            Directory.CreateDirectory(folder);
            var probe = Path.Combine(folder, $".start-probe-{Environment.ProcessId}");
            File.WriteAllBytes(probe, new byte[4096]);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StartupException(DataFolderProblem(folder, e), e);
        }
    }

    static string DataFolderProblem(string folder, Exception e) => StorageFaults.Classify(e) switch
    {
        StorageFault.Full => $"the data folder {folder} ({DataDirectorySetting}) is full: no space left on device. Free some space there, or set {DataDirectorySetting} to another folder.",
        StorageFault.ReadOnly => $"the data folder {folder} ({DataDirectorySetting}) is not writable (a read-only file system, or no permission for this user). Make it writable, or set {DataDirectorySetting} to another folder.",
        _ => $"the data folder {folder} ({DataDirectorySetting}) cannot be used: {e.Message}",
    };

    /// <summary>
    /// The operator's message for an exception that ended the start-up, or null when it is not one we know: the
    /// options' validation messages, our own start-up faults, and storage faults while opening or migrating
    /// the database (named with the data folder's path).
    /// </summary>
    public static string? Describe(Exception exception, IConfiguration configuration)
    {
        // Read from configuration directly: the options themselves may be what is invalid.
        var folder = Path.GetFullPath(configuration[DataDirectorySetting] is { Length: > 0 } configured ? configured : new TempBalanceWebOptions().DataDirectory);
        return Describe(exception, folder);
    }

    static string? Describe(Exception exception, string dataDirectory) => exception switch
    {
        OptionsValidationException invalid => "the configuration is invalid: " + string.Join(" ", invalid.Failures),
        StartupException startup => startup.Message,
        _ => StorageFaults.Classify(exception) switch
        {
            StorageFault.Full => $"the database could not be opened or migrated because the data folder {dataDirectory} ({DataDirectorySetting}) is full. Free some space, then start again.",
            StorageFault.ReadOnly => $"the database could not be opened or migrated because the data folder {dataDirectory} ({DataDirectorySetting}) is not writable.",
            StorageFault.Unavailable => $"the database in {dataDirectory} ({DataDirectorySetting}) could not be opened: {exception.GetBaseException().Message}",
            _ => null,
        },
    };
}
