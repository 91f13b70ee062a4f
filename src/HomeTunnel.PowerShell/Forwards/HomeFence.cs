using HomeTunnel.Hosts;

namespace HomeTunnel.Forwards;

/// <summary>
/// One tunnel interface fenced by the home firewall: the item that puts it in the table's set <c>fenced</c>, so
/// the interface stays closed (nothing but replies and pings) with no opening at all, and only its own uninstall
/// takes it out. Every install of the home firewall or of a home WireGuard config carries it.
/// </summary>
public sealed class HomeFence : INftRuleFile
{
    private HomeFence(string interfaceName) => InterfaceName = interfaceName;

    public string InterfaceName { get; }

    /// <summary>"fence.wg0".</summary>
    public string Key => $"fence.{InterfaceName}";
    public string Path => $"{NftTable.HomeFirewall.Folder}/{Key}.nft";

    public string Text =>
        HostPlan.Marker + "\n" +
        $"# {InterfaceName} is fenced: over it, the home machine takes only replies, pings and the ports opened to it\n" +
        $"add element inet hometunnel fenced {{ \"{InterfaceName}\" comment \"hometunnel {Key}\" }}\n";

    public static HomeFence For(string interfaceName) => new(Checks.InterfaceName(interfaceName));

    /// <summary>Whether an item key of the home table belongs to this interface (its fence or one of its openings).</summary>
    /// <remarks>A key without an interface (a file from before keys named one, or one HomeTunnel did not write) belongs to every interface: -All takes it, or refuses it when it is not HomeTunnel's.</remarks>
    public static bool BelongsTo(string key, string interfaceName) =>
        key.Split('.', 2) is not [_, string rest] || rest.Split(HomePortOpening.HolderMark, 2)[0] == interfaceName;

    public override string ToString() => $"the fence on {InterfaceName}";
}
