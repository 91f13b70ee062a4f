using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace HomeTunnel.WireGuard;

/// <summary>
/// Peers kept between runs as JSON, so a script run twice makes the same configs. Private and preshared
/// keys go in only when asked; such a file is created 0600.
/// </summary>
public static class TunnelPeerFile
{
    public const int FormatVersion = 1;

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        // Keys stay as wg prints them ('+' not '\u002B'): the file is read by people and grep too.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(namingPolicy: null, allowIntegerValues: false) },
        MaxDepth = 16,
    };

    private sealed class FileDto
    {
        public int FormatVersion { get; set; }
        public List<PeerDto?>? Peers { get; set; } = new();
    }

    private sealed class PeerDto
    {
        public string Name { get; set; } = string.Empty;
        public TunnelRole? Role { get; set; }
        public string PublicKey { get; set; } = string.Empty;
        public string? PrivateKey { get; set; }
        public string? PresharedKey { get; set; }
        public string Address { get; set; } = string.Empty;

        /// <summary>Written only for a peer with more than one address (dual stack); Address is the first.</summary>
        public string[]? Addresses { get; set; }
        public string[]? AllowedIPs { get; set; }
        public int? ListenPort { get; set; }
        public string? Endpoint { get; set; }
        public int? PersistentKeepalive { get; set; }
        public int? Mtu { get; set; }
    }

    public static string Write(IEnumerable<TunnelPeer> peers, bool includeSecrets)
    {
        var dto = new FileDto
        {
            FormatVersion = FormatVersion,
            Peers = peers.Select(p => (PeerDto?)new PeerDto
            {
                Name = p.Name,
                Role = p.Role,
                PublicKey = p.PublicKey,
                PrivateKey = includeSecrets ? p.PrivateKey?.RevealBase64() : null,
                PresharedKey = includeSecrets ? p.PresharedKey?.RevealBase64() : null,
                Address = p.Address.ToString(),
                Addresses = p.AddressValues.Count > 1 ? p.Addresses : null,
                AllowedIPs = p.AllowedIPs.Select(a => a.ToString()).ToArray(),
                ListenPort = p.ListenPort,
                Endpoint = p.Endpoint?.ToString(),
                PersistentKeepalive = p.PersistentKeepalive,
                Mtu = p.Mtu,
            }).ToList(),
        };
        return JsonSerializer.Serialize(dto, Json) + "\n";
    }

    public static IReadOnlyList<TunnelPeer> Read(string text, string source)
    {
        try
        {
            return ReadCore(text, source);
        }
        catch (Exception e) when (e is not HomeTunnelException)
        {
            // A defect of ours, never a crash for the caller: the fuzz suite fails on this id.
            throw new HomeTunnelException("PeerFileUnreadable", ErrorKind.InvalidData, $"'{source}' cannot be read ({e.GetType().Name}).", source, e);
        }
    }

    private static IReadOnlyList<TunnelPeer> ReadCore(string text, string source)
    {
        FileDto? dto;
        try
        {
            dto = JsonSerializer.Deserialize<FileDto>(text, Json);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or ArgumentException or InvalidOperationException)
        {
            // JsonException's message quotes no file content, only the position.
            throw new HomeTunnelException("PeerFileInvalid", ErrorKind.InvalidData, $"'{source}' is not a HomeTunnel peer file: {e.Message}", source, e);
        }
        if (dto is null || dto.FormatVersion != FormatVersion)
        {
            throw new HomeTunnelException("PeerFileVersion", ErrorKind.InvalidData,
                $"'{source}' has format version {dto?.FormatVersion}; this module reads version {FormatVersion}.", source);
        }
        if (dto.Peers is null)
        {
            throw new HomeTunnelException("PeerFileInvalid", ErrorKind.InvalidData, $"'{source}' has no list of peers.", source);
        }
        var peers = new List<TunnelPeer>(dto.Peers.Count);
        for (int i = 0; i < dto.Peers.Count; i++)
        {
            PeerDto? p = dto.Peers[i];
            string at = $"'{source}', peer {i + 1}";
            if (p is null || p.Role is not TunnelRole role || !Enum.IsDefined(role))
            {
                throw new HomeTunnelException("PeerFileInvalid", ErrorKind.InvalidData, $"{at}: {(p is null ? "is null" : "has no Role (Relay or Home)")}.", source);
            }
            try
            {
                peers.Add(TunnelPeer.Create(new TunnelPeerSpec
                {
                    Name = p.Name ?? string.Empty,
                    Role = role,
                    PublicKey = p.PublicKey,
                    PrivateKey = p.PrivateKey is null ? null : WireGuardPrivateKey.Parse(p.PrivateKey),
                    PresharedKey = p.PresharedKey is null ? null : WireGuardPresharedKey.Parse(p.PresharedKey),
                    Address = p.Address ?? string.Empty,
                    Addresses = p.Addresses?.Select(a => a ?? string.Empty).ToArray(),
                    AllowedIPs = p.AllowedIPs?.Select(a => a ?? string.Empty).ToArray(),
                    ListenPort = p.ListenPort,
                    Endpoint = p.Endpoint,
                    PersistentKeepalive = p.PersistentKeepalive, // absent: the role's default, as New-TunnelPeer gives
                    Mtu = p.Mtu,
                }));
            }
            catch (HomeTunnelException e)
            {
                throw new HomeTunnelException(e.ErrorId, e.Kind, $"{at}: {e.Message}", e.Target, e);
            }
        }
        return peers;
    }
}
