using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace HomeTunnel.WireGuard;

/// <summary>Renders a <see cref="WireGuardConfig"/> in one fixed order with '\n' line ends.</summary>
internal static class WireGuardConfigWriter
{
    public const string Marker = Ownership.Marker;

    public static string Write(WireGuardConfig c, bool revealSecrets, bool stripped)
    {
        var sb = new StringBuilder(256 + (c.Peers.Count * 160));
        if (!stripped)
        {
            // The ownership marker: an install replaces, and an uninstall deletes, only a file that starts with it.
            sb.Append(Marker).Append('\n');
        }
        sb.Append("[Interface]\n");
        if (!stripped && c.Name is not null)
        {
            sb.Append("# Name = ").Append(c.Name).Append('\n');
        }
        if (c.PrivateKey is not null)
        {
            Line(sb, "PrivateKey", revealSecrets ? c.PrivateKey.RevealBase64() : SecretKey.Redacted);
        }
        else if (c.PrivateKeyRedacted)
        {
            Line(sb, "PrivateKey", revealSecrets ? throw Unrevealable("private key") : SecretKey.Redacted);
        }
        if (!stripped && c.AddressValues.Count > 0)
        {
            Line(sb, "Address", string.Join(", ", c.Address));
        }
        if (c.ListenPort is int port)
        {
            Line(sb, "ListenPort", port.ToString(CultureInfo.InvariantCulture));
        }
        if (c.FwMark is not null)
        {
            Line(sb, "FwMark", c.FwMark);
        }
        if (!stripped)
        {
            if (c.Mtu is int mtu)
            {
                Line(sb, "MTU", mtu.ToString(CultureInfo.InvariantCulture));
            }
            if (c.Dns.Count > 0)
            {
                Line(sb, "DNS", string.Join(", ", c.Dns));
            }
            if (c.Table is not null)
            {
                Line(sb, "Table", c.Table);
            }
            if (c.PreserveClientAddress)
            {
                foreach (var (key, value) in ReturnRoute.Hooks(c.AddressValues, c.Peers))
                {
                    Line(sb, key, value);
                }
            }
        }
        Extra(sb, c.ExtraSettings, stripped, revealSecrets);
        foreach (WireGuardPeerSection p in c.Peers)
        {
            sb.Append("\n[Peer]\n");
            if (!stripped && p.Name is not null)
            {
                sb.Append("# Name = ").Append(p.Name).Append('\n');
            }
            Line(sb, "PublicKey", p.PublicKey);
            if (p.PresharedKey is not null)
            {
                Line(sb, "PresharedKey", revealSecrets ? p.PresharedKey.RevealBase64() : SecretKey.Redacted);
            }
            else if (p.PresharedKeyRedacted)
            {
                Line(sb, "PresharedKey", revealSecrets ? throw Unrevealable("preshared key") : SecretKey.Redacted);
            }
            if (p.AllowedIPValues.Count > 0)
            {
                Line(sb, "AllowedIPs", p.AllowedIPs);
            }
            if (p.Endpoint is not null)
            {
                Line(sb, "Endpoint", p.Endpoint);
            }
            if (p.PersistentKeepalive is int ka)
            {
                Line(sb, "PersistentKeepalive", ka.ToString(CultureInfo.InvariantCulture));
            }
            Extra(sb, p.ExtraSettings, stripped, revealSecrets);
        }
        return sb.ToString();
    }

    private static void Extra(StringBuilder sb, IEnumerable<WireGuardSetting> settings, bool stripped, bool revealSecrets)
    {
        foreach (WireGuardSetting s in settings.Where(s => !stripped || !WireGuardConfigParser.IsWgQuickOnly(s.Key)))
        {
            Line(sb, s.Key, revealSecrets ? s.RevealValue() : s.Value);
        }
    }

    /// <summary>A key read as "(redacted)" is not there to write: the text would carry a placeholder, not a key.</summary>
    internal static HomeTunnelException Unrevealable(string what) => HomeTunnelException.Invalid("KeyRedacted",
        $"This config's {what} was read as '{SecretKey.Redacted}' (from JSON or a shown Text); it is not a key and cannot be written out. Build the config from peers that hold their keys (New-WireGuardConfig), or import the real file.",
        $"{what}: {SecretKey.Redacted}");

    private static void Line(StringBuilder sb, string key, string value) =>
        sb.Append(key).Append(" = ").Append(value).Append('\n');
}
