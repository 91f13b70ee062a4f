using System;
using System.IO;
using System.Runtime.InteropServices;

namespace HomeTunnel;

/// <summary>What a path names, decided without opening it: a FIFO would hang a read, a device be read without end
/// or be replaced by a rename, a link be written through.</summary>
[Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
public enum PathKind { Missing, Regular, Directory, Link, Special }

/// <summary>
/// lstat/stat through .NET's own native shim (libSystem.Native's SystemNative_LStat and SystemNative_Stat, which
/// FileSystemInfo itself uses; its FileStatus keeps the mode at the same offset on every Unix .NET runs on). Where the
/// shim cannot be reached, the answer falls back to what FileInfo can tell, which never opens the file.
/// </summary>
public static class FileKind
{
    [DllImport("libSystem.Native", EntryPoint = "SystemNative_LStat", CharSet = CharSet.Ansi)]
    private static extern unsafe int LStat(string path, byte* status);

    [DllImport("libSystem.Native", EntryPoint = "SystemNative_Stat", CharSet = CharSet.Ansi)]
    private static extern unsafe int Stat(string path, byte* status);

    /// <param name="followLink">stat (the link's target) instead of lstat (the link itself).</param>
    public static unsafe PathKind Of(string path, bool followLink = false)
    {
        if (!OperatingSystem.IsWindows())
        {
            try
            {
                byte* status = stackalloc byte[512];
                int rc = followLink ? Stat(path, status) : LStat(path, status);
                if (rc != 0)
                {
                    return PathKind.Missing;
                }
                int mode = *(int*)(status + 4);
                return (mode & 0xF000) switch
                {
                    0x8000 => PathKind.Regular,
                    0x4000 => PathKind.Directory,
                    0xA000 => PathKind.Link,
                    _ => PathKind.Special,
                };
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                // Fall through to what FileInfo tells.
            }
        }
        var info = new FileInfo(path);
        if (!followLink && info.LinkTarget is not null)
        {
            return PathKind.Link;
        }
        return Directory.Exists(path) ? PathKind.Directory : File.Exists(path) ? PathKind.Regular : PathKind.Missing;
    }
}
