namespace HomeTunnel.Apache;

/// <summary>How the ACME CA checks that the relay may have a certificate for the site's names.</summary>
[Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
public enum AcmeChallenge
{
    /// <summary>The CA fetches a token over HTTP from the name (mod_md's default): the name must point at this relay.</summary>
    Http01,

    /// <summary>
    /// The CA reads a TXT record (_acme-challenge.&lt;name&gt;) that HomeTunnel's hook writes into the zone over RFC 2136:
    /// works for a relay the name does not point at (two relays) and for wildcard names.
    /// </summary>
    Dns01,
}
