using System.Collections.Generic;

namespace HomeTunnel.Hosts.Contract;

// The change kinds' plans: what the module decided from a host's facts, sent with the apply call (HostRequest.Plan)
// for the worker to carry out under the host lock if the facts are still the same. The agent reads them by these
// members; the planners' outputs are held to reviewed snapshots (tests/HomeTunnel.Tests/Plans).

/// <summary>
/// A WireGuard change: the file (its old text, to put back on failure), whether the interface is up, what differs
/// (the file, the live peers), whether the routing changes (down and up), a new MTU to set live (null: none), and boot.
/// </summary>
public sealed record WireGuardPlan(string Path, string? Current, bool Up, bool FileChanged, bool LiveChanged, bool Restart, int? Mtu, WireGuardBootPlan Boot);

/// <summary>On systemd: enable wg-quick@ at boot, HomeTunnel's watch (its unit files to write, by path), and whether anything of it changes.</summary>
public sealed record WireGuardBootPlan(bool Changed, bool Enable, bool Watch, bool Watching, IReadOnlyDictionary<string, string> Units);

/// <summary>An Apache change: each site's plan, Apache to start (not running) or enable at boot, the DNS-01 hook.</summary>
public sealed record ApachePlan(IReadOnlyList<ApacheSitePlan> Sites, bool Running, bool AtBoot, bool Changed, string HookPath, string? HookCurrent, string? HookText, bool HookChanged);

/// <summary>
/// One site: its file (old text for a rollback), its link, the modules to enable, its password file and DNS-01 key
/// file (the new text, or null to remove; a key file's text is a secret of the request, redacted wherever shown).
/// </summary>
public sealed record ApacheSitePlan(string FileName, string Name, string Path, string? Current, bool Enabled, IReadOnlyList<string> MissingModules, bool Changed,
    string PasswordPath, string? PasswordCurrent, string? PasswordText, bool PasswordChanged, string AcmeKeyPath, string? AcmeKeyText, bool AcmeKeyChanged, string AcmeKeyUser);

/// <summary>
/// A change to one of HomeTunnel's nftables tables: the files to write (by path) and to remove, every file it may
/// touch as it is now (null: absent; what a failed apply puts back), and what to do with the table and its unit.
/// </summary>
public sealed record NftTablePlan(IReadOnlyDictionary<string, string> Writes, IReadOnlyList<string> Removes, IReadOnlyDictionary<string, string?> Backup,
    bool Reload, bool DropTable, bool IpForward, bool EnableUnit, bool DisableUnit);
