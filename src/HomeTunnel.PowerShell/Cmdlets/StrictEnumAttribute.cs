using System;
using System.Collections;
using System.Linq;
using System.Management.Automation;

namespace HomeTunnel.Cmdlets;

/// <summary>
/// An enum parameter takes one name (or an array of names): PowerShell would otherwise take "tcp,udp" or
/// "Relay,Home" (as flags, Tcp|Udp is Udp and Relay|Home is Home) or a number, and act on another value than the one
/// meant, without a word. The enum's own values pass through unchanged.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class StrictEnumAttribute : ArgumentTransformationAttribute
{
    private readonly Type _type;

    public StrictEnumAttribute(Type type) => _type = type;

    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        object? value = inputData is PSObject p ? p.BaseObject : inputData;
        if (value is null || value.GetType() == _type)
        {
            return value;
        }
        if (value is string s)
        {
            return One(s);
        }
        if (value is IEnumerable list)
        {
            var items = list.Cast<object?>().Select(o => o is PSObject q ? q.BaseObject : o).ToArray();
            var result = Array.CreateInstance(_type, items.Length);
            for (int i = 0; i < items.Length; i++)
            {
                result.SetValue(items[i] is { } item && item.GetType() == _type ? item : One(items[i]?.ToString()), i);
            }
            return result;
        }
        return One(value.ToString());
    }

    private object One(string? text)
    {
        try
        {
            return Checks.EnumName(_type, text, _type.Name, "EnumNameInvalid");
        }
        catch (HomeTunnelException e)
        {
            throw new ArgumentTransformationMetadataException(e.Message + " Give one name.", e);
        }
    }
}
