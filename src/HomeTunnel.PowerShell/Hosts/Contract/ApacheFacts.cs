using System.Collections.Generic;

namespace HomeTunnel.Hosts.Contract;

/// <summary>
/// The Apache kind's facts, for the sites a change names: each site's files and link, the enabled modules, whether
/// Apache runs (and starts at boot: null without systemd), the relay's tunnel peers (null for an uninstall), the
/// names the other enabled sites serve, and HomeTunnel's DNS-01 hook and nsupdate (null when no site uses the hook).
/// </summary>
public sealed record ApacheFacts(IReadOnlyList<ApacheSiteFacts> Sites, IReadOnlyList<string> Modules, bool Running, bool? AtBoot, TunnelPeerText? Tunnel,
    IReadOnlyList<ApacheOtherSite> OtherSites, string? Hook, bool? Nsupdate);

/// <summary>
/// One site's files: sites-available (null when absent), its sites-enabled entry and where that points, its
/// password file (null when absent or the site has none), and its DNS-01 key file as a digest only (null when absent).
/// </summary>
public sealed record ApacheSiteFacts(string FileName, string Path, string? Current, bool Enabled, string EnabledTarget, string? PasswordCurrent, SecretFileFact? AcmeKey);

/// <summary>A file that holds a secret: only the SHA-256 of its text and whether it starts with HomeTunnel's marker leave the host.</summary>
public sealed record SecretFileFact(string Digest, bool Ours);

/// <summary>
/// Another enabled site: its file and its ServerName and ServerAlias lines as they stand, one per line (only these
/// lines leave the host, never the rest of the file's text; the module reads the names from them,
/// <see cref="HomeTunnel.Apache.ApacheServedNames"/>).
/// </summary>
public sealed record ApacheOtherSite(string File, string Lines);
