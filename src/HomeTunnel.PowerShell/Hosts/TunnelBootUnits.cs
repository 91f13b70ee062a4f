using System.Collections.Generic;

namespace HomeTunnel.Hosts;

/// <summary>
/// What a systemd host needs for a tunnel to come back by itself: wg-quick@&lt;if&gt; enabled, and on the side that
/// dials (home) a watch that sends one datagram into the tunnel every 10 s. PersistentKeepalive keeps NAT
/// mappings open but never makes WireGuard shake hands again; unanswered data does, within 15 s — so a relay
/// that rebooted or lost power, and with it the session, is found again in seconds instead of minutes.
/// </summary>
public static class TunnelBootUnits
{
    public const string ScriptPath = "/usr/local/libexec/hometunnel-wg-watch";
    public const string ServicePath = "/etc/systemd/system/hometunnel-wg-watch@.service";
    public const string TimerPath = "/etc/systemd/system/hometunnel-wg-watch@.timer";

    public const string Script =
        HostPlan.Marker + "\n" +
        "#!/bin/sh\n" +
        "# One datagram to each peer that has an endpoint, addressed inside its AllowedIPs (port 9, discard).\n" +
        "if=\"$1\"\n" +
        "wg show \"$if\" endpoints | while read -r key endpoint; do\n" +
        "  [ \"$endpoint\" = '(none)' ] && continue\n" +
        "  ip=$(wg show \"$if\" allowed-ips | awk -v k=\"$key\" '$1 == k { split($2, a, \"/\"); print a[1]; exit }')\n" +
        "  case \"$ip\" in ''|*:*) continue ;; esac\n" +
        "  bash -c \"echo hometunnel > /dev/udp/$ip/9\" 2>/dev/null || true\n" +
        "done\n";

    public const string Service =
        HostPlan.Marker + "\n" +
        "[Unit]\n" +
        "Description=HomeTunnel: send data into %i so a restarted relay is found again\n" +
        "After=wg-quick@%i.service\n\n" +
        "[Service]\n" +
        "Type=oneshot\n" +
        "ExecStart=/bin/sh " + ScriptPath + " %i\n" +
        "LogLevelMax=notice\n";

    public const string Timer =
        HostPlan.Marker + "\n" +
        "[Unit]\n" +
        "Description=HomeTunnel: watch the tunnel %i every 10 s\n\n" +
        "[Timer]\n" +
        "OnActiveSec=10s\n" +
        "OnUnitActiveSec=10s\n" +
        "AccuracySec=1s\n\n" +
        "[Install]\n" +
        "WantedBy=timers.target\n";

    public static IReadOnlyDictionary<string, string> Files { get; } = new Dictionary<string, string>
    {
        [ScriptPath] = Script,
        [ServicePath] = Service,
        [TimerPath] = Timer,
    };
}
