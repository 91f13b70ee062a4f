using System;
using System.IO;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace HomeTunnel;

/// <summary>
/// Loads the module's dependencies (NSec, DnsClient) from its "deps" folder into a load context of their
/// own, so another module's copy of them cannot break ours, and resolves the native libsodium from
/// deps/runtimes/&lt;rid&gt;/native for whichever platform pwsh runs on.
/// </summary>
internal sealed class DependencyLoadContext : AssemblyLoadContext
{
    private static readonly string ModuleFolder = Path.GetDirectoryName(typeof(DependencyLoadContext).Assembly.Location) ?? AppContext.BaseDirectory;

    internal static readonly string DepsFolder = Path.Combine(ModuleFolder, "deps");

    internal static readonly DependencyLoadContext Instance = new();

    private DependencyLoadContext() : base("HomeTunnel.Dependencies", isCollectible: false) { }

    /// <summary>Runs before any other code of this assembly, so the hook is in place before NSec is first needed.</summary>
#pragma warning disable CA2255 // a binary module is exactly the case: PowerShell reflects over our types before any import hook runs
    [ModuleInitializer]
    internal static void Register()
    {
        // Idempotent: Import-Module -Force after Remove-Module runs the import hook again on the same assembly.
        Default.Resolving -= ResolveFromDefault;
        Default.Resolving += ResolveFromDefault;
    }
#pragma warning restore CA2255

    internal static void Unregister() => Default.Resolving -= ResolveFromDefault;

    private static Assembly? ResolveFromDefault(AssemblyLoadContext context, AssemblyName name) =>
        File.Exists(PathOf(name)) ? Instance.LoadFromAssemblyName(name) : null;

    private static string PathOf(AssemblyName name) => Path.Combine(DepsFolder, (name.Name ?? string.Empty) + ".dll");

    protected override Assembly? Load(AssemblyName name)
    {
        string path = PathOf(name);
        return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        foreach (string relative in NativeLibraryLocator.Candidates(RuntimeInformation.RuntimeIdentifier, RuntimeInformation.OSArchitecture, unmanagedDllName))
        {
            string path = Path.Combine(DepsFolder, relative);
            if (File.Exists(path))
            {
                return LoadUnmanagedDllFromPath(path);
            }
        }
        return IntPtr.Zero; // fall back to the system's search (a distribution's own libsodium)
    }
}
