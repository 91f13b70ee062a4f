using System;
using System.Collections.Generic;
using System.Linq;
using HomeTunnel.WireGuard;

namespace HomeTunnel.Bootstrap;

/// <summary>
/// A family of distributions: its package manager, package names, service names and file layout — the exact
/// commands Initialize-TunnelHost runs there. A step a profile cannot do yet says so (<see cref="NotSupported"/>),
/// and the whole plan is refused before anything changes.
/// </summary>
public abstract class BootstrapProfile
{
    public abstract string Name { get; }

    /// <summary>Packages a role needs; wireguard-go only where the kernel has no WireGuard.</summary>
    public abstract IReadOnlyList<string> Packages(TunnelRole role, bool needsWireGuardGo);

    /// <summary>The command that installs packages (their names are the profile's own constants).</summary>
    public abstract string InstallPackages(IEnumerable<string> packages);

    /// <summary>Libraries the PowerShell archive needs on this version, or null when the profile does not know them.</summary>
    public abstract IReadOnlyList<string>? PowerShellArchivePrerequisites(OsRelease os);

    /// <summary>Tools the repository install needs to download the repository's definition.</summary>
    public virtual IReadOnlyList<string> RepositoryTools => new[] { "curl", "ca-certificates" };

    /// <summary>Adds Microsoft's package repository and installs PowerShell from it, or null when there is none for this system.</summary>
    public abstract string? PowerShellFromRepository(OsRelease os);

    /// <summary>Installs a package file read from stdin; null when the profile cannot take this kind.</summary>
    public abstract string? PowerShellFromPackage(PowerShellPackageKind kind);

    public abstract string SshService { get; }
    public abstract string WebService { get; }

    /// <summary>Why a role cannot be served here yet, or null.</summary>
    public virtual string? NotSupported(TunnelRole role, BootstrapFacts facts) => null;

    public static BootstrapProfile? For(OsRelease os) =>
        os.Is("debian") || os.Is("ubuntu") ? new DebianProfile()
        : os.Is("fedora") || os.Is("rhel") || os.Is("centos") ? new FedoraProfile()
        : os.Is("alpine") ? new AlpineProfile()
        : null;

    /// <summary>Extracts the official archive to where the packages put PowerShell, and links /usr/bin/pwsh.</summary>
    protected const string ArchiveInstall =
        "set -e\n" +
        "tmp=$(mktemp -d /var/tmp/hometunnel.XXXXXXXX)\n" +
        "trap 'rm -rf \"$tmp\"' EXIT\n" +
        "cat > \"$tmp/powershell.tar.gz\"\n" +
        "dir=/opt/microsoft/powershell/7\n" +
        "rm -rf \"$dir.new\" && mkdir -p \"$dir.new\"\n" +
        "tar -xzf \"$tmp/powershell.tar.gz\" -C \"$dir.new\"\n" +
        "chmod 755 \"$dir.new/pwsh\"\n" +
        "rm -rf \"$dir\" && mv \"$dir.new\" \"$dir\"\n" +
        "ln -sfn \"$dir/pwsh\" /usr/bin/pwsh\n" +
        "/usr/bin/pwsh -NoLogo -NoProfile -NonInteractive -Command '$PSVersionTable.PSVersion.ToString()'\n";

    /// <summary>A package file from stdin into a private folder, then the given install command on it.</summary>
    protected static string PackageFileInstall(string extension, string install) =>
        "set -e\n" +
        "tmp=$(mktemp -d /var/tmp/hometunnel.XXXXXXXX)\n" +
        "trap 'rm -rf \"$tmp\"' EXIT\n" +
        $"cat > \"$tmp/powershell{extension}\"\n" +
        $"{install} \"$tmp/powershell{extension}\"\n" +
        "/usr/bin/pwsh -NoLogo -NoProfile -NonInteractive -Command '$PSVersionTable.PSVersion.ToString()'\n";
}

/// <summary>Debian and Ubuntu: apt, apache2 with a2ensite, systemd.</summary>
public sealed class DebianProfile : BootstrapProfile
{
    private const string Apt = "DEBIAN_FRONTEND=noninteractive apt-get";

    public override string Name => "Debian";

    public override IReadOnlyList<string> Packages(TunnelRole role, bool needsWireGuardGo)
    {
        var list = new List<string> { "wireguard-tools", "iproute2", "nftables" }; // nft: the relay's forwards, the home firewall
        if (needsWireGuardGo)
        {
            list.Add("wireguard-go");
        }
        if (role == TunnelRole.Relay)
        {
            list.Add("apache2"); // apache2-bin carries mod_proxy, mod_proxy_http and mod_md
        }
        return list;
    }

    public override string InstallPackages(IEnumerable<string> packages) =>
        $"set -e\n{Apt} update -q\n{Apt} install -y -q --no-install-recommends {string.Join(' ', packages)}\n";

    // PowerShell's documented dependencies for the archive; only ICU's name moves with the release.
    private static readonly Dictionary<string, string> Icu = new(StringComparer.Ordinal)
    {
        ["debian 11"] = "libicu67", ["debian 12"] = "libicu72", ["debian 13"] = "libicu76",
        ["ubuntu 20"] = "libicu66", ["ubuntu 22"] = "libicu70", ["ubuntu 24"] = "libicu74",
    };

    public override IReadOnlyList<string>? PowerShellArchivePrerequisites(OsRelease os) =>
        Icu.TryGetValue($"{os.Id} {os.Major}", out string? icu) ? new[] { icu, "ca-certificates" } : null;

    public override string? PowerShellFromRepository(OsRelease os) =>
        os.Id is not ("debian" or "ubuntu") || !System.Text.RegularExpressions.Regex.IsMatch(os.VersionId, @"\A[0-9]{1,2}(\.[0-9]{2})?\z")
            ? null
            : "set -e\n" +
              "tmp=$(mktemp -d /var/tmp/hometunnel.XXXXXXXX)\n" +
              "trap 'rm -rf \"$tmp\"' EXIT\n" +
              $"curl -fsSL --max-time 60 -o \"$tmp/packages-microsoft-prod.deb\" https://packages.microsoft.com/config/{os.Id}/{os.VersionId}/packages-microsoft-prod.deb\n" +
              $"{Apt} install -y -q \"$tmp/packages-microsoft-prod.deb\"\n" +
              $"{Apt} update -q\n" +
              $"{Apt} install -y -q powershell\n";

    public override string? PowerShellFromPackage(PowerShellPackageKind kind) => kind switch
    {
        PowerShellPackageKind.Deb => PackageFileInstall(".deb", $"{Apt} install -y -q"),
        PowerShellPackageKind.Archive => ArchiveInstall,
        _ => null,
    };

    public override string SshService => "ssh";
    public override string WebService => "apache2";
}

/// <summary>Fedora, RHEL and its rebuilds: dnf, httpd with /etc/httpd/conf.d, firewalld, systemd.</summary>
public sealed class FedoraProfile : BootstrapProfile
{
    public override string Name => "Fedora/RHEL";

    public override IReadOnlyList<string> Packages(TunnelRole role, bool needsWireGuardGo)
    {
        var list = new List<string> { "wireguard-tools", "iproute", "nftables" };
        if (role == TunnelRole.Relay)
        {
            list.AddRange(new[] { "httpd", "mod_md", "mod_ssl" });
        }
        return list;
    }

    public override string InstallPackages(IEnumerable<string> packages) => $"set -e\ndnf install -y -q {string.Join(' ', packages)}\n";

    public override IReadOnlyList<string>? PowerShellArchivePrerequisites(OsRelease os) =>
        new[] { "libicu", "openssl-libs", "krb5-libs", "zlib" };

    public override IReadOnlyList<string> RepositoryTools => new[] { "curl" };

    public override string? PowerShellFromRepository(OsRelease os) =>
        !System.Text.RegularExpressions.Regex.IsMatch(os.Major, @"\A[0-9]{1,2}\z")
            ? null
            : "set -e\n" +
              "rpm --import https://packages.microsoft.com/keys/microsoft.asc\n" +
              $"curl -fsSL --max-time 60 -o /etc/yum.repos.d/microsoft.repo https://packages.microsoft.com/config/rhel/{(os.Is("fedora") ? "9" : os.Major)}/prod.repo\n" +
              "dnf install -y -q powershell\n";

    public override string? PowerShellFromPackage(PowerShellPackageKind kind) => kind switch
    {
        PowerShellPackageKind.Rpm => PackageFileInstall(".rpm", "dnf install -y -q"),
        PowerShellPackageKind.Archive => ArchiveInstall,
        _ => null,
    };

    public override string SshService => "sshd";
    public override string WebService => "httpd";

    public override string? NotSupported(TunnelRole role, BootstrapFacts facts) =>
        role == TunnelRole.Relay
            ? "a relay on Fedora/RHEL: its Apache keeps sites in /etc/httpd/conf.d with no a2ensite, a layout Install-ApacheProxySite does not manage yet"
            : !facts.KernelWireGuard
                ? "a kernel without WireGuard on Fedora/RHEL: there is no wireguard-go package to fall back on"
                : null;
}

/// <summary>Alpine: apk, OpenRC, apache2 with /etc/apache2/conf.d.</summary>
public sealed class AlpineProfile : BootstrapProfile
{
    public override string Name => "Alpine";

    public override IReadOnlyList<string> Packages(TunnelRole role, bool needsWireGuardGo)
    {
        var list = new List<string> { "wireguard-tools", "iproute2", "nftables" }; // nft: the relay's forwards, the home firewall
        if (needsWireGuardGo)
        {
            list.Add("wireguard-go");
        }
        if (role == TunnelRole.Relay)
        {
            list.AddRange(new[] { "apache2", "apache2-proxy", "apache2-ssl" });
        }
        return list;
    }

    public override string InstallPackages(IEnumerable<string> packages) => $"set -e\napk add --no-cache {string.Join(' ', packages)}\n";

    public override IReadOnlyList<string>? PowerShellArchivePrerequisites(OsRelease os) =>
        new[] { "ca-certificates", "less", "ncurses-terminfo-base", "krb5-libs", "libgcc", "libintl", "libssl3", "libstdc++", "tzdata", "userspace-rcu", "zlib", "icu-libs" };

    public override IReadOnlyList<string> RepositoryTools => Array.Empty<string>();

    // Microsoft publishes no apk repository: the musl archive comes through -PowerShellPackage.
    public override string? PowerShellFromRepository(OsRelease os) => null;

    public override string? PowerShellFromPackage(PowerShellPackageKind kind) => kind == PowerShellPackageKind.Archive ? ArchiveInstall : null;

    public override string SshService => "sshd";
    public override string WebService => "apache2";

    public override string? NotSupported(TunnelRole role, BootstrapFacts facts) =>
        role == TunnelRole.Relay
            ? "a relay on Alpine: its Apache keeps sites in /etc/apache2/conf.d with no a2ensite, a layout Install-ApacheProxySite does not manage yet"
            : "a home machine on Alpine: OpenRC has no wg-quick service to bring the tunnel back after a reboot, and HomeTunnel does not write one yet";
}
