namespace HomeTunnel.Scheduling;

/// <summary>Whom Windows' Task Scheduler runs a check as (Register-TunnelPathCheck -RunAs; Task Scheduler only).</summary>
[Newtonsoft.Json.JsonConverter(typeof(Newtonsoft.Json.Converters.StringEnumConverter))]
public enum CheckRunAs
{
    /// <summary>The registering user, logged on or not, by an S4U logon: no stored password, no window (a non-interactive desktop).</summary>
    CurrentUser,

    /// <summary>LocalSystem: for a machine-wide check (registering it needs an elevated session).</summary>
    System,

    /// <summary>The registering user, only while logged on (an interactive token); pwsh starts with its window hidden.</summary>
    LoggedOnUser,
}
