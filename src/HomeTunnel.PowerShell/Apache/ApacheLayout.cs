namespace HomeTunnel.Apache;

/// <summary>Where a Debian-style Apache keeps its sites: the one home of these paths in the module (the agent has its own, checked by the lab).</summary>
public static class ApacheLayout
{
    public const string Etc = "/etc/apache2";
    public const string SitesAvailable = Etc + "/sites-available";
    public const string SitesEnabled = Etc + "/sites-enabled";

    /// <summary>HomeTunnel's own folder beside the sites: password files, DNS-01 key files and hook.</summary>
    public const string HomeTunnelFolder = Etc + "/hometunnel";
}
