using System;
using System.Management.Automation;

namespace HomeTunnel.Cmdlets;

/// <summary>
/// An empty CSV cell means "not given": without this, PowerShell converts "" to 0 for an int? parameter,
/// and a home peer from a spreadsheet row would get ListenPort 0.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class EmptyAsNullAttribute : ArgumentTransformationAttribute
{
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData) =>
        (inputData is PSObject p ? p.BaseObject : inputData) is string s && string.IsNullOrWhiteSpace(s) ? null : inputData;
}
