using System.Management.Automation;
using System;
using System.Collections.Generic;
using System.Linq;

namespace HomeTunnel.WireGuard;

/// <summary>
/// One interface and its peers in wg-quick's format. Rendering is byte-stable (the same object gives the
/// same text), so an apply can tell "unchanged" by comparing text. <see cref="Text"/> is the file with
/// secrets redacted; the real file comes only from <see cref="RevealText"/>.
/// </summary>
public sealed class WireGuardConfig
{
    public string? Name { get; init; }

    /// <summary>Never in JSON (Text shows it as "(redacted)").</summary>
    [Newtonsoft.Json.JsonIgnore, Hidden]
    public WireGuardPrivateKey? PrivateKey { get; init; }
    public string? PublicKey => PrivateKey?.PublicKey ?? RedactedKeyPublicKey;

    /// <summary>The interface's addresses as text (wg-quick's Address list).</summary>
    public string[] Address => AddressValues.Select(a => a.ToString()).ToArray();

    /// <summary>The typed addresses the module works with.</summary>
    internal IReadOnlyList<TunnelAddress> AddressValues { get; init; } = Array.Empty<TunnelAddress>();

    /// <summary>Read from a text whose private key was "(redacted)" (a config's JSON): shown so, never written to a host.</summary>
    internal bool PrivateKeyRedacted { get; init; }

    /// <summary>The public key a config with a "(redacted)" private key was shown with (its JSON's PublicKey).</summary>
    internal string? RedactedKeyPublicKey { get; init; }

    /// <summary>This config, read from its shown Text, given back the public key its JSON carried.</summary>
    internal WireGuardConfig WithRedactedKeyPublicKey(string publicKey) => Copy(PreserveClientAddress, KeyText.Public(publicKey));
    public int? ListenPort { get; init; }
    public int? Mtu { get; init; }
    public IReadOnlyList<string> Dns { get; init; } = Array.Empty<string>();
    public string? Table { get; init; }
    public string? FwMark { get; init; }

    /// <summary>
    /// A home config for forwards that keep the visitor's address: any IPv4 source from the relay, no routes
    /// from wg-quick (Table = off), and hooks that route the tunnel address's replies back into the tunnel
    /// (<see cref="ReturnRoute"/>). The hooks are written from the model, never taken from input.
    /// </summary>
    public bool PreserveClientAddress { get; init; }
    public IReadOnlyList<WireGuardSetting> ExtraSettings { get; init; } = Array.Empty<WireGuardSetting>();
    public IReadOnlyList<WireGuardPeerSection> Peers { get; init; } = Array.Empty<WireGuardPeerSection>();

    /// <summary>
    /// The side that dials (no ListenPort, a peer with an Endpoint): the home machine behind NAT. Its install fences
    /// the interface (Install-WireGuardConfig), since a relay that is broken into must reach only what was published.
    /// </summary>
    internal bool Dials => ListenPort is null && Peers.Any(p => p.Endpoint is not null);

    /// <summary>Where it was read from, when it was parsed from a file.</summary>
    public string? Source { get; init; }

    /// <summary>The wg-quick file with every key secret shown as "(redacted)".</summary>
    public string Text => WireGuardConfigWriter.Write(this, revealSecrets: false, stripped: false);

    /// <summary>The real wg-quick file, private and preshared keys included. For writing the 0600 file.</summary>
    public string RevealText() => WireGuardConfigWriter.Write(this, revealSecrets: true, stripped: false);

    /// <summary>What 'wg-quick strip' prints: the part 'wg setconf'/'wg syncconf' reads. Secrets included.</summary>
    public string RevealStrippedText() => WireGuardConfigWriter.Write(this, revealSecrets: true, stripped: true);

    public override string ToString() => $"{Name ?? PublicKey ?? "(no key)"}: {Peers.Count} peer(s)";

    /// <summary>
    /// What must hold before this config reaches a host, however the object was made: it passes the
    /// single-config checks, and its file parses back (no hook, no injected line) to the same file.
    /// </summary>
    public void EnsureInstallable()
    {
        TunnelConfigChecker.EnsureInstallable(this);
        string text = RevealText();
        WireGuardConfig again = WireGuardConfigParser.Parse(text, $"the config of {Name ?? PublicKey ?? "the interface"}");
        if (!string.Equals(again.RevealText(), text, StringComparison.Ordinal))
        {
            throw new HomeTunnelException("ConfigNotStable", ErrorKind.InvalidData,
                $"The config of {Name ?? PublicKey} does not read back as written (a value holds a line break or comment); nothing was changed.", Name ?? PublicKey);
        }
    }

    /// <summary>The config of <paramref name="self"/> with <paramref name="peers"/> as its [Peer] sections.</summary>
    public static WireGuardConfig Create(TunnelPeer self, IEnumerable<TunnelPeer> peers, bool preserveClientAddress = false)
    {
        if (preserveClientAddress && self.Role != TunnelRole.Home)
        {
            throw new HomeTunnelException("RoleMismatch", ErrorKind.InvalidArgument,
                $"Peer '{self.Name}' is the relay: -PreserveClientAddress prepares a home machine's config (its replies go back through the tunnel). Use it with -For $homePeer.", self.Name);
        }
        if (self.PrivateKey is null)
        {
            throw new HomeTunnelException("PrivateKeyMissing", ErrorKind.InvalidArgument,
                $"Peer '{self.Name}' has no private key here, so its config cannot be made. Import it with its private key, or make the config where the key lives.",
                self.Name);
        }
        var sections = new List<WireGuardPeerSection>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        bool selfGiven = false;
        foreach (TunnelPeer p in peers)
        {
            if (p.PublicKey == self.PublicKey)
            {
                if (p.Name != self.Name)
                {
                    throw new HomeTunnelException("SelfPeer", ErrorKind.InvalidArgument,
                        $"Peer '{p.Name}' has the public key of '{self.Name}' itself: a config lists the other side of the tunnel, never its own interface.", p.Name);
                }
                selfGiven = true;
                continue; // a list of all peers may include the interface's own: it is not its own peer
            }
            if (self.Role == TunnelRole.Home && p.Role == TunnelRole.Home)
            {
                // Home machines reach each other only through the relay; a home-to-home config never handshakes.
                throw new HomeTunnelException("RoleMismatch", ErrorKind.InvalidArgument,
                    $"Peer '{self.Name}' and peer '{p.Name}' are both Home peers: a home's config lists the relay. Use New-WireGuardConfig -For $homePeer -Peer $relayPeer.", p.Name);
            }
            if (!seen.Add(p.PublicKey))
            {
                throw new HomeTunnelException("DuplicatePeer", ErrorKind.InvalidArgument,
                    $"Peer '{p.Name}' is given twice (public key {p.PublicKey}); wg would merge the two silently.", p.PublicKey);
            }
            sections.Add(new WireGuardPeerSection
            {
                Name = p.Name,
                PublicKey = p.PublicKey,
                PresharedKey = PairKey(self, p),
                // Keeping the visitor's address means any source may arrive from the relay.
                AllowedIPValues = preserveClientAddress && p.Role == TunnelRole.Relay && !p.AllowedIPValues.Any(a => a.PrefixLength == 0 && !a.IsIPv6)
                    ? p.AllowedIPValues.Append(ReturnRoute.AnySource).ToArray()
                    : p.AllowedIPValues,
                EndpointValue = p.EndpointValue,
                PersistentKeepalive = self.PersistentKeepalive is > 0 ? self.PersistentKeepalive : null,
            });
        }
        if (selfGiven && sections.Count == 0)
        {
            throw new HomeTunnelException("SelfPeer", ErrorKind.InvalidArgument,
                $"The only peer given for '{self.Name}' is '{self.Name}' itself: a config lists the other side of the tunnel, never its own interface. Use New-WireGuardConfig -For $relayPeer -Peer $homePeer.", self.Name);
        }
        var config = new WireGuardConfig
        {
            Name = self.Name,
            PrivateKey = self.PrivateKey,
            AddressValues = self.AddressValues,
            ListenPort = self.ListenPort,
            Mtu = self.Mtu,
            Table = preserveClientAddress ? "off" : null,
            PreserveClientAddress = preserveClientAddress,
            Peers = sections.AsReadOnly(),
        };
        TunnelConfigChecker.EnsureInstallable(config);
        return config;
    }

    internal WireGuardConfig WithPreserveClientAddress() => Copy(true, RedactedKeyPublicKey);

    /// <summary>This config without the peer of that public key; every other peer, and everything else, as it is.</summary>
    internal WireGuardConfig WithoutPeer(string publicKey)
    {
        WireGuardConfig copy = Copy(PreserveClientAddress, RedactedKeyPublicKey);
        return new WireGuardConfig
        {
            Name = copy.Name, PrivateKey = copy.PrivateKey, PrivateKeyRedacted = copy.PrivateKeyRedacted, RedactedKeyPublicKey = copy.RedactedKeyPublicKey,
            AddressValues = copy.AddressValues, ListenPort = copy.ListenPort, Mtu = copy.Mtu, Dns = copy.Dns, Table = copy.Table, FwMark = copy.FwMark,
            ExtraSettings = copy.ExtraSettings, Peers = Peers.Where(p => p.PublicKey != publicKey).ToArray(), Source = copy.Source,
            PreserveClientAddress = copy.PreserveClientAddress,
        };
    }

    /// <summary>
    /// This config after a key rotation (Update-TunnelPeerKey), everything else as it is: on the rotated end, its new
    /// private key; on the other end, the rotated peer's section with its new public key; on both, the pair's new
    /// preshared key in that section.
    /// </summary>
    public WireGuardConfig WithRotatedKey(string peerKey, string? newPeerKey, WireGuardPrivateKey? newPrivateKey, WireGuardPresharedKey? presharedKey)
    {
        WireGuardConfig copy = Copy(PreserveClientAddress, RedactedKeyPublicKey);
        var peers = Peers.Select(p => p.PublicKey != peerKey ? p : new WireGuardPeerSection
        {
            Name = p.Name, PublicKey = string.IsNullOrEmpty(newPeerKey) ? p.PublicKey : newPeerKey, PresharedKey = presharedKey, AllowedIPValues = p.AllowedIPValues,
            EndpointValue = p.EndpointValue, PersistentKeepalive = p.PersistentKeepalive, ExtraSettings = p.ExtraSettings,
        }).ToArray();
        return new WireGuardConfig
        {
            Name = copy.Name, PrivateKey = newPrivateKey ?? copy.PrivateKey, PrivateKeyRedacted = copy.PrivateKeyRedacted && newPrivateKey is null,
            RedactedKeyPublicKey = newPrivateKey is null ? copy.RedactedKeyPublicKey : null,
            AddressValues = copy.AddressValues, ListenPort = copy.ListenPort, Mtu = copy.Mtu, Dns = copy.Dns, Table = copy.Table, FwMark = copy.FwMark,
            ExtraSettings = copy.ExtraSettings, Peers = peers, Source = copy.Source, PreserveClientAddress = copy.PreserveClientAddress,
        };
    }

    private WireGuardConfig Copy(bool preserveClientAddress, string? redactedKeyPublicKey) => new()
    {
        Name = Name, PrivateKey = PrivateKey, PrivateKeyRedacted = PrivateKeyRedacted, RedactedKeyPublicKey = redactedKeyPublicKey,
        AddressValues = AddressValues, ListenPort = ListenPort, Mtu = Mtu, Dns = Dns, Table = Table, FwMark = FwMark,
        ExtraSettings = ExtraSettings, Peers = Peers, Source = Source, PreserveClientAddress = preserveClientAddress,
    };

    /// <summary>Both ends of a pair must use the same preshared key: the home side's wins, then the lower public key's.</summary>
    private static WireGuardPresharedKey? PairKey(TunnelPeer a, TunnelPeer b)
    {
        if (a.PresharedKey is null || b.PresharedKey is null)
        {
            return a.PresharedKey ?? b.PresharedKey;
        }
        if (a.Role != b.Role)
        {
            return a.Role == TunnelRole.Home ? a.PresharedKey : b.PresharedKey;
        }
        return string.CompareOrdinal(a.PublicKey, b.PublicKey) < 0 ? a.PresharedKey : b.PresharedKey;
    }
}
