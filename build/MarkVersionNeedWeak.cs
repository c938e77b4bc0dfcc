#nullable enable
// Compiled twice: by MSBuild's RoslynCodeTaskFactory (build/TorchSharpNative.targets) as an inline
// task, and by the tests (with ELF_TESTS defined) to check the ELF logic without MSBuild.
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

/// <summary>
/// Reads and edits the GNU symbol-versioning sections of ELF64 little-endian shared libraries.
/// TorchSharp 0.107's libLibTorchSharp.so is linked against GCC 13 and requires GLIBCXX_3.4.32, but
/// its only use of that version is std::ios_base_library_init(), a bare .globl with no relocation.
/// Marking the one version need weak (VER_FLG_WEAK) lets glibc load it against GCC 12's libstdc++.
/// </summary>
public static class ElfVersioning
{
    const uint SHT_GNU_verdef = 0x6ffffffd;
    const uint SHT_GNU_verneed = 0x6ffffffe;
    public const ushort VER_FLG_WEAK = 0x2;

    /// <summary>Version names a library defines (.gnu.version_d), e.g. GLIBCXX_3.4.30.</summary>
    public static HashSet<string> DefinedVersions(byte[] elf)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        foreach (var section in Sections(elf))
        {
            if (section.Type != SHT_GNU_verdef) continue;
            var strtab = SectionAt(elf, section.Link);
            long def = section.Offset;
            for (uint n = 0; n < section.Info; n++)
            {
                ushort count = U16(elf, def + 6);
                long aux = def + U32(elf, def + 12);
                for (int a = 0; a < count; a++)
                {
                    result.Add(CString(elf, strtab.Offset + U32(elf, aux)));
                    uint nextAux = U32(elf, aux + 4);
                    if (nextAux == 0) break;
                    aux += nextAux;
                }
                uint next = U32(elf, def + 16);
                if (next == 0) break;
                def += next;
            }
        }
        return result;
    }

    /// <summary>Every version need (.gnu.version_r): the file it comes from, its name, its flags.</summary>
    public static List<(string File, string Version, ushort Flags, long FlagsOffset)> VersionNeeds(byte[] elf)
    {
        var result = new List<(string, string, ushort, long)>();
        foreach (var section in Sections(elf))
        {
            if (section.Type != SHT_GNU_verneed) continue;
            var strtab = SectionAt(elf, section.Link);
            long need = section.Offset;
            for (uint n = 0; n < section.Info; n++)
            {
                string file = CString(elf, strtab.Offset + U32(elf, need + 4));
                ushort count = U16(elf, need + 2);
                long aux = need + U32(elf, need + 8);
                for (int a = 0; a < count; a++)
                {
                    string name = CString(elf, strtab.Offset + U32(elf, aux + 8));
                    result.Add((file, name, U16(elf, aux + 4), aux + 4));
                    uint nextAux = U32(elf, aux + 12);
                    if (nextAux == 0) break;
                    aux += nextAux;
                }
                uint next = U32(elf, need + 12);
                if (next == 0) break;
                need += next;
            }
        }
        return result;
    }

    /// <summary>
    /// Sets VER_FLG_WEAK on the need for <paramref name="version"/>. Returns true when the bytes changed;
    /// false when the library does not need that version or the need is already weak.
    /// </summary>
    public static bool MarkWeak(byte[] elf, string version)
    {
        bool changed = false;
        foreach (var need in VersionNeeds(elf))
        {
            if (need.Version != version || (need.Flags & VER_FLG_WEAK) != 0) continue;
            ushort flags = (ushort)(need.Flags | VER_FLG_WEAK);
            elf[need.FlagsOffset] = (byte)flags;
            elf[need.FlagsOffset + 1] = (byte)(flags >> 8);
            changed = true;
        }
        return changed;
    }

    /// <summary>The host's libstdc++.so.6, or null where there is none (macOS, Windows, musl without GCC).</summary>
    public static string? FindHostLibStdCxx()
    {
        string[] dirs =
        {
            "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
            "/lib/aarch64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib", "/lib",
        };
        foreach (var dir in dirs)
        {
            var path = Path.Combine(dir, "libstdc++.so.6");
            if (File.Exists(path)) return path;
        }
        return null;
    }

    readonly struct Section
    {
        public Section(uint type, long offset, long size, uint link, uint info)
        {
            Type = type; Offset = offset; Size = size; Link = link; Info = info;
        }
        public uint Type { get; }
        public long Offset { get; }
        public long Size { get; }
        public uint Link { get; }
        public uint Info { get; }
    }

    static IEnumerable<Section> Sections(byte[] elf)
    {
        RequireElf64(elf);
        long shoff = (long)U64(elf, 0x28);
        int shentsize = U16(elf, 0x3A);
        int shnum = U16(elf, 0x3C);
        for (int i = 0; i < shnum; i++)
            yield return ReadSection(elf, shoff + (long)i * shentsize);
    }

    static Section SectionAt(byte[] elf, uint index)
    {
        long shoff = (long)U64(elf, 0x28);
        return ReadSection(elf, shoff + index * (long)U16(elf, 0x3A));
    }

    static Section ReadSection(byte[] elf, long at) =>
        new Section(U32(elf, at + 4), (long)U64(elf, at + 24), (long)U64(elf, at + 32), U32(elf, at + 40), U32(elf, at + 44));

    static void RequireElf64(byte[] elf)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException("only 64-bit little-endian ELF files are supported");
    }

    static ushort U16(byte[] b, long at) => (ushort)(b[at] | b[at + 1] << 8);
    static uint U32(byte[] b, long at) => (uint)(b[at] | b[at + 1] << 8 | b[at + 2] << 16 | b[at + 3] << 24);
    static ulong U64(byte[] b, long at) => U32(b, at) | (ulong)U32(b, at + 4) << 32;

    static string CString(byte[] b, long at)
    {
        long end = at;
        while (b[end] != 0) end++;
        return Encoding.ASCII.GetString(b, (int)at, (int)(end - at));
    }
}

#if !ELF_TESTS
/// <summary>
/// MSBuild task: in each given copy of a native library, marks the need for <see cref="Version"/> weak,
/// but only when the host's libstdc++ does not define that version. Writes through a temporary file and
/// a rename, so a hard-linked copy never changes the NuGet cache's original.
/// </summary>
public class MarkVersionNeedWeak : Microsoft.Build.Utilities.Task
{
    [Microsoft.Build.Framework.Required]
    public Microsoft.Build.Framework.ITaskItem[] Files { get; set; } = Array.Empty<Microsoft.Build.Framework.ITaskItem>();

    [Microsoft.Build.Framework.Required]
    public string Version { get; set; } = "";

    public override bool Execute()
    {
        var libstdcxx = ElfVersioning.FindHostLibStdCxx();
        if (libstdcxx == null) return true;
        if (ElfVersioning.DefinedVersions(File.ReadAllBytes(libstdcxx)).Contains(Version))
        {
            Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low, $"{libstdcxx} defines {Version}; no patch needed.");
            return true;
        }
        foreach (var item in Files)
        {
            var path = item.ItemSpec;
            var bytes = File.ReadAllBytes(path);
            if (!ElfVersioning.MarkWeak(bytes, Version)) continue;
            var temp = path + ".weak.tmp";
            File.WriteAllBytes(temp, bytes);
            // Delete, then move: the copy may be a hard link into the NuGet cache, which must stay as it is.
            File.Delete(path);
            File.Move(temp, path);
            Log.LogMessage(Microsoft.Build.Framework.MessageImportance.High,
                $"{path}: marked the need for {Version} weak ({libstdcxx} lacks it).");
        }
        return true;
    }
}
#endif
