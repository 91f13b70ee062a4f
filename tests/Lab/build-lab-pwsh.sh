#!/usr/bin/env bash
# Builds the lab's pwsh once per checkout (see LAB.md, "PowerShell remoting over SSH into a lab host"): the pinned
# PowerShell tool installed in a folder of its own (sshd needs an executable path), with its assemblies compiled ahead
# of time (ReadyToRun) for this machine's runtime, as PowerShell's own release packages are. The tool's assemblies are
# IL only: a pwsh started from them compiles its engine at every start (pwsh -c exit: about 0.8 s and 1.2 s of CPU
# here, against 0.45 s and 0.6 s compiled ahead), which no host a user runs does. An assembly crossgen2 refuses stays
# IL: the code is the same either way, only its start differs.
# Usage: build-lab-pwsh.sh DEST CROSSGEN2 TARGETARCH
# Builds into DEST.tmp.PID and renames it to DEST at the end, so a half-built pwsh is never used.
set -euo pipefail
dest=$1 crossgen=$2 arch=$3
tmp="$dest.tmp.$$"
trap 'rm -rf "$tmp"' EXIT
rm -rf "$tmp"
dotnet tool install --tool-path "$tmp" PowerShell --version 7.6.9 >/dev/null
unix=$(echo "$tmp"/.store/powershell/*/powershell/*/tools/net*/any/unix)
[ -d "$unix" ] || { echo "The PowerShell tool has no unix folder under $tmp/.store" >&2; exit 1; }
# The runtime the lab's pwsh runs on: the code is compiled for it (its framework is outside the version bubble,
# so a patched runtime keeps using the code).
framework=$("$tmp/pwsh" -NoProfile -NonInteractive -c '[System.Runtime.InteropServices.RuntimeEnvironment]::GetRuntimeDirectory()')
mkdir "$tmp/r2r"
export crossgen arch framework unix out="$tmp/r2r"
find "$unix" -maxdepth 1 -name '*.dll' -print0 | xargs -0 -P "$(nproc)" -n 1 sh -c '
  name=$(basename "$1")
  "$crossgen" "$1" -o "$out/$name" --targetos linux --targetarch "$arch" -O -r "$framework/*.dll" -r "$unix/*.dll" \
    >"$out/$name.log" 2>&1 || { echo "crossgen2 left $name as IL: $(tail -1 "$out/$name.log")" >&2; rm -f "$out/$name"; }
  rm -f "$out/$name.log"' sh
compiled=$(find "$tmp/r2r" -name '*.dll' | wc -l)
[ "$compiled" -gt 0 ] || { echo "crossgen2 compiled none of the tool's assemblies" >&2; exit 1; }
mv "$tmp/r2r"/*.dll "$unix/"
rmdir "$tmp/r2r"
echo "$compiled assemblies ReadyToRun for $framework" >"$tmp/.readytorun"
"$tmp/pwsh" -NoProfile -NonInteractive -c 'exit 0'
rm -rf "$dest.old"
if [ -e "$dest" ]; then mv "$dest" "$dest.old"; fi
mv "$tmp" "$dest"
rm -rf "$dest.old"
