#!/usr/bin/env bash
# Builds the systemd lab's cached assets once per machine (see LAB.md, "Hosts with a real systemd"):
#   root/                   a bare Debian 12 root: systemd and sshd, nothing else HomeTunnel needs
#   repo/                   a flat apt repository with what Initialize-TunnelHost installs on such a host
#   pwsh-linux-x64.tar.gz   a relocatable PowerShell (the machine's .NET runtime + the pinned pwsh), standing
#                           in for the official archive a user hands over with -PowerShellPackage
# Usage: build-systemd-assets.sh DEST PWSH_UNIX_DIR DOTNET_DIR
# Builds into DEST.tmp.PID and renames it to DEST at the end, so a half-built cache is never used.
set -euo pipefail
dest=$1 pwsh_unix=$2 dotnet_dir=$3
tmp="$dest.tmp.$$"
trap 'umount -R "$tmp/dl/proc" 2>/dev/null || true; rm -rf "$tmp"' EXIT
mkdir -p "$tmp"

# The mirror is read at run time from the machine's own apt sources; its address is never written down.
mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
[ -n "$mirror" ] || mirror=$(awk '/^deb / { print $2; exit }' /etc/apt/sources.list)

debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,iproute2,openssh-server \
  bookworm "$tmp/root" "$mirror" >"$tmp/debootstrap.log" 2>&1 || { tail -20 "$tmp/debootstrap.log"; exit 1; }

# The packages a bare relay or home machine gets from Initialize-TunnelHost, downloaded in a throwaway
# copy of the same root so that exactly the missing dependencies come along.
cp -a "$tmp/root" "$tmp/dl"
mount -t proc proc "$tmp/dl/proc"
chroot "$tmp/dl" apt-get update -qq
chroot "$tmp/dl" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --download-only --no-install-recommends \
  wireguard-tools wireguard-go apache2 nftables libicu72 curl ca-certificates iputils-ping >/dev/null
umount "$tmp/dl/proc"
mkdir -p "$tmp/repo"
cp "$tmp/dl"/var/cache/apt/archives/*.deb "$tmp/repo/"
rm -rf "$tmp/dl"
(cd "$tmp/repo" && dpkg-scanpackages --multiversion . /dev/null >Packages 2>/dev/null && gzip -k Packages)

# The bare root keeps no mirror address, no apt lists and no host keys (each host makes its own).
: >"$tmp/root/etc/apt/sources.list"
rm -rf "$tmp/root/var/lib/apt/lists"/* "$tmp/root/var/cache/apt/archives"/*.deb
rm -f "$tmp/root/etc/ssh"/ssh_host_*

# A relocatable PowerShell: runtime and pwsh side by side, started by a small wrapper named pwsh.
stage="$tmp/pwsh"
mkdir -p "$stage/dotnet/shared" "$stage/lib"
cp -a "$dotnet_dir/dotnet" "$dotnet_dir/host" "$stage/dotnet/"
cp -a "$dotnet_dir/shared/Microsoft.NETCore.App" "$stage/dotnet/shared/"
cp -a "$pwsh_unix/." "$stage/lib/"
cat >"$stage/pwsh" <<'EOF'
#!/bin/sh
d=$(dirname "$(readlink -f "$0")")
DOTNET_ROOT="$d/dotnet" exec "$d/dotnet/dotnet" "$d/lib/pwsh.dll" "$@"
EOF
chmod 755 "$stage/pwsh"
tar -C "$stage" -I 'gzip -1' -cf "$tmp/pwsh-linux-x64.tar.gz" .
rm -rf "$stage" "$tmp/debootstrap.log"

trap - EXIT
rm -rf "$dest"
mv "$tmp" "$dest"
