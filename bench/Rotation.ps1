# A home peer's keys rotated on the lab's real hosts while the relay pings home every 100 ms: Update-TunnelPeerKey
# against the hand way (new keys written into both wg-quick files, then wg-quick down and up on both ends). The
# figure is the longest run of lost pings (ms); the rotation's wall time is in the note.
param([Parameter(Mandatory)] [string] $ModulePath)
$ErrorActionPreference = 'Stop'
. $PSScriptRoot/Measure.ps1
Import-Module $ModulePath -Force
Import-Module (Join-Path $PSScriptRoot '../tests/Lab/Lab.psm1') -Force

$lab = Start-Lab -Prefix htrot -Index 9
try {
    $a = $lab.Addresses
    $vps = New-LabSession $lab relay; $box = New-LabSession $lab home
    $peers = Join-Path $lab.Directory 'peers.json'
    $null = Publish-HomeService $lab.SiteName 3000 -RelaySession $vps -HomeSession $box -PeerFile $peers -DnsServer $a.Dns
    # Pings every 100 ms across the tunnel while $Rotate runs; the longest gap in the replies, in ms.
    function Measure-Gap([scriptblock] $Rotate) {
        $log = Join-Path $lab.Directory "ping-$([guid]::NewGuid().ToString('N')).log"
        $script = "$log.sh"
        Set-Content -LiteralPath $script -Value "exec stdbuf -oL ping -n -i 0.1 -c 200 $($a.HomeTunnel) > '$log' 2>&1"
        $null = Start-LabProcess $lab relay 'bench-ping' @('sh', $script)
        Wait-LabCondition { (Test-Path $log) -and @(Select-String -LiteralPath $log -Pattern 'icmp_seq=').Count -ge 10 } 'the pings' 30
        $clock = [Diagnostics.Stopwatch]::StartNew()
        & $Rotate
        $wall = $clock.Elapsed.TotalMilliseconds
        Wait-LabCondition { Select-String -LiteralPath $log -Pattern 'packets transmitted' -Quiet } 'the pings to finish' 60
        $seqs = @(Select-String -LiteralPath $log -Pattern 'icmp_seq=(\d+)' | ForEach-Object { [int]$_.Matches[0].Groups[1].Value } | Sort-Object -Unique)
        $gap = 0
        for ($i = 1; $i -lt $seqs.Count; $i++) { $gap = [Math]::Max($gap, $seqs[$i] - $seqs[$i - 1] - 1) }
        $gap = [Math]::Max($gap, 200 - $seqs[-1])   # pings lost at the end count too
        [pscustomobject]@{ GapMs = $gap * 100; WallMs = $wall }
    }
    $tool = Measure-Gap { $null = Update-TunnelPeerKey home -RelaySession $vps -HomeSession $box -PeerFile $peers }
    $relayConf = Join-Path $lab.Hosts.relay.Directory 'etc-wireguard/wg0.conf'
    $homeConf = Join-Path $lab.Hosts.home.Directory 'etc-wireguard/wg0.conf'
    $hand = Measure-Gap {
        $private = (Invoke-LabHost $lab home wg genkey).Trim()
        $public = (Invoke-LabHost $lab home sh -c "echo '$private' | wg pubkey").Trim()
        $old = (Invoke-LabHost $lab home wg show wg0 public-key).Trim()
        (Get-Content -Raw $relayConf).Replace("PublicKey = $old", "PublicKey = $public") | Set-Content -NoNewline $relayConf
        (Get-Content -Raw $homeConf) -replace '(?m)^PrivateKey = .*$', "PrivateKey = $private" | Set-Content -NoNewline $homeConf
        foreach ($h in 'relay', 'home') { Invoke-LabHost $lab $h wg-quick down wg0 2>&1 | Out-Null; Invoke-LabHost $lab $h wg-quick up wg0 2>&1 | Out-Null }
    }
    New-BenchRow -Figure '12. Key rotation: longest run of lost pings (every 100 ms)' -HomeTunnelMs $tool.GapMs -Alternative 'by hand: new keys in both files, wg-quick down/up on both ends' -AlternativeMs $hand.GapMs `
        -Target 'shorter than by hand (< 1.0×)' -Met ($tool.GapMs -lt $hand.GapMs) -Note "Update-TunnelPeerKey took $([int]$tool.WallMs) ms in all, the hand way $([int]$hand.WallMs) ms (with no rollback if the new key never shakes hands)"
}
finally {
    Get-PSSession | Remove-PSSession
    Stop-Lab $lab
}
