using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.Json.Serialization.Metadata;

namespace HomeTunnel.Hosts.Contract;

/// <summary>
/// The agent's side of the requests' contract, generated from the records (<see cref="HostRequest"/> and its kinds):
/// for each kind the members its request has, and those of its lists' and tables' items. The agent refuses a request
/// with a member more or less (RequestInvalid), as the module refuses such an answer; the two cannot drift apart,
/// since the agent's list is made from the module's records each time the agent's text is.
/// </summary>
public static class RequestShapes
{
    /// <summary>Every kind the agent answers, and the record its request is.</summary>
    public static readonly IReadOnlyList<(string Kind, Type Record)> Kinds = new (string, Type)[]
    {
        ("WireGuard", typeof(WireGuardRequest)),
        ("Forward", typeof(NftTableRequest)),
        ("HomeFirewall", typeof(NftTableRequest)),
        ("Apache", typeof(ApacheRequest)),
        ("Status", typeof(StatusRequest)),
        ("RelayProbe", typeof(RelayProbeRequest)),
        ("SiteFiles", typeof(SiteFilesRequest)),
        ("ConnectProbe", typeof(ConnectProbeRequest)),
        ("HomeProbe", typeof(HomeProbeRequest)),
        ("Managed", typeof(ManagedRequest)),
        ("RotateRelay", typeof(RotateRelayRequest)),
        ("RotateHome", typeof(RotateHomeRequest)),
        ("NatProbeRelay", typeof(NatProbeRequest)),
        ("NatProbeHome", typeof(NatProbeRequest)),
        ("MtuProbe", typeof(MtuProbeRequest)),
    };

    /// <summary>The members a record crosses with (its [JsonIgnore] ones stay in the module).</summary>
    public static IReadOnlyList<string> Members(Type record) => Crossing(record).Select(p => p.Name).ToArray();

    /// <summary>The members whose values are items of a shape of their own (a table, a list of sites), and that shape's members.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> Nested(Type record) =>
        Crossing(record).Select(p => (p.Name, Item: ItemShape(p.PropertyType))).Where(p => p.Item is not null)
            .ToDictionary(p => p.Name, p => Members(p.Item!), StringComparer.Ordinal);

    /// <summary>The shapes as PowerShell, joined into the agent's text after its core.</summary>
    public static string AgentText()
    {
        // A switch, so a call builds only its own kind's shape (a table of every kind cost the no-op a few ms).
        var text = new StringBuilder("\n# ---------------------------------------------------------------- the requests' shapes (generated from Hosts/Contract/Requests.cs)\n\n" +
            "function Get-RequestShape([string] $Kind) {\n    switch -CaseSensitive ($Kind) {\n");
        foreach (var (kind, record) in Kinds)
        {
            text.Append("        '").Append(kind).Append("' { return @{ Members = ").Append(List(Members(record))).Append("; Nested = @{");
            foreach (var (member, members) in Nested(record))
            {
                text.Append(" '").Append(member).Append("' = ").Append(List(members)).Append(';');
            }
            text.Append(" } } }\n");
        }
        return text.Append("    }\n    $null\n}\n").ToString();
    }

    private static string List(IEnumerable<string> names) => "[string[]]@(" + string.Join(", ", names.Select(n => $"'{n}'")) + ")";

    private static IEnumerable<JsonPropertyInfo> Crossing(Type record) =>
        Info(record).Properties.Where(p => p.AttributeProvider?.IsDefined(typeof(System.Text.Json.Serialization.JsonIgnoreAttribute), true) != true);

    private static JsonTypeInfo Info(Type t) => AgentContractContext.Default.GetTypeInfo(t) ?? throw new InvalidOperationException($"{t.Name} is not in the contract.");

    /// <summary>A shape of the contract (a record of this namespace), or the item type of a list of one.</summary>
    private static Type? ItemShape(Type t)
    {
        Type item = t.IsGenericType && t.GetGenericTypeDefinition() == typeof(IReadOnlyList<>) ? t.GetGenericArguments()[0] : t;
        return item.Namespace == typeof(RequestShapes).Namespace && item.IsClass && item != typeof(string) ? item : null;
    }
}
