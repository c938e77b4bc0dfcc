namespace TempBalance.Core.Tests.BuildSupport;

/// <summary>The ELF patch that lets TorchSharp's native library load against GCC 12's libstdc++.</summary>
public class MarkVersionNeedWeakTests
{
    const string Needed = "GLIBCXX_3.4.32";

    static string OutputCopy() =>
        Directory.GetFiles(AppContext.BaseDirectory, "libLibTorchSharp.so", SearchOption.AllDirectories).Single();

    static string PackageOriginal() =>
        Path.Combine(Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                     ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"),
            "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    static bool HostLacksVersion() =>
        ElfVersioning.FindHostLibStdCxx() is { } lib && !ElfVersioning.DefinedVersions(File.ReadAllBytes(lib)).Contains(Needed);

    [Fact]
    public void Host_libstdcxx_versions_are_read()
    {
        var lib = ElfVersioning.FindHostLibStdCxx();
        Assert.NotNull(lib);
        var versions = ElfVersioning.DefinedVersions(File.ReadAllBytes(lib));
        Assert.Contains("GLIBCXX_3.4", versions);
        Assert.Contains("GLIBCXX_3.4.30", versions);
    }

    [Fact]
    public void Output_copy_needs_the_version_weakly_exactly_when_the_host_lacks_it()
    {
        var needs = ElfVersioning.VersionNeeds(File.ReadAllBytes(OutputCopy()));
        var need = Assert.Single(needs, n => n.Version == Needed);
        Assert.Equal("libstdc++.so.6", need.File);
        Assert.Equal(HostLacksVersion(), (need.Flags & ElfVersioning.VER_FLG_WEAK) != 0);
        // Every other need stays strong.
        Assert.All(needs.Where(n => n.Version != Needed), n => Assert.Equal(0, n.Flags & ElfVersioning.VER_FLG_WEAK));
    }

    [Fact]
    public void Marking_weak_changes_one_flag_and_is_idempotent()
    {
        var original = PackageOriginal();
        if (!File.Exists(original)) original = OutputCopy();
        var bytes = File.ReadAllBytes(original);
        var strongBefore = ElfVersioning.VersionNeeds(bytes).Single(n => n.Version == Needed);
        bytes[strongBefore.FlagsOffset] &= unchecked((byte)~ElfVersioning.VER_FLG_WEAK);
        var before = (byte[])bytes.Clone();

        Assert.True(ElfVersioning.MarkWeak(bytes, Needed));
        Assert.Equal(1, before.Zip(bytes).Count(p => p.First != p.Second));
        Assert.False(ElfVersioning.MarkWeak(bytes, Needed));
        Assert.False(ElfVersioning.MarkWeak(bytes, "GLIBCXX_9.9.99"));
    }

    [Fact]
    public void Package_original_in_the_NuGet_cache_is_never_modified()
    {
        var original = PackageOriginal();
        if (!File.Exists(original)) return; // a custom NuGet layout; nothing to compare with
        var need = ElfVersioning.VersionNeeds(File.ReadAllBytes(original)).Single(n => n.Version == Needed);
        Assert.Equal(0, need.Flags & ElfVersioning.VER_FLG_WEAK);
    }

    [Fact]
    public void Non_elf_input_is_rejected_with_a_clear_error()
    {
        var error = Assert.Throws<InvalidDataException>(() => ElfVersioning.VersionNeeds(new byte[128]));
        Assert.Equal("not an ELF file", error.Message);
    }
}
