using System;
using System.IO;
using System.Runtime.InteropServices;

namespace HomeTunnel.WireGuard;

/// <summary>
/// Public keys for many private keys at once, through libsodium's crypto_scalarmult_curve25519_base —
/// the same native library and function NSec uses, called directly. NSec's Key.Import puts every key
/// in its own guarded allocation (sodium_malloc: mmap, mprotect, mlock), which costs three times the
/// scalar multiplication itself and serializes on the kernel's memory lock; for bulk generation the key
/// bytes are already in managed memory, so the guard buys nothing there. Single keys, parsing and every
/// other use stay on NSec. When the library cannot be found this way, callers fall back to NSec.
/// </summary>
internal static unsafe class X25519Bulk
{
    private static readonly Lazy<IntPtr> ScalarMultBase = new(Load);

    public static bool Available => ScalarMultBase.Value != IntPtr.Zero;

    /// <summary>Writes the 32-byte public key of <paramref name="privateKey"/> into <paramref name="publicKey"/>.</summary>
    public static void PublicKey(ReadOnlySpan<byte> privateKey, Span<byte> publicKey)
    {
        var f = (delegate* unmanaged<byte*, byte*, int>)ScalarMultBase.Value;
        fixed (byte* q = publicKey)
        fixed (byte* n = privateKey)
        {
            if (f(q, n) != 0)
            {
                throw new InvalidOperationException("crypto_scalarmult_curve25519_base refused a key.");
            }
        }
    }

    private static IntPtr Load()
    {
        try
        {
            foreach (string relative in NativeLibraryLocator.Candidates(RuntimeInformation.RuntimeIdentifier, RuntimeInformation.OSArchitecture, "libsodium"))
            {
                string path = Path.Combine(DependencyLoadContext.DepsFolder, relative);
                if (File.Exists(path) && NativeLibrary.TryLoad(path, out IntPtr lib)
                    && NativeLibrary.TryGetExport(lib, "sodium_init", out IntPtr init)
                    && NativeLibrary.TryGetExport(lib, "crypto_scalarmult_curve25519_base", out IntPtr mult))
                {
                    return ((delegate* unmanaged<int>)init)() >= 0 ? mult : IntPtr.Zero;
                }
            }
        }
        catch (Exception e) when (e is IOException or BadImageFormatException or DllNotFoundException or EntryPointNotFoundException)
        {
            // fall through: NSec is used instead
        }
        return IntPtr.Zero;
    }
}
