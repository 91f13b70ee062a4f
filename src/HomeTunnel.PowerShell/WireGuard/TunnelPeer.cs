using System.Management.Automation;
using System;
using System.Collections.Generic;
using System.Linq;

namespace HomeTunnel.WireGuard;

[Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
public enum TunnelRole
{
    /// <summary>The VPS with a public address: listens, never dials.</summary>
    Relay,

    /// <summary>The machine behind NAT: dials the relay and keeps the mapping open.</summary>
    Home,
}

/// <summary>What a caller asks for; <see cref="TunnelPeer.Create"/> validates it and fills in defaults.</summary>
public sealed class TunnelPeerSpec
{
    public string Name { get; set; } = string.Empty;
    public TunnelRole Role { get; set; }
    public string Address { get; set; } = string.Empty;

    /// <summary>Several addresses (dual stack: one IPv4 and one IPv6); when given, Address is not read.</summary>
    public string[]? Addresses { get; set; }
    public string[]? AllowedIPs { get; set; }
    public int? ListenPort { get; set; }
    public string? Endpoint { get; set; }
    public int? PersistentKeepalive { get; set; }
    public int? Mtu { get; set; }
    public string? PublicKey { get; set; }
    public WireGuardPrivateKey? PrivateKey { get; set; }
    public WireGuardPresharedKey? PresharedKey { get; set; }
    public bool GeneratePresharedKey { get; set; }
}

/// <summary>One end of the tunnel: its keys, tunnel address and how it is reached.</summary>
public sealed class TunnelPeer
{
    public const int HomeKeepalive = 25;

    private TunnelPeer() { }

    public string Name { get; private init; } = string.Empty;
    public TunnelRole Role { get; private init; }
    public string PublicKey { get; private init; } = string.Empty;

    /// <summary>Absent for a peer whose private key lives on its own host; never in JSON.</summary>
    [Newtonsoft.Json.JsonIgnore, Hidden]
    public WireGuardPrivateKey? PrivateKey { get; private init; }
    public bool HasPrivateKey => PrivateKey is not null;

    /// <summary>The peer's first tunnel address (the one sites proxy to), as text; JSON carries all of them in Addresses.</summary>
    [Newtonsoft.Json.JsonIgnore, Hidden]
    public string Address => AddressValue.ToString();

    /// <summary>Every tunnel address of the peer, as wg-quick's Address lists them (dual stack: IPv4 and IPv6).</summary>
    public string[] Addresses => AddressValues.Select(a => a.ToString()).ToArray();

    /// <summary>What the other side routes to this peer; by default its own address as a host route.</summary>
    public string[] AllowedIPs => AllowedIPValues.Select(a => a.ToString()).ToArray();
    public int? ListenPort { get; private init; }
    public string? Endpoint => EndpointValue?.ToString();
    public int? PersistentKeepalive { get; private init; }
    public int? Mtu { get; private init; }

    /// <summary>Never in JSON; HasPresharedKey says whether there is one.</summary>
    [Newtonsoft.Json.JsonIgnore, Hidden]
    public WireGuardPresharedKey? PresharedKey { get; private init; }
    public bool HasPresharedKey => PresharedKey is not null;

    // The typed forms the module works with; the public properties above are their text (what a user types,
    // what ConvertTo-Json shows, what New-TunnelPeer binds by property name).
    internal TunnelAddress AddressValue => AddressValues[0];
    internal IReadOnlyList<TunnelAddress> AddressValues { get; private init; } = Array.Empty<TunnelAddress>();
    internal IReadOnlyList<TunnelAddress> AllowedIPValues { get; private init; } = Array.Empty<TunnelAddress>();
    internal WireGuardEndpoint? EndpointValue { get; private init; }

    public static TunnelPeer Create(TunnelPeerSpec spec)
    {
        string name = Checks.PeerName(spec.Name);
        TunnelAddress[] addresses = (spec.Addresses is { Length: > 0 } list ? list : new[] { spec.Address })
            .Select(a => TunnelAddress.Parse(a?.Trim(' '))).ToArray();
        foreach (TunnelAddress a in addresses)
        {
            TunnelAddress.EnsureHost(a, name);
        }
        TunnelAddress? twice = addresses.GroupBy(a => a.IP).Where(g => g.Count() > 1).Select(g => g.First()).FirstOrDefault();
        if (twice is not null)
        {
            throw HomeTunnelException.Invalid("DuplicateAddress", $"Peer '{name}' is given {twice.IP} twice.", twice.ToString());
        }
        int? listenPort = spec.ListenPort is int lp ? Checks.Port(lp, "ListenPort", "ListenPortOutOfRange") : null;
        if (spec.Role == TunnelRole.Relay)
        {
            listenPort ??= WireGuardEndpoint.DefaultPort;
        }
        WireGuardEndpoint? endpoint = string.IsNullOrEmpty(spec.Endpoint) ? null : WireGuardEndpoint.Parse(spec.Endpoint, listenPort);
        int? keepalive = spec.PersistentKeepalive is int ka ? Checks.Keepalive(ka) : spec.Role == TunnelRole.Home ? HomeKeepalive : null;
        int? mtu = spec.Mtu is int m ? MtuFor(m, addresses) : null;

        string publicKey;
        WireGuardPrivateKey? privateKey = spec.PrivateKey;
        if (privateKey is null && spec.PublicKey is null)
        {
            privateKey = WireGuardPrivateKey.Generate();
        }
        if (privateKey is not null)
        {
            if (spec.PublicKey is not null && KeyText.Public(spec.PublicKey) != privateKey.PublicKey)
            {
                throw HomeTunnelException.Invalid("KeyPairMismatch",
                    $"PublicKey '{spec.PublicKey}' does not belong to the given private key (its public key is '{privateKey.PublicKey}').", spec.PublicKey);
            }
            publicKey = privateKey.PublicKey;
        }
        else
        {
            publicKey = KeyText.Public(spec.PublicKey);
        }

        IReadOnlyList<TunnelAddress> allowed = spec.AllowedIPs is { Length: > 0 }
            ? spec.AllowedIPs.Select(a => TunnelAddress.Parse(a, "AllowedIPs")).ToArray()
            : addresses.Select(a => a.HostRoute).ToArray();

        return new TunnelPeer
        {
            Name = name,
            Role = spec.Role,
            PublicKey = publicKey,
            PrivateKey = privateKey,
            AddressValues = Array.AsReadOnly(addresses),
            AllowedIPValues = allowed,
            ListenPort = listenPort,
            EndpointValue = endpoint,
            PersistentKeepalive = keepalive,
            Mtu = mtu,
            PresharedKey = spec.PresharedKey ?? (spec.GeneratePresharedKey ? WireGuardPresharedKey.Generate() : null),
        };
    }

    /// <summary>The same peer with a new key pair, and a new preshared key where it had one (Update-TunnelPeerKey).</summary>
    public TunnelPeer WithNewKeys()
    {
        var key = WireGuardPrivateKey.Generate();
        return new TunnelPeer
        {
            Name = Name, Role = Role, PublicKey = key.PublicKey, PrivateKey = key, AddressValues = AddressValues, AllowedIPValues = AllowedIPValues,
            ListenPort = ListenPort, EndpointValue = EndpointValue, PersistentKeepalive = PersistentKeepalive, Mtu = Mtu,
            PresharedKey = PresharedKey is null ? null : WireGuardPresharedKey.Generate(),
        };
    }

    /// <summary>The same peer with another tunnel MTU (Publish-HomeService -Mtu), checked as New-TunnelPeer -Mtu is.</summary>
    public TunnelPeer WithMtu(int? mtu) => new()
    {
        Name = Name, Role = Role, PublicKey = PublicKey, PrivateKey = PrivateKey, AddressValues = AddressValues, AllowedIPValues = AllowedIPValues,
        ListenPort = ListenPort, EndpointValue = EndpointValue, PersistentKeepalive = PersistentKeepalive,
        Mtu = mtu is int m ? MtuFor(m, AddressValues) : null, PresharedKey = PresharedKey,
    };

    /// <summary>An MTU in range, and at least IPv6's 1280 on an interface with an IPv6 address (Linux drops IPv6 from a smaller one).</summary>
    private static int MtuFor(int mtu, IEnumerable<TunnelAddress> addresses)
    {
        Checks.Mtu(mtu);
        if (mtu < 1280 && addresses.Any(a => a.IsIPv6))
        {
            throw HomeTunnelException.Invalid("MtuTooSmallForIPv6", $"MTU {mtu} is under 1280, IPv6's minimum, and the peer has an IPv6 address; use 1280 or more, or an IPv4-only tunnel.", mtu);
        }
        return mtu;
    }

    /// <summary>The same peer without secrets: what another host may know of it.</summary>
    public TunnelPeer WithoutSecrets() => new()
    {
        Name = Name, Role = Role, PublicKey = PublicKey, AddressValues = AddressValues, AllowedIPValues = AllowedIPValues,
        ListenPort = ListenPort, EndpointValue = EndpointValue, PersistentKeepalive = PersistentKeepalive, Mtu = Mtu,
        PresharedKey = PresharedKey,
    };

    public override string ToString() => $"{Name} ({Role}, {Address})";
}
