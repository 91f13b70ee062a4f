namespace HomeTunnel.WireGuard;

/// <summary>
/// A key = value line the model does not interpret, kept so that nothing is dropped on a round trip. A
/// misspelt key name may still hold a key ("PrivatKey = ..."): <see cref="Value"/> shows any key-shaped
/// text as (redacted); the file itself gets the real value through <see cref="RevealValue"/>.
/// </summary>
public sealed class WireGuardSetting
{
    private readonly string _value;

    public WireGuardSetting(string key, string value)
    {
        Key = key;
        _value = value;
    }

    public string Key { get; }

    public string Value => Hosts.Redaction.Redact(_value, System.Array.Empty<string>());

    public string RevealValue() => _value;

    public override string ToString() => $"{Key} = {Value}";

    public override bool Equals(object? obj) => obj is WireGuardSetting o && o.Key == Key && o._value == _value;

    public override int GetHashCode() => System.HashCode.Combine(Key, _value);
}
