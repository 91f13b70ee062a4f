namespace HomeTunnel.Forwards;

/// <summary>
/// An nftables table HomeTunnel owns on a host: one small rule file per item in <see cref="Folder"/>, a table
/// file that replaces the whole table and includes them (loaded atomically after nft -c), and a boot unit
/// that loads it after the host's own nftables.service. Two exist: the relay's port forwards and the home
/// machine's firewall on the tunnel. Never another table.
/// </summary>
public sealed class NftTable
{
    private NftTable(string kind, string family, string name, string tablePath, string folder, string unitName, string description, bool ipForward, bool keepWhenEmpty)
    {
        Kind = kind;
        Family = family;
        Name = name;
        TablePath = tablePath;
        Folder = folder;
        UnitName = unitName;
        Description = description;
        IpForward = ipForward;
        KeepWhenEmpty = keepWhenEmpty;
    }

    /// <summary>The relay's port forwards into the tunnel (Install-TunnelPortForward).</summary>
    public static readonly NftTable Forwards = new("Forward", "ip", "hometunnel", "/etc/hometunnel/forwards.nft", "/etc/hometunnel/forwards.d",
        "hometunnel-forwards.service", "HomeTunnel: the relay's port forwards into the tunnel", ipForward: true, keepWhenEmpty: false);

    /// <summary>
    /// The home machine's firewall on the tunnel (Install-TunnelHomeFirewall): it stays with no opening at all,
    /// closing the tunnel to everything, until it is uninstalled as a whole.
    /// </summary>
    public static readonly NftTable HomeFirewall = new("HomeFirewall", "inet", "hometunnel", "/etc/hometunnel/home-firewall.nft", "/etc/hometunnel/home.d",
        "hometunnel-home-firewall.service", "HomeTunnel: the home machine's firewall on the tunnel", ipForward: false, keepWhenEmpty: true);

    /// <summary>The host change kind the agent dispatches on.</summary>
    public string Kind { get; }
    public string Family { get; }
    public string Name { get; }
    public string TablePath { get; }
    public string Folder { get; }
    public string UnitName { get; }
    public string Description { get; }

    /// <summary>Whether the table needs the kernel to forward between interfaces (a relay's DNAT does).</summary>
    public bool IpForward { get; }

    /// <summary>Whether the table stays loaded with no item (a firewall); otherwise the last item takes it away.</summary>
    public bool KeepWhenEmpty { get; }

    public string UnitPath => $"/etc/systemd/system/{UnitName}";

    public string Unit => BootUnit(Description, "/usr/sbin/nft -f " + TablePath,
        IpForward ? "-/sbin/sysctl -q -w net.ipv4.ip_forward=1" : null, $"/usr/sbin/nft delete table {Family} {Name}");

    /// <summary>
    /// A boot unit of HomeTunnel's that puts its nftables rules back after the host's own nftables.service (which
    /// flushes the ruleset) has loaded: a table of its own (<see cref="Unit"/>) or its openings in the host's chains
    /// (<see cref="NftHostOpenings"/>).
    /// </summary>
    public static string BootUnit(string description, string start, string? startPre, string? stop) =>
        Hosts.HostPlan.Marker + "\n" +
        "[Unit]\n" +
        $"Description={description}\n" +
        "After=nftables.service network-pre.target\n\n" +
        "[Service]\n" +
        "Type=oneshot\n" +
        "RemainAfterExit=yes\n" +
        (startPre is null ? string.Empty : $"ExecStartPre={startPre}\n") +
        $"ExecStart={start}\n" +
        (stop is null ? string.Empty : $"ExecStop={stop}\n") +
        "\n[Install]\n" +
        "WantedBy=multi-user.target\n";

    /// <summary>What the agent needs to know of the table, as it crosses the session.</summary>
    public Hosts.Contract.NftTableShape ToRequest() => new(Family, Name, TablePath, Folder, UnitName, UnitPath, IpForward);
}
