namespace HomeTunnel.Hosts;

/// <summary>What a host is: the facts the agent reports (the Profile read), from which platform decisions are made.</summary>
public sealed record HostProfile(string OsId, string OsLike, string OsVersion, string Init, string WebServer, string PackageManager, string WireGuard)
{
    public override string ToString() => $"{OsId} {OsVersion} ({Init}, {WebServer}, {PackageManager}, WireGuard {WireGuard})";
}

/// <summary>The Profile read's answer.</summary>
public sealed record ProfileAnswer(int Version, string State, HostProfile Profile);
