using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using HomeTunnel.Forwards;
using HomeTunnel.WireGuard;

namespace HomeTunnel.Bootstrap;

/// <summary>What Initialize-TunnelHost is asked to do, besides the host to do it on.</summary>
public sealed record BootstrapRequest(TunnelRole Role, int ListenPort = 51820, PowerShellPackage? PowerShellPackage = null);

/// <summary>
/// Decides, from a host's facts, the steps that bring it to what the other cmdlets need — nothing when it is
/// there already, so a second run changes nothing. Pure: the same facts give the same steps, offline.
/// </summary>
public static class BootstrapPlanner
{
    public const string SubsystemMarker = "# Added by HomeTunnel (Initialize-TunnelHost)";
    private static readonly Regex SafePath = new(@"\A/[A-Za-z0-9._/+-]{1,200}\z", RegexOptions.CultureInvariant);
    private static readonly Regex NftName = new(@"\A[A-Za-z0-9_.-]{1,64}\z", RegexOptions.CultureInvariant);

    public static IReadOnlyList<BootstrapStep> Plan(BootstrapFacts facts, BootstrapRequest request, string hostName)
    {
        BootstrapProfile profile = BootstrapProfile.For(facts.Os)
            ?? throw new HomeTunnelException("HostProfileNotSupported", ErrorKind.NotInstalled,
                $"{hostName} runs {Describe(facts.Os)}, which has no HomeTunnel host profile; Debian/Ubuntu, Fedora/RHEL and Alpine do.", hostName);
        var refused = new List<string>();
        if (profile.NotSupported(request.Role, facts) is string why)
        {
            refused.Add(why);
        }

        var steps = new List<BootstrapStep>();
        string? pwsh = facts.Command("pwsh");
        var packages = profile.Packages(request.Role, needsWireGuardGo: !facts.KernelWireGuard).ToList();
        string? pwshScript = null;
        if (pwsh is null)
        {
            if (request.PowerShellPackage is { } package)
            {
                pwshScript = profile.PowerShellFromPackage(package.Kind);
                if (pwshScript is null)
                {
                    refused.Add($"a PowerShell {package.Kind.ToString().ToLowerInvariant()} package on {profile.Name} (give {(profile is DebianProfile ? "the .deb or" : profile is FedoraProfile ? "the .rpm or" : "the")} .tar.gz)");
                }
                else if (package.Kind == PowerShellPackageKind.Archive)
                {
                    if (profile.PowerShellArchivePrerequisites(facts.Os) is { } libraries)
                    {
                        packages.AddRange(libraries);
                    }
                    else
                    {
                        refused.Add($"the PowerShell archive on {Describe(facts.Os)}: HomeTunnel does not know its libraries' package names (give the .deb instead)");
                    }
                }
            }
            else
            {
                pwshScript = profile.PowerShellFromRepository(facts.Os);
                if (pwshScript is null)
                {
                    refused.Add($"PowerShell from a package repository on {Describe(facts.Os)}: Microsoft publishes none for it (give the archive with -PowerShellPackage)");
                }
                else
                {
                    packages.AddRange(profile.RepositoryTools);
                }
            }
        }
        else if (!SafePath.IsMatch(pwsh))
        {
            refused.Add($"a pwsh at a path HomeTunnel will not write into sshd_config ('{pwsh}')");
        }

        if (refused.Count > 0)
        {
            throw new HomeTunnelException("HostProfileStepNotSupported", ErrorKind.NotInstalled,
                $"Initialize-TunnelHost cannot set up {hostName} ({Describe(facts.Os)}) as {request.Role.ToString().ToLowerInvariant()}: not supported yet is {string.Join("; and ", refused)}. Nothing was changed.",
                hostName);
        }

        var missing = packages.Distinct(StringComparer.Ordinal).Where(p => !facts.Packages.Contains(p)).ToList();
        if (missing.Count > 0)
        {
            steps.Add(new BootstrapStep("Packages", $"install {string.Join(' ', missing)}", profile.InstallPackages(missing)));
        }
        if (pwshScript is not null)
        {
            steps.Add(new BootstrapStep("PowerShell",
                request.PowerShellPackage is { } p ? $"install PowerShell from {System.IO.Path.GetFileName(p.Path)}" : "install PowerShell from Microsoft's package repository",
                pwshScript, request.PowerShellPackage?.Path));
        }
        if (facts.PowerShellSubsystem is null)
        {
            steps.Add(new BootstrapStep("SshSubsystem", $"add 'Subsystem powershell {pwsh ?? "/usr/bin/pwsh"} -sshs -NoLogo -NoProfile' to /etc/ssh/sshd_config (checked with sshd -t, the old file restored if it fails), then {ReloadSsh(profile, facts)}",
                SubsystemScript(pwsh ?? "/usr/bin/pwsh", ReloadSsh(profile, facts))));
        }
        if (request.Role == TunnelRole.Relay && FirewallStep(facts, request.ListenPort) is { } firewall)
        {
            steps.Add(firewall);
        }
        if (request.Role == TunnelRole.Relay && facts.Init == "systemd"
            && !(facts.EnabledAtBoot.TryGetValue(profile.WebService, out string? state) && state == "enabled"))
        {
            steps.Add(new BootstrapStep("WebServerAtBoot", $"start {profile.WebService} at boot", $"set -e\nsystemctl enable {profile.WebService}\n"));
        }
        return steps;
    }

    private static string Describe(OsRelease os) => os.PrettyName.Length > 0 ? os.PrettyName : "an unknown system";

    private static string ReloadSsh(BootstrapProfile profile, BootstrapFacts facts) => facts.Init switch
    {
        "systemd" => $"systemctl reload {profile.SshService}",
        "openrc" => $"rc-service {profile.SshService} reload",
        _ => "kill -HUP \"$(cat /run/sshd.pid)\"",
    };

    /// <summary>
    /// Adds the subsystem line before the first Match block (where it would not be allowed), keeps the old file,
    /// and puts it back byte for byte when 'sshd -t' refuses the new one: a broken sshd_config on a remote host
    /// locks its owner out. Exit 3 means refused and restored.
    /// </summary>
    public static string SubsystemScript(string pwshPath, string reload) =>
        "set -e\n" +
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n" +
        "f=/etc/ssh/sshd_config\n" +
        "keep=$(mktemp /etc/ssh/.sshd_config.hometunnel-keep.XXXXXXXX)\n" +
        "new=$(mktemp /etc/ssh/.sshd_config.hometunnel-new.XXXXXXXX)\n" +
        "trap 'rm -f \"$keep\" \"$new\"' EXIT\n" +
        "cp -p \"$f\" \"$keep\"\n" +
        "cp -p \"$f\" \"$new\"\n" +
        $"awk -v marker='{SubsystemMarker}' -v line='Subsystem powershell {pwshPath} -sshs -NoLogo -NoProfile' '\n" +
        "  !done && /^[[:space:]]*[Mm][Aa][Tt][Cc][Hh][[:space:]]/ { print marker; print line; done = 1 }\n" +
        "  { print }\n" +
        "  END { if (!done) { print marker; print line } }' \"$keep\" > \"$new\"\n" +
        "mv \"$new\" \"$f\"\n" +
        "sshd=$(command -v sshd || echo /usr/sbin/sshd)\n" +
        "if ! out=$(\"$sshd\" -t 2>&1); then\n" +
        "  cp -p \"$keep\" \"$f\"\n" +
        "  printf 'sshd -t refused the new sshd_config; the old file is back: %s\\n' \"$out\" >&2\n" +
        "  exit 3\n" +
        "fi\n" +
        $"{reload}\n";

    private static BootstrapStep? FirewallStep(BootstrapFacts facts, int listenPort)
    {
        var wanted = new[] { $"{listenPort}/udp", "80/tcp", "443/tcp" };
        // On nftables an opening counts only when its item is kept too: a rule alone is gone at the next boot.
        var missing = wanted.Where(p => !facts.OpenPorts.Contains(p) || (facts.Firewall == "nftables" && !facts.NftKept.Contains(p))).ToList();
        if (missing.Count == 0)
        {
            return null;
        }
        string description = $"open {string.Join(", ", missing)} in {facts.Firewall}";
        switch (facts.Firewall)
        {
            case "ufw":
                return new BootstrapStep("Firewall", description,
                    "set -e\n" + string.Concat(missing.Select(p => $"ufw allow {p} comment HomeTunnel\n")));
            case "firewalld":
                return new BootstrapStep("Firewall", description,
                    "set -e\nfirewall-cmd --permanent" + string.Concat(missing.Select(p => $" --add-port={p}")) + "\nfirewall-cmd --reload\n");
            case "nftables":
                if (!facts.NftDropChains.Any(c => c.Split(' ').All(NftName.IsMatch)))
                {
                    return null;
                }
                // HomeTunnel's openings at the head of each dropping input chain, kept by items, a loader and a boot
                // unit (NftHostOpenings); the openings it made before are kept as items too.
                return new BootstrapStep("Firewall", description,
                    NftHostOpenings.Script(wanted.Concat(facts.OpenPorts), facts.Init == "systemd"));
            default:
                return null;
        }
    }
}
