<#
.SYNOPSIS
    Shows HomeTunnel at work. As root with the lab's packages it runs the DESIGN.md script against a real
    double-NAT lab (tests/Lab); otherwise it shows the offline half: keys, peers, configs, checks.
#>
param([Parameter(Mandatory)] [string] $ModulePath)

$ErrorActionPreference = 'Stop'
Import-Module $ModulePath -Force

$labDemo = Join-Path $PSScriptRoot 'LabDemo.ps1'
$isRoot = $IsLinux -and (id -u) -eq '0'
if ($isRoot -and (Test-Path $labDemo)) {
    & $labDemo -ModulePath $ModulePath
    return
}

Write-Host "`n== Offline: the seed's two ends ==" -ForegroundColor Cyan
$relayPeer = New-TunnelPeer -Name relay -Role Relay -Address 192.168.4.1/24 -ListenPort 51820 -Endpoint vps.example.com
$homePeer = New-TunnelPeer -Name home -Role Home -Address 192.168.4.2/32 -PersistentKeepalive 25
$relayPeer, $homePeer | Format-Table | Out-Host

Write-Host '== The relay''s wg0.conf (private key redacted) ==' -ForegroundColor Cyan
(New-WireGuardConfig -For $relayPeer -Peer $homePeer).Text | Out-Host
Write-Host '== The home side''s wg0.conf ==' -ForegroundColor Cyan
(New-WireGuardConfig -For $homePeer -Peer $relayPeer).Text | Out-Host

Write-Host '== Test-TunnelConfig ==' -ForegroundColor Cyan
$ok = Test-TunnelConfig $relayPeer, $homePeer -Quiet
Write-Host "No errors: $ok"
