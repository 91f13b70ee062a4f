namespace HomeTunnel.Apache;

[Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
public enum TlsMode
{
    /// <summary>HTTP only.</summary>
    None,

    /// <summary>Certificates from an ACME CA through Apache's own mod_md (MDomain).</summary>
    Acme,

    /// <summary>Certificate and key files given by the user.</summary>
    Files,
}
