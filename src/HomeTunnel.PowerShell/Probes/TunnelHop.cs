namespace HomeTunnel.Probes;

/// <summary>The hops of the path, in the order a visitor's request crosses them.</summary>
[Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
public enum TunnelHop
{
    Dns,
    Relay,
    Certificate,
    Apache,
    Tunnel,
    HomeService,
    EndToEnd,

    /// <summary>A port forward (Test-TunnelPath -Forward), from outside through the relay to home; one per forward.</summary>
    Forward,
}

/// <summary>How a hop fared. Skipped hops had nothing to check (no session, no HTTPS).</summary>
[Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
public enum HopStatus
{
    Pass,
    Warn,
    Fail,
    Skipped,
}
