namespace HomeTunnel.WireGuard;

/// <summary>A key = value line the model does not interpret, kept so that nothing is dropped on a round trip.</summary>
public sealed record WireGuardSetting(string Key, string Value)
{
    public override string ToString() => $"{Key} = {Value}";
}
