#!/bin/sh
# Managed by HomeTunnel: mod_md's MDChallengeDns01 hook (ACME DNS-01 over RFC 2136).
# mod_md runs it as Apache's user:
#   acme-dns01 <server> <port> <zone> <keyfile> setup <domain> <challenge>
#   acme-dns01 <server> <port> <zone> <keyfile> teardown <domain> [<challenge>]
# The first four arguments stand in the site's file (HomeTunnel's <MDomain> section); the key file is the site's
# own, 0600 and Apache's user's. Every value is checked against a closed character set before it reaches
# nsupdate's input, and the domain must lie in the zone: no argument can add a line to the update.
set -eu
umask 077
[ $# -ge 6 ] && [ $# -le 7 ] || { echo "acme-dns01: wrong number of arguments ($#)" >&2; exit 2; }
server=$1 port=$2 zone=$3 key=$4 action=$5 domain=$6 challenge=${7:-}
case $server in *[!0-9a-fA-F.:]*|'') echo "acme-dns01: server refused" >&2; exit 2;; esac
case $port in *[!0-9]*|'') echo "acme-dns01: port refused" >&2; exit 2;; esac
case $zone in *[!a-z0-9.-]*|''|.*|*..*) echo "acme-dns01: zone refused" >&2; exit 2;; esac
case $key in /etc/apache2/hometunnel/*.dns01.key) ;; *) echo "acme-dns01: key file refused" >&2; exit 2;; esac
domain=$(printf '%s' "$domain" | tr 'A-Z' 'a-z')
case $domain in *[!a-z0-9.-]*|''|.*|*..*) echo "acme-dns01: domain refused" >&2; exit 2;; esac
case $domain in "$zone"|*."$zone") ;; *) echo "acme-dns01: $domain is not in zone $zone" >&2; exit 2;; esac
case $challenge in *[!A-Za-z0-9_-]*) echo "acme-dns01: challenge refused" >&2; exit 2;; esac
name="_acme-challenge.$domain."
case $action in
    setup)
        [ -n "$challenge" ] || { echo "acme-dns01: setup without a challenge" >&2; exit 2; }
        update="update add $name 60 IN TXT \"$challenge\"" ;;
    teardown)
        if [ -n "$challenge" ]; then update="update delete $name IN TXT \"$challenge\""; else update="update delete $name IN TXT"; fi ;;
    *) echo "acme-dns01: unknown action" >&2; exit 2 ;;
esac
printf 'server %s %s\nzone %s.\n%s\nsend\n' "$server" "$port" "$zone" "$update" | nsupdate -k "$key" -t 10
