using System;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace HomeTunnel.Hosts.Contract;

/// <summary>
/// The typed side of the host link: the records each kind's answers are read into, by source-generated
/// System.Text.Json (no reflection), and held to their shape as Ansible.Basic holds a module's arguments: a member the
/// record does not declare, a member it declares that is missing, a null where the record says a value, or a value of
/// another type refuses the whole answer (<c>AgentAnswerInvalid</c>, naming the member). The shapes are versioned
/// together with the request format (<see cref="AgentRequest.ProtocolVersion"/>), which every answer carries.
/// </summary>
public static class AgentContract
{
    /// <summary>Reads one member of an answer (such as its Facts) into its record, or refuses it (<see cref="AgentContractException"/>).</summary>
    public static T Read<T>(JsonElement value, JsonTypeInfo<T> shape, string member = "Facts")
    {
        try
        {
            return value.Deserialize(shape) ?? throw new JsonException("it is null.");
        }
        catch (JsonException e)
        {
            throw new AgentContractException($"the {member} breaks the {typeof(T).Name} contract: {e.Message}");
        }
    }

    public static WireGuardFacts WireGuardFacts(JsonElement facts) => Read(facts, Shapes.WireGuardFacts);

    public static ApacheFacts ApacheFacts(JsonElement facts) => Read(facts, Shapes.ApacheFacts);

    public static NftTableFacts NftTableFacts(JsonElement facts) => Read(facts, Shapes.NftTableFacts);

    /// <summary>The relay's own needs alone (a Forward kind's facts' Relay member).</summary>
    public static RelayNeedsText RelayNeedsText(JsonElement relay) => Read(relay, Shapes.RelayNeedsText, "Relay");

    /// <summary>A read's whole answer, by the shape of its kind (Status, RelayProbe, SiteFiles, ConnectProbe, HomeProbe, Rotate*, NatProbe*, MtuProbe).</summary>
    public static StatusAnswer Status(JsonElement answer) => Read(answer, Shapes.StatusAnswer, "answer");

    public static RelayProbeAnswer RelayProbe(JsonElement answer) => Read(answer, Shapes.RelayProbeAnswer, "answer");

    public static SiteFilesAnswer SiteFiles(JsonElement answer) => Read(answer, Shapes.SiteFilesAnswer, "answer");

    public static ConnectProbeAnswer ConnectProbe(JsonElement answer) => Read(answer, Shapes.ConnectProbeAnswer, "answer");

    public static HomeProbeAnswer HomeProbe(JsonElement answer) => Read(answer, Shapes.HomeProbeAnswer, "answer");

    public static RotationAnswer Rotation(JsonElement answer) => Read(answer, Shapes.RotationAnswer, "answer");

    public static NatProbeAnswer NatProbe(JsonElement answer) => Read(answer, Shapes.NatProbeAnswer, "answer");

    public static MtuProbeAnswer MtuProbe(JsonElement answer) => Read(answer, Shapes.MtuProbeAnswer, "answer");

    /// <summary>An interface's status alone (the Status member of a Status answer, the WireGuard member of a probe).</summary>
    public static WireGuardStatus WireGuardStatus(JsonElement status) => Read(status, Shapes.WireGuardStatus, "Status");

    /// <summary>A Managed read's answer: the files HomeTunnel wrote in one folder.</summary>
    public static ManagedFilesAnswer ManagedFiles(JsonElement answer) => Read(answer, Shapes.ManagedFilesAnswer, "answer");


    /// <summary>A plan record as it crosses (Hosts/Contract/Plans.cs).</summary>
    public static JsonElement PlanJson(object plan) => JsonSerializer.SerializeToElement(plan, plan.GetType(), Shapes);

    public static HomeTunnelException Invalid(string hostName, string why) =>
        new("AgentAnswerInvalid", ErrorKind.InvalidData, $"{hostName}: the agent's answer is not one this module reads: {why}", hostName);

    /// <summary>The shapes, generated at build.</summary>
    internal static AgentContractContext Shapes => AgentContractContext.Default;
}

/// <summary>An answer that does not keep to its contract: why (the member, and what is wrong with it), without the host.</summary>
public sealed class AgentContractException : Exception
{
    public AgentContractException(string why) : base(why)
    {
    }

    public HomeTunnelException For(string hostName) => AgentContract.Invalid(hostName, Message);
}

[JsonSourceGenerationOptions(
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    RespectRequiredConstructorParameters = true,
    RespectNullableAnnotations = true,
    NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(WireGuardFacts))]
[JsonSerializable(typeof(ApacheFacts))]
[JsonSerializable(typeof(NftTableFacts))]
[JsonSerializable(typeof(StatusAnswer))]
[JsonSerializable(typeof(WireGuardStatus))]
[JsonSerializable(typeof(RelayProbeAnswer))]
[JsonSerializable(typeof(SiteFilesAnswer))]
[JsonSerializable(typeof(ConnectProbeAnswer))]
[JsonSerializable(typeof(HomeProbeAnswer))]
[JsonSerializable(typeof(RotationAnswer))]
[JsonSerializable(typeof(NatProbeAnswer))]
[JsonSerializable(typeof(MtuProbeAnswer))]
[JsonSerializable(typeof(RelayNeedsText))]
[JsonSerializable(typeof(WireGuardPlan))]
[JsonSerializable(typeof(ApachePlan))]
[JsonSerializable(typeof(NftTablePlan))]
[JsonSerializable(typeof(WireGuardRequest))]
[JsonSerializable(typeof(NftTableRequest))]
[JsonSerializable(typeof(ApacheRequest))]
[JsonSerializable(typeof(StatusRequest))]
[JsonSerializable(typeof(RelayProbeRequest))]
[JsonSerializable(typeof(SiteFilesRequest))]
[JsonSerializable(typeof(ConnectProbeRequest))]
[JsonSerializable(typeof(HomeProbeRequest))]
[JsonSerializable(typeof(ManagedRequest))]
[JsonSerializable(typeof(RotateRelayRequest))]
[JsonSerializable(typeof(RotateHomeRequest))]
[JsonSerializable(typeof(NatProbeRequest))]
[JsonSerializable(typeof(MtuProbeRequest))]
[JsonSerializable(typeof(ManagedFilesAnswer))]
internal sealed partial class AgentContractContext : JsonSerializerContext
{
}
