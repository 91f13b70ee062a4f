# A TCP port forward on the lab's real relay, beside the two other ways to the same home service: Apache's proxy
# (the site) and the tunnel alone (from the relay, no NAT, no proxy). Throughput: one 32 MiB download; latency:
# the time to the first byte of a tiny file. curl measures both (its own clock, not the process start).
param([Parameter(Mandatory)] [string] $ModulePath, [int] $Runs = 9)
$ErrorActionPreference = 'Stop'
. $PSScriptRoot/Measure.ps1
Import-Module $ModulePath -Force
Import-Module (Join-Path $PSScriptRoot '../tests/Lab/Lab.psm1') -Force

$lab = Start-Lab -Prefix htfbn -Index 11
try {
    $a = $lab.Addresses
    $vps = New-LabSession $lab relay
    $box = New-LabSession $lab home
    $relayPeer = New-TunnelPeer -Name relay -Role Relay -Address 192.168.4.1/24 -ListenPort 51820 -Endpoint $a.Relay
    $homePeer = New-TunnelPeer -Name home -Role Home -Address 192.168.4.2/32 -PersistentKeepalive 25
    $null = New-WireGuardConfig -For $relayPeer -Peer $homePeer | Install-WireGuardConfig -Session $vps
    $null = New-WireGuardConfig -For $homePeer -Peer $relayPeer | Install-WireGuardConfig -Session $box
    # A plain file server at home (python's), the same for all three ways.
    $files = Join-Path $lab.Directory 'bench-files'
    $null = New-Item -ItemType Directory -Force $files
    $blob = [byte[]]::new(32MB); [System.Random]::new(7).NextBytes($blob)
    [IO.File]::WriteAllBytes((Join-Path $files 'blob'), $blob)
    Set-Content -LiteralPath (Join-Path $files 'tiny') -Value 'x' -NoNewline
    $null = Start-LabProcess $lab home 'files' @('python3', '-m', 'http.server', '8000', '--bind', '0.0.0.0', '--directory', $files)
    Wait-LabCondition { (Invoke-LabHost $lab home ss -Hltn 'sport = :8000') -match 'LISTEN' } 'the file server' 30
    $null = $homePeer | New-ApacheProxySite -ServerName $lab.SiteName -Port 8000 | Install-ApacheProxySite -Session $vps
    $null = $homePeer | New-TunnelPortForward -Protocol Tcp -PublicPort 8088 -Port 8000 | Install-TunnelPortForward -Session $vps
    $null = @(($homePeer | New-ApacheProxySite -ServerName $lab.SiteName -Port 8000), ($homePeer | New-TunnelPortForward -Protocol Tcp -PublicPort 8088 -Port 8000)) | Install-TunnelHomeFirewall -Session $box -RelayAddress 192.168.4.1
    $ways = [ordered]@{
        Forward = @{ From = 'client'; Url = "http://$($a.Relay):8088" }
        Apache  = @{ From = 'client'; Url = "http://$($lab.SiteName)" }
        Tunnel  = @{ From = 'relay'; Url = "http://$($a.HomeTunnel):8000" }
    }
    foreach ($w in $ways.Values) {
        Wait-LabCondition { (Invoke-LabHttp $lab "$($w.Url)/tiny" -FromHost $w.From).Status -eq '200' } "$($w.Url)" 30
    }
    function Measure-Way($Way, [string] $File, [string] $Field) {
        $values = foreach ($i in 0..$Runs) {
            $out = Invoke-LabHost $lab $Way.From curl -s -o /dev/null --max-time 120 -w "%{http_code} %{$Field}" "$($Way.Url)/$File"
            $code, $seconds = "$out".Split(' ')
            if ($code -ne '200') { throw "$($Way.Url)/$File answered $code" }
            if ($i -gt 0) { [double]::Parse($seconds, [cultureinfo]::InvariantCulture) * 1000 }   # the first is a warm-up
        }
        Get-Median $values
    }
    $bulk = @{}; $first = @{}
    foreach ($k in $ways.Keys) {
        $bulk[$k] = Measure-Way $ways[$k] 'blob' 'time_total'
        $first[$k] = Measure-Way $ways[$k] 'tiny' 'time_starttransfer'
    }
    function MiBps([double] $ms) { [math]::Round(32 / ($ms / 1000), 1) }
    New-BenchRow -Figure '10a. TCP forward: 32 MiB download from outside' -HomeTunnelMs $bulk.Forward -Alternative 'the same through the Apache site' -AlternativeMs $bulk.Apache `
        -Target 'not slower than Apache (≤ 1.0×)' -Met ($bulk.Forward -le $bulk.Apache) -Note "forward $(MiBps $bulk.Forward) MiB/s, Apache $(MiBps $bulk.Apache) MiB/s (userspace wireguard-go, 2 cores)"
    New-BenchRow -Figure '10b. TCP forward: 32 MiB download from outside' -HomeTunnelMs $bulk.Forward -Alternative 'the tunnel alone, from the relay' -AlternativeMs $bulk.Tunnel `
        -Target 'report' -Met $true -Note "tunnel alone $(MiBps $bulk.Tunnel) MiB/s: what DNAT, the relay's NIC and the client's leg add"
    New-BenchRow -Figure '10c. TCP forward: time to first byte' -HomeTunnelMs $first.Forward -Alternative 'the same through the Apache site' -AlternativeMs $first.Apache `
        -Target 'not slower than Apache (≤ 1.0×)' -Met ($first.Forward -le $first.Apache) -Note 'a 1-byte file, new connection each time (curl time_starttransfer)'
    New-BenchRow -Figure '10d. TCP forward: time to first byte' -HomeTunnelMs $first.Forward -Alternative 'the tunnel alone, from the relay' -AlternativeMs $first.Tunnel `
        -Target 'report' -Met $true -Note "added latency of the forward: $([math]::Round($first.Forward - $first.Tunnel, 2)) ms"
}
finally {
    Get-PSSession | Remove-PSSession
    Stop-Lab $lab
}
