using System;
using System.Management.Automation;
using HomeTunnel.Forwards;

namespace HomeTunnel.Cmdlets;

/// <summary>
/// A protocol is one name: PowerShell would otherwise take "tcp,udp" (as the flags Tcp|Udp, which is Udp) or a number
/// (1 is Udp) for a ForwardProtocol and forward the other protocol than the one meant, without a word.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class StrictProtocolAttribute : ArgumentTransformationAttribute
{
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData) =>
        (inputData is PSObject p ? p.BaseObject : inputData) switch
        {
            ForwardProtocol protocol => protocol,
            string s => Checks.EnumName<ForwardProtocol>(s, "Protocol", "ForwardProtocolInvalid"),
            var other => throw new ArgumentTransformationMetadataException($"Protocol '{other}' is not Tcp or Udp."),
        };
}
