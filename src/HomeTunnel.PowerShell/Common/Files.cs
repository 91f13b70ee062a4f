using System;
using System.IO;
using System.Linq;
using System.Text;

namespace HomeTunnel;

/// <summary>Local file access with errors in the module's terms, and secret files created 0600 from the start.</summary>
public static class Files
{
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>The most any config or peer file may hold: a relay with thousands of peers is far below it.</summary>
    public const int MaxConfigBytes = 4 * 1024 * 1024;

    /// <summary>
    /// Reads a regular file of at most <see cref="MaxConfigBytes"/>: a device, a FIFO or an endless stream
    /// (/dev/zero, /dev/stdin) is refused before a byte is read, and a file that grows past the limit stops the read.
    /// </summary>
    public static string ReadText(string path)
    {
        try
        {
            switch (FileKind.Of(path, followLink: true))
            {
                case PathKind.Directory:
                    throw new HomeTunnelException("NotARegularFile", ErrorKind.InvalidArgument, $"'{path}' is a folder, not a file.", path);
                case PathKind.Special:
                    // Decided before opening: opening a FIFO waits for a writer forever.
                    throw new HomeTunnelException("NotARegularFile", ErrorKind.InvalidArgument, $"'{path}' is a pipe, socket or device, not a regular file.", path);
            }
            using var stream = new FileStream(path, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.ReadWrite });
            if (!stream.CanSeek)
            {
                throw new HomeTunnelException("NotARegularFile", ErrorKind.InvalidArgument, $"'{path}' is a pipe or device, not a regular file.", path);
            }
            if (stream.Length > MaxConfigBytes)
            {
                throw TooLarge(path);
            }
            var buffer = new byte[MaxConfigBytes + 1];
            int total = 0, read;
            while ((read = stream.Read(buffer, total, buffer.Length - total)) > 0)
            {
                total += read;
                if (total > MaxConfigBytes)
                {
                    throw TooLarge(path);
                }
            }
            return new UTF8Encoding(false, throwOnInvalidBytes: false).GetString(buffer, 0, total).TrimStart('\uFEFF');
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new HomeTunnelException("FileNotFound", ErrorKind.ObjectNotFound, $"No file at '{path}'.", path, e);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new HomeTunnelException("FileReadFailed", ErrorKind.ReadError, $"Cannot read '{path}': {e.Message}", path, e);
        }
    }

    public static HomeTunnelException TooLarge(string what) =>
        new("InputTooLarge", ErrorKind.InvalidData, $"'{what}' is over {MaxConfigBytes / (1024 * 1024)} MiB; HomeTunnel reads configs and peer files up to that size.", what);

    /// <summary>
    /// Writes through a temporary file in the same folder, then renames it over the target, so a reader
    /// never sees half a file. With <paramref name="ownerOnly"/> the file is 0600 from its creation on.
    /// </summary>
    public static void WriteTextAtomic(string path, string text, bool ownerOnly, bool overwrite)
    {
        string full = Path.GetFullPath(path);
        PathKind kind = FileKind.Of(full);
        if (kind is PathKind.Directory or PathKind.Special or PathKind.Link || IsSpecialFile(full))
        {
            // Renaming over a device (/dev/null) as root would replace the device itself; a link would be written
            // through to wherever it points (a log linked to /etc/shadow).
            throw new HomeTunnelException("NotARegularFile", ErrorKind.InvalidArgument,
                $"'{full}' is {(kind == PathKind.Link ? "a symbolic link" : kind == PathKind.Directory ? "a folder" : "not a regular file")}; HomeTunnel writes only regular files, never through a link.", full);
        }
        if (!overwrite && File.Exists(full))
        {
            throw new HomeTunnelException("FileExists", ErrorKind.ResourceExists, $"'{full}' exists; use -Force to replace it.", full);
        }
        string temp = Path.Combine(Path.GetDirectoryName(full) ?? ".", $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (ownerOnly && !OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = OwnerOnly;
            }
            using (var stream = new FileStream(temp, options))
            using (var writer = new StreamWriter(stream, new UTF8Encoding(false)))
            {
                writer.Write(text);
                writer.Flush();
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            TryDelete(temp);
            throw new HomeTunnelException("FileWriteFailed", ErrorKind.WriteError, $"Cannot write '{full}': {e.Message}", full, e);
        }
    }

    /// <summary>A device, FIFO or kernel file: under /dev, /proc or /sys, or an existing file that cannot seek.</summary>
    private static bool IsSpecialFile(string full)
    {
        if (OperatingSystem.IsWindows())
        {
            return false;
        }
        if (full.StartsWith("/dev/", StringComparison.Ordinal) || full.StartsWith("/proc/", StringComparison.Ordinal) || full.StartsWith("/sys/", StringComparison.Ordinal))
        {
            return true;
        }
        return FileKind.Of(full) == PathKind.Special;
    }

    /// <summary>
    /// The path as the kernel resolves it: absolute, "//" and ".." collapsed, and every symbolic link among its
    /// folders followed, so a check against a folder (not under /etc) holds for where the bytes really go.
    /// </summary>
    public static string RealPath(string path, int depth = 0)
    {
        string full = Path.GetFullPath(path);
        if (depth > 40)
        {
            throw new HomeTunnelException("PathLinkLoop", ErrorKind.InvalidArgument, $"'{path}' goes through more than 40 symbolic links.", path);
        }
        if (OperatingSystem.IsWindows())
        {
            return full;
        }
        string[] parts = full.Split('/', StringSplitOptions.RemoveEmptyEntries);
        string current = "/";
        for (int i = 0; i < parts.Length; i++)
        {
            string next = Path.Combine(current, parts[i]);
            if (i < parts.Length - 1 && FileKind.Of(next) == PathKind.Link)
            {
                string? target = new FileInfo(next).LinkTarget;
                string resolved = target is null ? next : Path.GetFullPath(target, current);
                // Go on from the link's target, with the rest of the path after it.
                return RealPath(Path.Combine(new[] { resolved }.Concat(parts[(i + 1)..]).ToArray()), depth + 1);
            }
            current = next;
        }
        return current;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
