using System.Diagnostics;

namespace TempBalance.Web.Tests.Hardening;

/// <summary>
/// A small tmpfs mounted for one test, to make a data folder that is really full or really read-only. Needs
/// root (tests run as root here and in CI) and a kernel that lets this process mount.
/// </summary>
public sealed class TmpfsMount : IDisposable
{
    public string Path { get; }

    public TmpfsMount(int kilobytes, bool readOnly = false)
    {
        Path = Directory.CreateTempSubdirectory("tempbalance-tmpfs-").FullName;
        Run("mount", "-t", "tmpfs", "-o", $"size={kilobytes}k{(readOnly ? ",ro" : "")}", "tmpfs", Path);
    }

    public void Remount(string options) => Run("mount", "-o", $"remount,{options}", Path);

    /// <summary>Fills the file system until only about <paramref name="leaveBytes"/> are free.</summary>
    public void FillLeaving(long leaveBytes)
    {
        long free = new DriveInfo(Path).AvailableFreeSpace - leaveBytes;
        if (free <= 0) return;
        using var filler = File.Create(System.IO.Path.Combine(Path, "filler"));
        var block = new byte[64 * 1024];
        for (long written = 0; written < free; written += block.Length)
            filler.Write(block, 0, (int)Math.Min(block.Length, free - written));
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Run("umount", "-l", Path); }
        catch (InvalidOperationException) { }
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
    }

    static void Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{program} {string.Join(' ', arguments)}: {error.Trim()}");
    }

    static readonly Lazy<string?> WhyNot = new(() =>
    {
        if (!OperatingSystem.IsLinux()) return "tmpfs mounts need Linux.";
        if (Environment.UserName != "root") return "tmpfs mounts need root (tests run as root here and in CI).";
        try
        {
            using var probe = new TmpfsMount(64);
            return null;
        }
        catch (InvalidOperationException e)
        {
            return $"this machine does not allow tmpfs mounts ({e.Message}).";
        }
    });

    /// <summary>Null when tmpfs mounts work here; otherwise why not.</summary>
    public static string? Unavailable => WhyNot.Value;
}

/// <summary>A fact that mounts tmpfs file systems; skipped, saying why, where that is impossible.</summary>
public sealed class MountFactAttribute : FactAttribute
{
    public MountFactAttribute()
    {
        if (TmpfsMount.Unavailable is { } why) Skip = "Skipped: " + why;
    }
}
