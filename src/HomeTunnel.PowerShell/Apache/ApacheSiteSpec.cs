using System;
using System.Collections;
using System.Linq;
using System.Reflection;

namespace HomeTunnel.Apache;

/// <summary>What New-ApacheProxySite asks for; <see cref="ApacheProxySite.Create"/> validates it. Null means "the careful default".</summary>
public sealed class ApacheSiteSpec
{
    public string ServerName { get; set; } = string.Empty;
    public string[]? ServerAliases { get; set; }
    public string? Backend { get; set; }
    public string? Address { get; set; }
    public int? Port { get; set; }
    public string? Path { get; set; }
    public bool Http { get; set; }
    public bool Https { get; set; }
    public bool? HttpRedirect { get; set; }
    public string? CertificateFile { get; set; }
    public string? CertificateKeyFile { get; set; }
    public bool? WebSocket { get; set; }
    public bool? PreserveHost { get; set; }
    public bool? ForwardedHeaders { get; set; }
    public int? ConnectTimeout { get; set; }
    public int? Retry { get; set; }
    public int? ProxyTimeout { get; set; }
    public bool? AcmeChallengeException { get; set; }

    /// <summary>Http01 (the default) or Dns01 (with AcmeDnsServer, AcmeDnsZone and a key).</summary>
    public AcmeChallenge? AcmeChallenge { get; set; }
    public string? AcmeDnsServer { get; set; }
    public string? AcmeDnsZone { get; set; }

    /// <summary>The TSIG key the relay's DNS-01 hook signs with: only from a cmdlet's -DnsKey/-DnsKeyFile, never from data (internal).</summary>
    internal HomeTunnel.DnsUpdate.TsigKey? AcmeDnsKey { get; set; }
    public string[]? AllowFrom { get; set; }

    /// <summary>An AllowFrom list that covers every address is meant (-AllowEveryone); otherwise it is refused as no door.</summary>
    public bool AllowEveryone { get; set; }
    public string? BasicAuthUser { get; set; }
    public System.Security.SecureString? BasicAuthPassword { get; set; }

    /// <summary>A door's password may be shorter than BasicAuthFile.MinimumPasswordLength: only from a cmdlet's -AllowWeakPassword, never from data (internal, so no dictionary key sets it).</summary>
    internal bool AllowWeakPassword { get; set; }

    /// <summary>
    /// A spec from a dictionary whose keys are the property names (any case); ServerAlias is taken for
    /// ServerAliases. An unknown key is an error, not silently ignored.
    /// </summary>
    public static ApacheSiteSpec FromDictionary(IDictionary values)
    {
        var spec = new ApacheSiteSpec();
        foreach (DictionaryEntry entry in values)
        {
            string key = entry.Key?.ToString() ?? string.Empty;
            if (key.Equals("Credential", StringComparison.OrdinalIgnoreCase))
            {
                var credential = (entry.Value is System.Management.Automation.PSObject p ? p.BaseObject : entry.Value) as System.Management.Automation.PSCredential
                    ?? throw HomeTunnelException.Invalid("SitePropertyWrongType", "Site property 'Credential' must be a PSCredential (Get-Credential), never a password as text.", key);
                spec.BasicAuthUser = credential.UserName;
                spec.BasicAuthPassword = credential.Password;
                continue;
            }
            string name = key.Equals("ServerAlias", StringComparison.OrdinalIgnoreCase) ? nameof(ServerAliases) : key;
            PropertyInfo? prop = typeof(ApacheSiteSpec).GetProperty(name, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (prop is null)
            {
                throw HomeTunnelException.Invalid("SitePropertyUnknown",
                    $"'{key}' is not a site property; use {string.Join(", ", typeof(ApacheSiteSpec).GetProperties().Select(p => p.Name))}.", key);
            }
            prop.SetValue(spec, Convert(entry.Value, prop.PropertyType, key));
        }
        return spec;
    }

    private static object? Convert(object? value, Type type, string key)
    {
        Type target = Nullable.GetUnderlyingType(type) ?? type;
        try
        {
            return value switch
            {
                null => null,
                _ when target == typeof(string[]) => value is IEnumerable e && value is not string ? e.Cast<object>().Select(o => o?.ToString() ?? string.Empty).ToArray() : new[] { value.ToString() ?? string.Empty },
                _ when target == typeof(string) => value.ToString(),
                // An enum by its name only: a number would pick a member nobody wrote down.
                _ when target.IsEnum => Enum.GetNames(target).FirstOrDefault(n => n.Equals(value.ToString(), StringComparison.OrdinalIgnoreCase)) is { } member
                    ? Enum.Parse(target, member) : throw new FormatException(),
                // A password arrives only as a SecureString: text would already have been in a script or history.
                _ when target == typeof(System.Security.SecureString) => value as System.Security.SecureString ?? throw new InvalidCastException(),
                _ => System.Convert.ChangeType(value, target, System.Globalization.CultureInfo.InvariantCulture),
            };
        }
        catch (Exception e) when (e is FormatException or InvalidCastException or OverflowException)
        {
            throw target == typeof(System.Security.SecureString)
                ? HomeTunnelException.Invalid("SitePropertyWrongType", $"Site property '{key}' must be a SecureString (Read-Host -AsSecureString), never a password as text; the value is not shown.", key)
                : HomeTunnelException.Invalid("SitePropertyWrongType", $"Site property '{key}' = '{value}' is not a {target.Name}{(target.IsEnum ? $" ({string.Join(", ", Enum.GetNames(target))})" : string.Empty)}.", value);
        }
    }
}
