using System.Management.Automation;
using HomeTunnel.WireGuard;

namespace HomeTunnel.Cmdlets;

[Cmdlet(VerbsCommon.New, "TunnelPeer")]
[OutputType(typeof(TunnelPeer))]
public sealed class NewTunnelPeerCommand : HomeTunnelCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    public string Name { get; set; } = string.Empty;

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [StrictEnum(typeof(TunnelRole))]
    public TunnelRole Role { get; set; }

    /// <summary>
    /// Tunnel address with prefix: 192.168.4.1/24 on the relay, 192.168.4.2/32 at home; several for dual stack
    /// ('192.168.4.5/32', 'fd00:4::5/128'), as wg-quick's Address takes a list.
    /// </summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Addresses")]
    public string[] Address { get; set; } = System.Array.Empty<string>();

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string[]? AllowedIPs { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [EmptyAsNull]
    public int? ListenPort { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? Endpoint { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [EmptyAsNull]
    public int? PersistentKeepalive { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [EmptyAsNull]
    public int? Mtu { get; set; }

    /// <summary>A public key only: the private key stays on that peer's host.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? PublicKey { get; set; }

    /// <summary>A private key from New-TunnelKeyPair (its PrivateKey property), a base64 string, or a SecureString holding one (Get-Secret).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public object? PrivateKey { get; set; }

    [Parameter]
    public SwitchParameter PresharedKey { get; set; }

    protected override void Process()
    {
        var spec = new TunnelPeerSpec
        {
            Name = Name,
            Role = Role,
            Addresses = Address,
            AllowedIPs = AllowedIPs,
            ListenPort = ListenPort,
            Endpoint = Endpoint,
            PersistentKeepalive = PersistentKeepalive,
            Mtu = Mtu,
            PublicKey = PublicKey,
            PrivateKey = ToPrivateKey(PrivateKey),
            GeneratePresharedKey = PresharedKey,
        };
        WriteObject(TunnelPeer.Create(spec));
    }

    private static WireGuardPrivateKey? ToPrivateKey(object? value) => (value is PSObject pso ? pso.BaseObject : value) switch
    {
        null => null,
        WireGuardPrivateKey key => key,
        string text => WireGuardPrivateKey.Parse(text),
        // What Get-Secret (SecretManagement) returns for a key kept in a vault.
        System.Security.SecureString secret => WireGuardPrivateKey.Parse(secret),
        _ => throw HomeTunnelException.Invalid("PrivateKeyWrongType",
            "PrivateKey must be a key from New-TunnelKeyPair, base64 text or a SecureString holding it.", "PrivateKey: (redacted)"),
    };
}
