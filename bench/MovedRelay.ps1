# A relay named by DNS moves to another public address: the seconds from the move to the visitor's next 200,
# with HomeTunnel's watch on the home machine (its script, run every 10 s as its systemd timer would) against
# wireguard-tools' own example, reresolve-dns.sh, run every 30 s as its README's timer does. Both in the same lab,
# one after the other (the relay moves there and back).
param([Parameter(Mandatory)] [string] $ModulePath)
$ErrorActionPreference = 'Stop'
. $PSScriptRoot/Measure.ps1
Import-Module $ModulePath -Force
Import-Module (Join-Path $PSScriptRoot '../tests/Lab/Lab.psm1') -Force

$upstream = '/usr/share/doc/wireguard-tools/examples/reresolve-dns/reresolve-dns.sh'
if (-not (Test-Path $upstream)) { Write-Warning "$upstream is not installed (wireguard-tools' examples): figure 14 left out."; return }
$lab = Start-Lab -Prefix htmov -Index 4
try {
    $a = $lab.Addresses
    $records = [ordered]@{} + $lab.DnsRecords
    $records['relay.example.test'] = $a.Relay
    Set-LabDnsRecord $lab -Records $records
    $vps = New-LabSession $lab relay; $box = New-LabSession $lab home
    $peers = Join-Path $lab.Directory 'peers.json'
    $null = Publish-HomeService $lab.SiteName 3000 -RelaySession $vps -HomeSession $box -PeerFile $peers -RelayEndpoint relay.example.test -DnsServer $a.Dns -WaitSeconds 30
    $octets = $a.Relay.Split('.')
    $moved = "$($octets[0..2] -join '.').$([int]$octets[3] + 4)"
    # Each route moves the relay to an address it never had: moving back to an earlier one would be found through the
    # NATs' still-open mappings to it (WireGuard roams to where an authenticated packet came from), not by a resolver.
    $third = "$($octets[0..2] -join '.').$([int]$octets[3] + 8)"
    # Seconds from the move to the visitor's 200, with $Loop (a shell loop) running on the home machine.
    function Measure-Recovery([string] $Loop, [string] $From, [string] $To, [string] $Pattern) {
        $script = Join-Path $lab.Directory "loop-$([guid]::NewGuid().ToString('N')).sh"
        Set-Content -LiteralPath $script -Value $Loop
        $null = Start-LabProcess $lab home 'resolver-loop' @('sh', $script)
        try {
            $clock = [Diagnostics.Stopwatch]::StartNew()
            Move-LabRelay $lab $From $To
            Wait-LabCondition { (Invoke-LabHttp $lab "http://$($lab.SiteName)/").Status -eq '200' } 'the visitor''s 200 through the moved relay' 300
            $clock.Elapsed.TotalMilliseconds
        }
        finally {
            foreach ($p in @(Get-LabHostProcessId $lab home ([regex]::Escape($script)))) { kill -9 $p 2>$null }
        }
    }
    $watch = Join-Path $lab.Directory 'hometunnel-wg-watch'
    Set-Content -LiteralPath $watch -Value ([HomeTunnel.Hosts.TunnelBootUnits]::Script) -NoNewline
    Wait-LabCondition { (Invoke-LabHttp $lab "http://$($lab.SiteName)/").Status -eq '200' } 'the site' 60
    $ours = Measure-Recovery "while :; do sh '$watch' wg0; sleep 10; done" $a.Relay $moved
    $theirs = Measure-Recovery "while :; do bash '$upstream' wg0; sleep 30; done" $moved $third
    New-BenchRow -Figure '14. A relay that moved: from the move to the visitor''s next 200' -HomeTunnelMs $ours -Alternative 'wireguard-tools'' reresolve-dns.sh every 30 s (its README''s timer)' -AlternativeMs $theirs `
        -Target 'faster (< 1.0×), and within 3 minutes' -Met ($ours -lt $theirs -and $ours -le 180000) `
        -Note 'the watch re-resolves as soon as the name no longer points at the live endpoint; reresolve-dns.sh only once the last handshake is 135 s old. Without either, wg-quick never resolves the name again'
}
finally {
    Get-PSSession | Remove-PSSession
    Stop-Lab $lab
}
