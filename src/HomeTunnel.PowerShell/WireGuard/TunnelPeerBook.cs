using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;

namespace HomeTunnel.WireGuard;

/// <summary>
/// The peers of one relay, kept between runs in a 0600 file (Export/Import-TunnelPeer's format): the relay
/// and every home machine behind it. Publishing a second service reuses them; a new home machine gets the
/// next free address in the relay's subnet.
/// </summary>
public sealed class TunnelPeerBook
{
    private readonly List<TunnelPeer> _peers;

    private TunnelPeerBook(string path, List<TunnelPeer> peers, bool changed)
    {
        Path = path;
        _peers = peers;
        Changed = changed;
    }

    public string Path { get; }
    public bool Changed { get; private set; }
    public IReadOnlyList<TunnelPeer> Peers => _peers;
    public TunnelPeer Relay => _peers.Single(p => p.Role == TunnelRole.Relay);
    public IEnumerable<TunnelPeer> Homes => _peers.Where(p => p.Role == TunnelRole.Home);

    /// <summary>Opens the book at <paramref name="path"/>, or starts one with a new relay peer.</summary>
    /// <summary>Where Publish-HomeService keeps a relay's peers unless told otherwise: ~/.hometunnel/&lt;relay&gt;.peers.json.</summary>
    public static string DefaultPath(string relay) =>
        System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".hometunnel", $"{relay}.peers.json");

    public static TunnelPeerBook OpenOrCreate(string path, string relayEndpoint, string relayAddress, int listenPort)
    {
        if (File.Exists(path))
        {
            var peers = TunnelPeerFile.Read(Files.ReadText(path), path).ToList();
            int relays = peers.Count(p => p.Role == TunnelRole.Relay);
            if (relays != 1)
            {
                throw HomeTunnelException.Invalid("PeerFileRelayCount", $"'{path}' holds {relays} relay peers; a peer file for Publish-HomeService holds exactly one.", path);
            }
            TunnelPeer? keyless = peers.FirstOrDefault(p => !p.HasPrivateKey);
            if (keyless is not null)
            {
                throw HomeTunnelException.Invalid("PeerFileWithoutPrivateKey", $"Peer '{keyless.Name}' in '{path}' has no private key; Publish-HomeService needs a file written with -IncludePrivateKey.", path);
            }
            return new TunnelPeerBook(path, peers, changed: false);
        }
        var relay = TunnelPeer.Create(new TunnelPeerSpec
        {
            Name = "relay",
            Role = TunnelRole.Relay,
            Address = relayAddress,
            ListenPort = listenPort,
            Endpoint = relayEndpoint,
        });
        return new TunnelPeerBook(path, new List<TunnelPeer> { relay }, changed: true);
    }

    /// <summary>The home peer called <paramref name="name"/> if the book has it (never made).</summary>
    public TunnelPeer? FindHome(string name) => Homes.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Takes a home peer out of the book (Unpublish-HomeService, with its last service).</summary>
    public void Remove(TunnelPeer peer)
    {
        if (peer.Role == TunnelRole.Home && _peers.Remove(peer))
        {
            Changed = true;
        }
    }

    /// <summary>
    /// Puts a peer's new version in the book in its place: a home peer's new keys (Update-TunnelPeerKey, once both ends
    /// use them), or either peer's new MTU (Publish-HomeService -Mtu).
    /// </summary>
    public void Replace(TunnelPeer old, TunnelPeer updated)
    {
        int i = _peers.IndexOf(old);
        if (i < 0 || updated.Role != old.Role || updated.Name != old.Name || (old.Role == TunnelRole.Relay && updated.PublicKey != old.PublicKey))
        {
            throw new InvalidOperationException("Only a peer of the book is replaced, by the same peer (a relay keeps its keys).");
        }
        _peers[i] = updated;
        Changed = true;
    }

    /// <summary>The home peer called <paramref name="name"/>; made (with the next free address) when new.</summary>
    public TunnelPeer Home(string name, string? address)
    {
        TunnelPeer? found = Homes.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
        if (found is not null)
        {
            if (address is not null && !TunnelAddress.Parse(address).IP.Equals(found.AddressValue.IP))
            {
                throw HomeTunnelException.Invalid("HomeAddressMismatch", $"Home peer '{name}' already has address {found.Address} in '{Path}'; remove it there to renumber.", address);
            }
            return found;
        }
        TunnelAddress chosen = address is not null ? TunnelAddress.Parse(address) : NextFree();
        TunnelAddress host = chosen.HostRoute;
        if (_peers.Any(p => p.AddressValue.IP.Equals(host.IP)))
        {
            throw HomeTunnelException.Invalid("TunnelAddressInUse", $"{host.IP} is already used by another peer in '{Path}'.", address);
        }
        var peer = TunnelPeer.Create(new TunnelPeerSpec { Name = name, Role = TunnelRole.Home, Address = host.ToString() });
        _peers.Add(peer);
        Changed = true;
        return peer;
    }

    private TunnelAddress NextFree()
    {
        TunnelAddress net = Relay.AddressValue.Network;
        byte[] bytes = net.IP.GetAddressBytes();
        var used = _peers.Select(p => p.AddressValue.IP).ToHashSet();
        for (int i = 2; i < 65535; i++)
        {
            byte[] candidate = (byte[])bytes.Clone();
            int carry = i;
            for (int b = candidate.Length - 1; b >= 0 && carry > 0; b--)
            {
                int sum = candidate[b] + (carry & 0xff);
                candidate[b] = (byte)sum;
                carry = (carry >> 8) + (sum >> 8);
            }
            var ip = new IPAddress(candidate);
            if (!net.Contains(ip))
            {
                break;
            }
            if (!used.Contains(ip) && !ip.Equals(BroadcastOf(net)))
            {
                return new TunnelAddress(ip, net.MaxPrefix);
            }
        }
        throw new HomeTunnelException("TunnelSubnetFull", ErrorKind.ResourceUnavailable, $"No free address is left in {net} for another home peer.", net.ToString());
    }

    private static IPAddress? BroadcastOf(TunnelAddress net)
    {
        if (net.IsIPv6)
        {
            return null;
        }
        byte[] b = net.IP.GetAddressBytes();
        uint v = (uint)(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]) | (net.PrefixLength == 32 ? 0 : uint.MaxValue >> net.PrefixLength);
        return new IPAddress(new[] { (byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v });
    }

    /// <summary>Writes the book (with private keys) as a 0600 file, atomically.</summary>
    public void Save()
    {
        string? dir = System.IO.Path.GetDirectoryName(Path);
        if (!string.IsNullOrEmpty(dir) && !Directory.Exists(dir))
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(dir);
            }
            else
            {
                Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
        Files.WriteTextAtomic(Path, TunnelPeerFile.Write(_peers, includeSecrets: true), ownerOnly: true, overwrite: true);
        Changed = false;
    }
}
