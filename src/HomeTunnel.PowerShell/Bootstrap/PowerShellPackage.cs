using System;
using System.IO;

namespace HomeTunnel.Bootstrap;

[Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
public enum PowerShellPackageKind { Deb, Rpm, Archive }

/// <summary>A PowerShell package or archive the user hands over (-PowerShellPackage), recognised by its name.</summary>
public sealed record PowerShellPackage(string Path, PowerShellPackageKind Kind)
{
    public static PowerShellPackage From(string path)
    {
        if (!File.Exists(path))
        {
            throw new HomeTunnelException("FileNotFound", ErrorKind.ObjectNotFound, $"No PowerShell package at '{path}'.", path);
        }
        string name = System.IO.Path.GetFileName(path).ToLowerInvariant();
        PowerShellPackageKind kind = name.EndsWith(".deb", StringComparison.Ordinal) ? PowerShellPackageKind.Deb
            : name.EndsWith(".rpm", StringComparison.Ordinal) ? PowerShellPackageKind.Rpm
            : name.EndsWith(".tar.gz", StringComparison.Ordinal) || name.EndsWith(".tgz", StringComparison.Ordinal) ? PowerShellPackageKind.Archive
            : throw HomeTunnelException.Invalid("PowerShellPackageUnknown",
                $"'{path}' is not a PowerShell package HomeTunnel knows: give the .deb, .rpm or .tar.gz file from PowerShell's releases.", path);
        return new PowerShellPackage(path, kind);
    }
}
