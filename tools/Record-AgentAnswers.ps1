#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Records the agent's answers from the lab's real hosts into tests/Pester/fixtures/agent/*.json.
.DESCRIPTION
    The module's side of the host contract (answers read once, diffs, redaction, error mapping) is tested
    without root against these recordings (AgentAnswers.Tests.ps1). Every key in them is replaced by a
    placeholder {{KEY:n}}; the test puts fresh keys back, so no key is ever committed. Run as root after a
    build, when the agent's answers change: dotnet pwsh -File tools/Record-AgentAnswers.ps1
#>
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = Split-Path $PSScriptRoot -Parent
Push-Location (Join-Path $root 'tests/Pester')
try {
    . ./LabSeed.ps1 -Prefix htrec -Index 10 -Install
    $out = Join-Path $root 'tests/Pester/fixtures/agent'
    $null = New-Item -ItemType Directory -Force $out
    $keys = [System.Collections.Generic.Dictionary[string, int]]::new()

    function Save-Answer([string] $Name, [hashtable] $Request) {
        $answer = [HomeTunnel.Hosts.AgentCall]::RunAsync($vps.Runspace, $Request, 'relay', [Threading.CancellationToken]::None).GetAwaiter().GetResult()
        $json = $answer | ConvertTo-Json -Depth 12
        $json = [regex]::Replace($json, '(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=(?![A-Za-z0-9+/=])', {
                param($m)
                if (-not $keys.ContainsKey($m.Value)) { $keys[$m.Value] = $keys.Count }
                "{{KEY:$($keys[$m.Value])}}"
            })
        $json = $json.Replace($lab.Directory, '/tmp/lab')
        Set-Content -LiteralPath (Join-Path $out "$Name.json") -Value $json
        Write-Host "recorded $Name ($($answer['State']))"
    }
    function Request([hashtable] $Request, [switch] $PlanOnly, [switch] $Force) {
        $Request['PlanOnly'] = [bool]$PlanOnly
        $Request['Force'] = [bool]$Force
        $Request
    }

    $third = New-TunnelPeer -Name home3 -Role Home -Address 192.168.4.4/32
    $bigger = New-WireGuardConfig -For $relayPeer -Peer $homePeer, $third
    Save-Answer 'wireguard-unchanged' (Request ([HomeTunnel.Hosts.AgentRequest]::WireGuard($relayConfig, 'wg0', $false)) -PlanOnly)
    Save-Answer 'wireguard-wouldchange' (Request ([HomeTunnel.Hosts.AgentRequest]::WireGuard($bigger, 'wg0', $false)) -PlanOnly)
    Set-Content -LiteralPath "$($lab.Hosts.relay.Directory)/etc-wireguard/wg1.conf" -Value "[Interface]`nprivatekey=$($third.PrivateKey.RevealBase64())`nListenPort = 51999`n"
    Save-Answer 'wireguard-notowned' (Request ([HomeTunnel.Hosts.AgentRequest]::WireGuard($relayConfig, 'wg1', $false)) -PlanOnly)
    Save-Answer 'wireguard-force-wouldchange' (Request ([HomeTunnel.Hosts.AgentRequest]::WireGuard($relayConfig, 'wg1', $false)) -PlanOnly -Force)
    Remove-Item "$($lab.Hosts.relay.Directory)/etc-wireguard/wg1.conf"
    $other = $homePeer | New-ApacheProxySite -ServerName other.example.test -Port 8080
    Save-Answer 'apache-wouldchange' (Request ([HomeTunnel.Hosts.AgentRequest]::Apache(@($other), $false)) -PlanOnly)
    Save-Answer 'apache-notowned' (Request ([HomeTunnel.Hosts.AgentRequest]::Apache(@(($homePeer | New-ApacheProxySite -ServerName 000-default -Port 1)), $false)) -PlanOnly)
    $secret = Join-Path $lab.Directory 'shadow-like'
    Set-Content $secret 'root:$y$j9T$SECRETHASH:19000:0:99999:7:::'
    $leak = ConvertFrom-ApacheProxySite "<VirtualHost *:80>`n    ServerName leak.example.test`n    Include $secret`n    ProxyPass / http://192.168.4.2:3000/`n</VirtualHost>`n" -AllowDirective Include
    Save-Answer 'apache-configtestfailed' (Request ([HomeTunnel.Hosts.AgentRequest]::Apache(@($leak), $false)))
    Save-Answer 'status' ([HomeTunnel.Hosts.AgentRequest]::Status('wg0'))
    Save-Answer 'profile' ([HomeTunnel.Hosts.AgentRequest]::Profile())
    $old = [HomeTunnel.Hosts.AgentRequest]::Status('wg0'); $old['Version'] = 1
    Save-Answer 'unsupported-version' $old
}
finally {
    Get-PSSession | Remove-PSSession
    if (Get-Variable lab -ErrorAction Ignore) { Stop-Lab $lab }
    Pop-Location
}
