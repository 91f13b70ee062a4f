<#
.SYNOPSIS
    The DESIGN.md script against a real double-NAT lab (tests/Lab): a relay with Apache and sshd, a home
    machine behind two NATs, a client on the "internet". Sessions go over SSH with strict host keys;
    the home service's answer is fetched from the client through the relay; the lab is torn down after.
#>
param([Parameter(Mandatory)] [string] $ModulePath)

$ErrorActionPreference = 'Stop'
Import-Module $ModulePath -Force
Import-Module (Join-Path $PSScriptRoot '../tests/Lab/Lab.psm1') -Force

function Show([string] $Title) { Write-Host "`n== $Title ==" -ForegroundColor Cyan }

Show 'Starting the lab (namespaces, two NATs, sshd, Apache, DNS)'
$lab = Start-Lab -Prefix htdemo -Index 14
try {
    $a = $lab.Addresses
    Write-Host "relay $($a.Relay)   home $($a.HomeLan) behind room NAT and carrier NAT   client $($a.Client)"

    Show 'The DESIGN.md script, over SSH'
    $vps = New-LabSession $lab relay
    $box = New-LabSession $lab home
    $relayPeer = New-TunnelPeer -Name relay -Role Relay -Address 192.168.4.1/24 -ListenPort 51820 -Endpoint $a.Relay
    $homePeer = New-TunnelPeer -Name home -Role Home -Address 192.168.4.2/32 -PersistentKeepalive 25
    @(
        New-WireGuardConfig -For $relayPeer -Peer $homePeer | Install-WireGuardConfig -Session $vps
        New-WireGuardConfig -For $homePeer -Peer $relayPeer | Install-WireGuardConfig -Session $box
        $homePeer | New-ApacheProxySite -ServerName $lab.SiteName -Port 3000 | Install-ApacheProxySite -Session $vps
    ) | Format-Table | Out-Host

    Show "curl http://$($lab.SiteName)/ from the client (through the relay, the tunnel and both NATs)"
    Wait-LabCondition { (Invoke-LabHttp $lab "http://$($lab.SiteName)/").Status -eq '200' } 'the site' 20
    (Invoke-LabHttp $lab "http://$($lab.SiteName)/").Body | Out-Host

    Show 'Test-TunnelPath'
    Test-TunnelPath -ServerName $lab.SiteName -RelaySession $vps -HomeSession $box -DnsServer $a.Dns | Out-Host

    Show 'Get-TunnelStatus on both ends'
    Get-TunnelStatus -Session $vps, $box | Out-Host

    Show 'The same script again: nothing changes, nothing reloads'
    @(
        New-WireGuardConfig -For $relayPeer -Peer $homePeer | Install-WireGuardConfig -Session $vps
        New-WireGuardConfig -For $homePeer -Peer $relayPeer | Install-WireGuardConfig -Session $box
        $homePeer | New-ApacheProxySite -ServerName $lab.SiteName -Port 3000 | Install-ApacheProxySite -Session $vps
    ) | Format-Table | Out-Host
}
finally {
    Get-PSSession | Remove-PSSession
    Show 'Tearing the lab down'
    Stop-Lab $lab
}
