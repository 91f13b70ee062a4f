using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;

namespace HomeTunnel;

/// <summary>
/// Which runtimes/&lt;rid&gt;/native file to load for a native library name on a given platform. Pure, so the
/// choice for every shipped platform is tested here on one machine.
/// </summary>
public static class NativeLibraryLocator
{
    /// <summary>The platforms whose libsodium the module ships.</summary>
    public static readonly string[] ShippedRuntimes =
    {
        "linux-x64", "linux-arm64", "linux-arm", "linux-musl-x64", "linux-musl-arm64", "linux-musl-arm",
        "osx-x64", "osx-arm64", "win-x64", "win-x86", "win-arm64",
    };

    /// <param name="runtimeIdentifier">RuntimeInformation.RuntimeIdentifier, e.g. "linux-musl-x64" or "ubuntu.22.04-x64".</param>
    public static IReadOnlyList<string> Candidates(string runtimeIdentifier, Architecture architecture, string libraryName)
    {
        string rid = runtimeIdentifier.ToLowerInvariant();
        string os = rid.StartsWith("win", StringComparison.Ordinal) ? "win"
            : rid.StartsWith("osx", StringComparison.Ordinal) || rid.StartsWith("macos", StringComparison.Ordinal) ? "osx"
            : rid.Contains("musl", StringComparison.Ordinal) || rid.StartsWith("alpine", StringComparison.Ordinal) ? "linux-musl"
            : "linux";
        string arch = architecture switch
        {
            Architecture.X64 => "x64",
            Architecture.X86 => "x86",
            Architecture.Arm64 => "arm64",
            Architecture.Arm => "arm",
            _ => architecture.ToString().ToLowerInvariant(),
        };
        string baseName = Path.GetFileNameWithoutExtension(libraryName);
        string file = os switch
        {
            "win" => baseName + ".dll",
            "osx" => (baseName.StartsWith("lib", StringComparison.Ordinal) ? baseName : "lib" + baseName) + ".dylib",
            _ => (baseName.StartsWith("lib", StringComparison.Ordinal) ? baseName : "lib" + baseName) + ".so",
        };
        // One candidate only: a glibc build does not load on musl, nor an x64 build on arm64.
        return new[] { Path.Combine("runtimes", $"{os}-{arch}", "native", file) };
    }
}
