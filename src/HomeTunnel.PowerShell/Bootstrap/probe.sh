# Initialize-TunnelHost's probe: reads what a host has, changes nothing. POSIX sh; runs as root (or sudo).
# Output: '@section' lines, each followed by its lines. Parsed by BootstrapFacts.Parse.
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH LC_ALL=C
echo @os-release
cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null
echo @facts
echo "arch=$(uname -m)"
if [ -d /run/systemd/system ]; then echo init=systemd
elif [ -x /sbin/openrc-run ] || [ -x /sbin/openrc ]; then echo init=openrc
else echo init=none; fi
for c in wg wg-quick wireguard-go apache2ctl httpd pwsh sshd ufw firewall-cmd nft curl wget systemctl rc-service; do
  p=$(command -v "$c" 2>/dev/null) && echo "cmd.$c=$p"
done
if [ -d /sys/module/wireguard ] || modprobe -n -q wireguard 2>/dev/null; then echo kernel_wireguard=yes; else echo kernel_wireguard=no; fi
if command -v ufw >/dev/null 2>&1 && ufw status 2>/dev/null | grep -q '^Status: active'; then echo firewall=ufw
elif command -v firewall-cmd >/dev/null 2>&1 && [ "$(firewall-cmd --state 2>/dev/null)" = running ]; then echo firewall=firewalld
elif command -v nft >/dev/null 2>&1 && nft list ruleset 2>/dev/null | grep -q 'hook input.*policy drop'; then echo firewall=nftables
else echo firewall=none; fi
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  for u in apache2 httpd ssh sshd; do echo "enabled.$u=$(systemctl is-enabled "$u" 2>/dev/null)"; done
fi
echo @sshd
sshd=$(command -v sshd 2>/dev/null || echo /usr/sbin/sshd)
"$sshd" -T 2>/dev/null | grep -i '^subsystem '
echo @nft-drop
if command -v nft >/dev/null 2>&1; then
  nft list chains 2>/dev/null | awk '/^table /{f=$2; t=$3} /^[[:space:]]*chain /{c=$2} /hook input.*policy drop/{print f, t, c}'
fi
echo @firewall-open
if command -v ufw >/dev/null 2>&1; then ufw status 2>/dev/null | awk '/# HomeTunnel/{print $1}'; fi
if command -v firewall-cmd >/dev/null 2>&1; then firewall-cmd --permanent --list-ports 2>/dev/null | tr ' ' '\n'; fi
if command -v nft >/dev/null 2>&1; then nft list ruleset 2>/dev/null | awk '/comment "HomeTunnel"/{for(i=1;i<=NF;i++) if($i=="dport") print $(i+1) "/" $(i-1)}'; fi
echo @nft-kept
ls -1 /etc/hometunnel/openings.d 2>/dev/null
echo @packages
if command -v dpkg-query >/dev/null 2>&1; then dpkg-query -W -f='${Package} ${Status}\n' 2>/dev/null | awk '$NF=="installed"{print $1}'
elif command -v rpm >/dev/null 2>&1; then rpm -qa --qf '%{NAME}\n' 2>/dev/null
elif command -v apk >/dev/null 2>&1; then apk info 2>/dev/null; fi
echo @end
