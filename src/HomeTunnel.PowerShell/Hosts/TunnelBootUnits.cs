using System.Collections.Generic;

namespace HomeTunnel.Hosts;

/// <summary>
/// What a systemd host needs for a tunnel to come back by itself: wg-quick@&lt;if&gt; enabled, and on the side that
/// dials (home) a watch that sends one datagram into the tunnel every 10 s. PersistentKeepalive keeps NAT
/// mappings open but never makes WireGuard shake hands again; unanswered data does, within 15 s — so a relay
/// that rebooted or lost power, and with it the session, is found again in seconds instead of minutes. The same
/// watch follows a relay named by DNS that moved to another address (<see cref="Script"/>).
/// </summary>
public static class TunnelBootUnits
{
    public const string ScriptPath = "/usr/local/libexec/hometunnel-wg-watch";
    public const string ServicePath = "/etc/systemd/system/hometunnel-wg-watch@.service";
    public const string TimerPath = "/etc/systemd/system/hometunnel-wg-watch@.timer";

    /// <summary>
    /// The watch, one run: for each peer, one datagram into the tunnel (a restarted relay is found again), and, where
    /// the interface's file names the peer's endpoint by a DNS name, the name followed: WireGuard resolves a name once,
    /// when told, so the watch tells it again when the name resolves elsewhere than the live endpoint (a relay that
    /// moved) or when the last handshake is older than a rekey attempt (135 s: what wireguard-tools' reresolve-dns
    /// waits for). Every value read from a file or from wg is held to its shape before it is used, and always quoted.
    /// </summary>
    public const string Script =
        HostPlan.Marker + "\n" +
        "#!/bin/sh\n" +
        "if=\"$1\"\n" +
        "case \"$if\" in ''|*[!A-Za-z0-9_=+.-]*) exit 2 ;; esac\n" +
        "# One datagram to each peer that has an endpoint, addressed inside its AllowedIPs (port 9, discard).\n" +
        "wg show \"$if\" endpoints | while read -r key endpoint; do\n" +
        "  [ \"$endpoint\" = '(none)' ] && continue\n" +
        "  ip=$(wg show \"$if\" allowed-ips | awk -v k=\"$key\" '$1 == k { split($2, a, \"/\"); print a[1]; exit }')\n" +
        "  case \"$ip\" in ''|*:*) continue ;; esac\n" +
        "  bash -c \"echo hometunnel > /dev/udp/$ip/9\" 2>/dev/null || true\n" +
        "done\n" +
        "# Endpoints named by DNS in HomeTunnel's own file for the interface: followed when the name moves or the peer is silent.\n" +
        "conf=\"/etc/wireguard/$if.conf\"\n" +
        "[ -f \"$conf\" ] || exit 0\n" +
        "now=$(date +%s)\n" +
        "awk 'NR == 1 && $0 !~ /^" + Ownership.Marker + "/ { exit }\n" +
        "  function out() { if (key != \"\" && ep != \"\") print key, ep; key = \"\"; ep = \"\" }\n" +
        "  /^\\[/ { out() }\n" +
        "  /^PublicKey[ \\t]*=/ { v = $0; sub(/^[^=]*=[ \\t]*/, \"\", v); key = v }\n" +
        "  /^Endpoint[ \\t]*=/ { v = $0; sub(/^[^=]*=[ \\t]*/, \"\", v); ep = v }\n" +
        "  END { out() }' \"$conf\" | while read -r key endpoint; do\n" +
        "  case \"$key\" in ''|*[!A-Za-z0-9+/=]*) continue ;; esac\n" +
        "  name=${endpoint%:*}; port=${endpoint##*:}\n" +
        "  case \"$name\" in ''|*[!A-Za-z0-9.-]*) continue ;; esac\n" +
        "  case \"$name\" in *[A-Za-z]*) ;; *) continue ;; esac\n" +
        "  case \"$port\" in ''|*[!0-9]*) continue ;; esac\n" +
        "  addresses=$(getent ahosts \"$name\" | awk '{ print $1 }' | sort -u)\n" +
        "  [ -n \"$addresses\" ] || continue\n" +
        "  live=$(wg show \"$if\" endpoints | awk -v k=\"$key\" '$1 == k { print $2 }')\n" +
        "  live=${live%:*}; live=${live#[}; live=${live%]}\n" +
        "  shake=$(wg show \"$if\" latest-handshakes | awk -v k=\"$key\" '$1 == k { print $2 }')\n" +
        "  case \"$shake\" in ''|*[!0-9]*) shake=0 ;; esac\n" +
        "  if ! printf '%s\\n' \"$addresses\" | grep -qxF -- \"$live\" || [ $((now - shake)) -gt 135 ]; then\n" +
        "    wg set \"$if\" peer \"$key\" endpoint \"$name:$port\" 2>/dev/null || true\n" +
        "  fi\n" +
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
