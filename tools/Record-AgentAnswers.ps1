#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Records the agent's answers from the lab's real hosts into tests/Pester/fixtures/agent/*.json.
.DESCRIPTION
    The module's side of the host contract (answers read once and held to their typed contracts, planning from
    facts, diffs, redaction, error mapping) is tested without root against these recordings: AgentAnswers.Tests.ps1
    and the C# tests (tests/HomeTunnel.Tests), which hold every recording of every kind to its contract. Each file is
    the answer's JSON as it crossed the wire, indented; every key in it is replaced by a placeholder {{KEY:n}} (the
    tests put fresh keys back), so no key is ever committed.
    Run as root after a build, when the agent's answers change:
        dotnet pwsh -File tools/Record-AgentAnswers.ps1
#>
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = Split-Path $PSScriptRoot -Parent
Push-Location (Join-Path $root 'tests/Pester')
try {
    . ./LabSeed.ps1 -Prefix htrec -Index 10 -Install
    $out = Join-Path $root 'tests/Pester/fixtures/agent'
    Remove-Item (Join-Path $out '*.json') -ErrorAction Ignore
    $null = New-Item -ItemType Directory -Force $out
    $keys = [System.Collections.Generic.Dictionary[string, int]]::new()
    $relayDir = $lab.Hosts.relay.Directory

    function Invoke-Agent([HomeTunnel.Hosts.Contract.HostRequest] $Request, $Session = $vps) {
        [HomeTunnel.Hosts.AgentCall]::RunJsonAsync($Session.Runspace, $Request, 'relay', [Threading.CancellationToken]::None).GetAwaiter().GetResult()
    }
    # Members in name order at every depth (the agent's hashtables have none), so a re-recording diffs only where answers changed.
    function Get-Sorted($Value) {
        if ($Value -is [System.Collections.IDictionary]) {
            $sorted = [ordered]@{}
            foreach ($k in @($Value.Keys) | Sort-Object -CaseSensitive) { $sorted[$k] = Get-Sorted $Value[$k] }
            return $sorted
        }
        if ($Value -is [System.Collections.IList]) { return , @(foreach ($i in $Value) { , (Get-Sorted $i) }) }
        $Value
    }
    function Save-Answer([string] $Name, [string] $Answer) {
        $sorted = Get-Sorted ($Answer | ConvertFrom-Json -AsHashtable -NoEnumerate)
        $json = $sorted | ConvertTo-Json -Depth 30
        $state = $sorted.State
        $json = [regex]::Replace($json, '(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=(?![A-Za-z0-9+/=])', {
                param($m)
                if (-not $keys.ContainsKey($m.Value)) { $keys[$m.Value] = $keys.Count }
                "{{KEY:$($keys[$m.Value])}}"
            })
        $json = $json.Replace($lab.Directory, '/tmp/lab')
        Set-Content -LiteralPath (Join-Path $out "$Name.json") -Value $json
        Write-Host "recorded $Name ($state)"
    }
    # The two calls of a change, as HostApply makes them: facts, the module's plan, then the apply.
    function Save-Apply([string] $Name, [HomeTunnel.Hosts.HostChange] $Change) {
        $answer = [HomeTunnel.Hosts.AgentAnswer]::Parse((Invoke-Agent ($Change.MakeRequest.Invoke())), 'relay')
        $plan = $Change.Planner.Invoke($answer.FactsJson, $false)
        Save-Answer $Name (Invoke-Agent ($Change.MakeRequest.Invoke().Applying($plan.Plan, $answer.Fingerprint, $false)))
    }

    $wg = [HomeTunnel.Hosts.HostChange]::WireGuard($relayConfig, 'wg0', 'record')
    Save-Answer 'wireguard-facts' (Invoke-Agent ($wg.MakeRequest.Invoke()))
    Set-Content -LiteralPath "$relayDir/etc-wireguard/wg1.conf" -Value "[Interface]`nprivatekey=$((New-TunnelKeyPair).PrivateKey.RevealBase64())`nListenPort = 51999`n"
    Save-Answer 'wireguard-facts-handwritten' (Invoke-Agent ([HomeTunnel.Hosts.HostChange]::WireGuard($relayConfig, 'wg1', 'record').MakeRequest.Invoke()))
    Remove-Item "$relayDir/etc-wireguard/wg1.conf"

    $other = $homePeer | New-ApacheProxySite -ServerName other.example.test -Port 8080
    Save-Answer 'apache-facts-new' (Invoke-Agent ([HomeTunnel.Hosts.HostChange]::Apache(@($other), $false, 'record').MakeRequest.Invoke()))
    # Debian's own default site, asked about by its file name (no site of HomeTunnel may have that name: ServerNameReserved).
    $d = [HomeTunnel.Hosts.AgentRequest]::Apache(@(($homePeer | New-ApacheProxySite -ServerName default.example.test -Port 1)), $false)
    $s0 = $d.Sites[0]
    $shape = [HomeTunnel.Hosts.Contract.ApacheSiteShape]::new($s0.Name, '000-default.conf', $s0.Text, $s0.Modules, $s0.PasswordPath, $s0.AcmeKeyPath)
    $default = [HomeTunnel.Hosts.Contract.ApacheRequest]::new($d.Name, [HomeTunnel.Hosts.Contract.ApacheSiteShape[]]@($shape), $d.HookPath, $d.Marker)
    Save-Answer 'apache-facts-default' (Invoke-Agent $default)
    $etc = "$relayDir/etc-apache2"
    Set-Content -LiteralPath "$etc/sites-available/hand.conf" -Value "<VirtualHost *:80>`n    ServerName hand.example.test`n    ServerAlias taken.example.test`n</VirtualHost>"
    New-Item -ItemType SymbolicLink -Path "$etc/sites-enabled/hand.conf" -Target '../sites-available/hand.conf' | Out-Null
    Save-Answer 'apache-facts-taken' (Invoke-Agent ([HomeTunnel.Hosts.HostChange]::Apache(@(($homePeer | New-ApacheProxySite -ServerName taken.example.test -Port 1)), $false, 'record').MakeRequest.Invoke()))
    Remove-Item "$etc/sites-enabled/hand.conf", "$etc/sites-available/hand.conf"
    $pidFile = "$relayDir/run-apache2/apache2.pid"
    $apache = [int](Get-Content $pidFile)
    Invoke-LabHost $lab relay apache2ctl stop | Out-Null
    Wait-LabCondition { -not (Test-LabProcessAlive $apache) } 'Apache to stop' 15
    Save-Answer 'apache-facts-stopped' (Invoke-Agent ([HomeTunnel.Hosts.HostChange]::Apache(@($site), $false, 'record').MakeRequest.Invoke()))
    Invoke-LabHost $lab relay apache2ctl start | Out-Null
    Wait-LabCondition { Test-Path $pidFile } 'Apache to start' 15
    $lab.Pids.Add([int](Get-Content $pidFile))

    $secret = Join-Path $lab.Directory 'shadow-like'
    Set-Content $secret 'root:$y$j9T$SECRETHASH:19000:0:99999:7:::'
    $leak = ConvertFrom-ApacheProxySite "<VirtualHost *:80>`n    ServerName leak.example.test`n    Include $secret`n    ProxyPass / http://192.168.4.2:3000/`n</VirtualHost>`n" -AllowDirective Include
    Save-Apply 'apache-apply-configtestfailed' ([HomeTunnel.Hosts.HostChange]::Apache(@($leak), $false, 'record'))
    $third = New-TunnelPeer -Name home3 -Role Home -Address 192.168.4.4/32
    Save-Apply 'wireguard-apply-changed' ([HomeTunnel.Hosts.HostChange]::WireGuard((New-WireGuardConfig -For $relayPeer -Peer $homePeer, $third), 'wg0', 'record'))
    # A plan made from facts the host no longer has: the worker answers Stale with the new facts.
    $facts = [HomeTunnel.Hosts.AgentAnswer]::Parse((Invoke-Agent ($wg.MakeRequest.Invoke())), 'relay')
    $stale = $wg.MakeRequest.Invoke().Applying($wg.Planner.Invoke($facts.FactsJson, $false).Plan, '00', $false)
    Save-Answer 'wireguard-apply-stale' (Invoke-Agent $stale)

    Save-Answer 'status' (Invoke-Agent ([HomeTunnel.Hosts.AgentRequest]::Status('wg0')))
    $old = [HomeTunnel.Hosts.AgentRequest]::Status('wg0'); $old.Version = 1
    Save-Answer 'unsupported-version' (Invoke-Agent $old)

    # The other kinds: the nftables tables (a forward's facts carry the relay's own needs), the reads, the probes.
    $forward = $homePeer | New-TunnelPortForward -Protocol Tcp -PublicPort 2222 -Port 22
    Save-Answer 'forward-facts' (Invoke-Agent ([HomeTunnel.Hosts.HostChange]::Forward(@($forward), $false, 'record').MakeRequest.Invoke()))
    Save-Answer 'homefirewall-facts' (Invoke-Agent ([HomeTunnel.Hosts.HostChange]::HomeFirewall(@(), 'wg0', $false, $false, 'record').MakeRequest.Invoke()) $box)
    Save-Answer 'managed-sites' (Invoke-Agent ([HomeTunnel.Hosts.AgentRequest]::Managed('Sites')))
    Save-Answer 'managed-configs' (Invoke-Agent ([HomeTunnel.Hosts.AgentRequest]::Managed('Configs')))
    Save-Answer 'managed-forwards' (Invoke-Agent ([HomeTunnel.Hosts.AgentRequest]::Managed('Forwards')))
    Save-Answer 'relay-probe' (Invoke-Agent ([HomeTunnel.Hosts.AgentRequest]::RelayProbe('wg0', 2000, $null)))
    # The relay's own site file, and two it keeps: a file with no VirtualHost (a key, /etc/shadow) and one that is not there.
    Save-Answer 'site-files' (Invoke-Agent ([HomeTunnel.Hosts.AgentRequest]::SiteFiles([string[]]@("/etc/apache2/sites-enabled/$($lab.SiteName).conf", '/etc/shadow', '/etc/apache2/sites-enabled/nothing.conf'))))
    $connect = [System.Collections.Generic.List[System.ValueTuple[string, int]]]::new()
    $connect.Add([System.ValueTuple[string, int]]::new('192.168.4.2', 3000))
    $connect.Add([System.ValueTuple[string, int]]::new('127.0.0.1', 1))
    Save-Answer 'connect-probe' (Invoke-Agent ([HomeTunnel.Hosts.AgentRequest]::ConnectProbe($connect, 2000)))
    Save-Answer 'home-probe' (Invoke-Agent ([HomeTunnel.Hosts.AgentRequest]::HomeProbe('wg0')) $box)
    $targets = [System.Collections.Generic.List[System.ValueTuple[string, string, int, int]]]::new()
    $targets.Add([System.ValueTuple[string, string, int, int]]::new('relay', '192.168.4.1', 1200, 1420))
    Save-Answer 'mtu-probe' (Invoke-Agent ([HomeTunnel.Hosts.AgentRequest]::MtuProbe('wg0', $targets)) $box)
    Save-Answer 'rotate-relay-timedout' (Invoke-Agent ([HomeTunnel.Hosts.AgentRequest]::RotateRelay('Await', 'wg0', $homePeer.PublicKey, (New-TunnelKeyPair).PublicKey, $null, 0)))
    Save-Answer 'nat-probe-relay' (Invoke-Agent ([HomeTunnel.Hosts.AgentRequest]::NatProbe('NatProbeRelay', [int[]]@(40001), [int[]]@(1), 1)))
    # The home halves, alone (no relay half answers them): a probe nobody acknowledged, a rotation that timed out and put the old key back.
    Save-Answer 'nat-probe-home' (Invoke-Agent ([HomeTunnel.Hosts.AgentRequest]::NatProbe('NatProbeHome', [int[]]@(40002), [int[]]@(1), 1, $a.Relay)) $box)
    Save-Answer 'rotate-home-timedout' (Invoke-Agent ([HomeTunnel.Hosts.AgentRequest]::RotateHome('wg0', $relayPeer.PublicKey, (New-TunnelKeyPair).PrivateKey, $null, 0)) $box)
}
finally {
    Get-PSSession | Remove-PSSession
    if (Get-Variable lab -ErrorAction Ignore) { Stop-Lab $lab }
    Pop-Location
}
