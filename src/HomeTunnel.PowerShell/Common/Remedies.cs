using System.Collections.Generic;

namespace HomeTunnel;

/// <summary>
/// What to do about an error, by its id: one catalogue for messages, Test-TunnelPath's remedies and
/// ErrorRecord.ErrorDetails.RecommendedAction. Never chosen by searching a message's words.
/// </summary>
public static class Remedies
{
    private static readonly Dictionary<string, string> Catalogue = new()
    {
        ["HostKeyUnknown"] = "Enrol the host key once, after checking it: 'ssh-keyscan -p {port} {host} | ssh-keygen -lf -' must show the fingerprint your VPS provider shows; then 'ssh-keyscan -p {port} {host} >> {known}' (docs/ssh-trust.md).",
        ["HostKeyChanged"] = "The host key of {host} is not the one you trusted: someone may be in the middle, or the host was reinstalled. Find out which before anything else; only when you know the new key is right, remove the old one ('ssh-keygen -R {host} -f {known}') and enrol the new one (docs/ssh-trust.md).",
        ["SshAuthenticationFailed"] = "SSH refused the key for {host}: check -UserName and -KeyFilePath, and that the key is in the host's authorized_keys.",
        ["SshNoPowerShellSubsystem"] = "{host} has no powershell subsystem: add 'Subsystem powershell /usr/bin/pwsh -sshs -NoLogo' to its sshd_config and reload sshd.",
        ["SshConnectFailed"] = "Run 'ssh -p {port} {host}' to see why: the host may be down or its firewall may block SSH.",
        ["NotRootNorSudo"] = "Connect as root, or give the user password-less sudo for wg and apache2ctl (docs/sudo.md).",
        ["NotOwnedByHomeTunnel"] = "HomeTunnel replaces or deletes only files it wrote. To adopt a hand-made file, run the command again with -Force after reading what -WhatIf shows will be lost (docs/security.md).",
        ["ServerNameTaken"] = "Another enabled site on {host} already answers that name: remove the name from it (or disable it) first, so that exactly one site serves each name.",
        ["BasicAuthPasswordMissing"] = "Give the site its user and password once: New-ApacheProxySite ... -Credential (Get-Credential). Later runs may name just -BasicAuthUser: the hash on {host} is kept.",
        ["ApacheConfigBroken"] = "Fix the relay's Apache configuration first ('apache2ctl configtest' on the relay shows what is wrong); HomeTunnel changes nothing on a broken one.",
        ["ConfigTestFailed"] = "The new site did not pass 'apache2ctl configtest' and was rolled back; check the site's directives (Test-TunnelConfig, -WhatIf).",
        ["NftNotInstalled"] = "Install nftables on {host} ('apt-get install nftables'), then run the command again.",
        ["NftRejected"] = "nft refused the forwards and the old ones are back: check that the tunnel interface and ports are right (New-TunnelPortForward), and that the relay's nftables is recent enough for DNAT in an ip table.",
        ["HostKeyMismatch"] = "The host offers a key whose fingerprint is not the one you expected: someone may be in the middle, or the fingerprint was copied wrong. Compare again on the provider's console before anything else.",
        ["HostKeyNotConfirmed"] = "Compare the fingerprint shown with the host's own ('ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub' on its console), then pass it as -ExpectedHostKeyFingerprint.",
        ["SshdConfigInvalid"] = "sshd refused the sshd_config with the powershell subsystem line and the old file is back: 'sshd -t' on the host shows which line it objects to.",
        ["ForwardPortInUse"] = "Forward another public port: the relay's own SSH, WireGuard, Apache and other listeners are read from {host} and can never be forwarded (docs/security.md).",
        ["ForwardOverlaps"] = "Uninstall the forward it overlaps first (Uninstall-TunnelPortForward -Session ...), or choose public ports that no other forward on {host} covers.",
        ["ForwardTargetNotAPeer"] = "Forward to a home peer's tunnel address on that interface: install the relay's WireGuard config with the peer first (Install-WireGuardConfig or Publish-HomeService).",
        ["BackendNotATunnelPeer"] = "Give the site a home peer's tunnel address as its backend, and install the relay's WireGuard config with that peer first (Install-WireGuardConfig, or Publish-HomeService for both).",
        ["RelayFactsUnavailable"] = "Install iproute2 on {host} (it provides 'ss'), so HomeTunnel can read which ports the relay itself uses.",
        ["HostRequired"] = "Give -Session with the hosts' PSSessions (New-PSSession -HostName ..., or Initialize-TunnelHost for a bare host), or -Local to work on this machine on purpose.",
        ["HostConflict"] = "Give either -Session or -Local, not both.",
        ["HostBusy"] = "Another HomeTunnel apply holds the host lock: wait for it to finish, then run the command again.",
        ["WorkerTimedOut"] = "Run the same command again: it shows where the host stands and finishes what is left.",
        ["RequestInvalid"] = "The module and its agent disagree on a request: import the module again (Import-Module HomeTunnel -Force) and run the command once more.",
        ["WorkerStopped"] = "Run the same command again: it shows where the host stands and finishes what is left.",
        ["RunFolderUnsafe"] = "Remove the link and let HomeTunnel create its run folder (mode 0700) on the next call.",
        ["UnsupportedAgentVersion"] = "Use the same HomeTunnel version on both sides: the module sends its own agent, so reimport the module (Import-Module HomeTunnel -Force).",
    };

    public static string? For(string? errorId, string host, int port = 22, string? knownHostsFile = null) =>
        errorId is not null && Catalogue.TryGetValue(errorId, out string? text)
            ? text.Replace("{host}", host, System.StringComparison.Ordinal)
                .Replace("{port}", port.ToString(System.Globalization.CultureInfo.InvariantCulture), System.StringComparison.Ordinal)
                .Replace("{known}", knownHostsFile ?? "~/.ssh/known_hosts", System.StringComparison.Ordinal)
            : null;
}
