using System;
using System.IO;
using System.Text;

namespace HomeTunnel;

/// <summary>Local file access with errors in the module's terms, and secret files created 0600 from the start.</summary>
public static class Files
{
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static string ReadText(string path)
    {
        try
        {
            return File.ReadAllText(path, Encoding.UTF8);
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

    /// <summary>
    /// Writes through a temporary file in the same folder, then renames it over the target, so a reader
    /// never sees half a file. With <paramref name="ownerOnly"/> the file is 0600 from its creation on.
    /// </summary>
    public static void WriteTextAtomic(string path, string text, bool ownerOnly, bool overwrite)
    {
        string full = Path.GetFullPath(path);
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
