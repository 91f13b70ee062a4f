# The host link's fixed cost, side by side in one run: one change in an open session with the host's worker kept
# warm (this build) against a cold worker per change (the same build with HOMETUNNEL_WORKER_IDLE=0: how every change
# ran before) and against a cold pwsh on the same host; and Publish-HomeService on two hosts both ways. With
# -BaselineModulePath, also this build against that build (bench/Baseline.ps1), by turns in the same run on the same lab.
param([Parameter(Mandatory)] [string] $ModulePath, [int] $Runs = 3, [string] $BaselineModulePath)
$ErrorActionPreference = 'Stop'
. $PSScriptRoot/Measure.ps1
Import-Module $ModulePath -Force
Import-Module (Join-Path $PSScriptRoot '../tests/Lab/Lab.psm1') -Force

$lab = Start-Lab -Prefix htlink -Index 10
try {
    $a = $lab.Addresses
    $admin = New-LabSession $lab relay
    $boxSession = New-LabSession $lab home
    $relayPeer = New-TunnelPeer -Name relay -Role Relay -Address 192.168.4.1/24 -ListenPort 51820 -Endpoint $a.Relay
    $homePeer = New-TunnelPeer -Name home -Role Home -Address 192.168.4.2/32 -PersistentKeepalive 25
    # No worker left on either host: the next change starts from nothing, as on hosts that are idle.
    function Stop-Worker {
        foreach ($h in 'relay', 'home') { foreach ($p in @(Get-LabHostProcessId $lab $h ' -Serve [0-9a-f]{16}')) { kill -KILL $p 2>$null } }
        Wait-LabCondition { -not (Get-LabHostProcessId $lab relay ' -Serve ') -and -not (Get-LabHostProcessId $lab home ' -Serve ') } 'no worker' 10
    }

    # 13a-c. One change: add two peers to a relay that has three.
    $few = 1..4 | ForEach-Object { New-TunnelPeer -Name "w$_" -Role Home -Address "192.168.7.$_/32" }
    $one = New-WireGuardConfig -For $relayPeer -Peer (@($homePeer) + $few[0..1])
    $two = New-WireGuardConfig -For $relayPeer -Peer (@($homePeer) + $few)
    function Measure-Change {
        $null = $one | Install-WireGuardConfig -Session $admin
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $r = $two | Install-WireGuardConfig -Session $admin
        if ($r.State -ne 'Changed') { throw "change: $($r.State)" }
        $clock.Elapsed.TotalMilliseconds
    }
    $warmTimes = @(); $coldTimes = @()
    foreach ($round in 1..$Runs) {
        $env:HOMETUNNEL_WORKER_IDLE = '0'
        Stop-Worker
        $coldTimes += Measure-Change; $coldTimes += Measure-Change
        Remove-Item Env:HOMETUNNEL_WORKER_IDLE
        $null = Measure-Change   # a worker starts and stays
        $warmTimes += Measure-Change; $warmTimes += Measure-Change
    }
    $warmChange = Get-Median $warmTimes; $coldChange = Get-Median $coldTimes
    # The host's own pwsh, the one its sshd and its workers start (a bare 'pwsh' here would be this process's).
    $hostPwsh = Get-LabPwsh
    $coldPwsh = Measure-Median { Invoke-LabHost $lab relay $hostPwsh -NoProfile -c exit } -Runs $Runs
    $noOne = Measure-Median { $r = $two | Install-WireGuardConfig -Session $admin; if ($r.State -ne 'Unchanged') { throw "no-op: $($r.State)" } } -Runs 7
    Invoke-LabHost $lab relay sh -c "wg-quick strip wg0 > /tmp/bench-two.conf" | Out-Null
    $tool = Measure-Median { Invoke-LabHost $lab relay wg syncconf wg0 /tmp/bench-two.conf } -Runs $Runs
    New-BenchRow '13a. one change in an open session (add 2 peers)' $warmChange "the host's own pwsh -NoProfile -c exit on the same relay" $coldPwsh '≤ 0.6× a cold pwsh' ($warmChange -le 0.6 * $coldPwsh) ("beyond the tool's own time (wg syncconf {0:0} ms): {1:0} ms (target ≤ 600 ms)" -f $tool, ($warmChange - $tool))
    New-BenchRow '13b. one change in an open session (add 2 peers)' $warmChange 'the same, a cold worker per change (as before: HOMETUNNEL_WORKER_IDLE=0)' $coldChange 'report' $true ("profile of the warm change: facts call and plan {0:0} ms (the no-op), apply call {1:0} ms, of which wg syncconf {2:0} ms" -f $noOne, ($warmChange - $noOne), $tool)
    New-BenchRow '13c. no-op of one change in an open session' $noOne '(target)' 50 '≤ 50 ms' ($noOne -le 50) 'one facts call; nothing written, no worker asked'
    $null = Uninstall-WireGuardConfig -Session $admin -Confirm:$false

    # 13d. Publish-HomeService on the two hosts (four host steps), from no worker on either host each time.
    $publishPeers = Join-Path $lab.Directory 'publish-peers.json'
    function Measure-Publish {
        Stop-Worker
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $r = Publish-HomeService $lab.SiteName 3000 -RelaySession $admin -HomeSession $boxSession -RelayEndpoint $a.Relay -PeerFile $publishPeers -DnsServer $a.Dns -WaitSeconds 0 -Confirm:$false
        $ms = $clock.Elapsed.TotalMilliseconds
        if (@($r.Changes | Where-Object State -notin 'Created', 'Changed').Count) { throw "publish: $($r.Changes.State -join ', ')" }
        $null = Unpublish-HomeService $lab.SiteName -RelaySession $admin -HomeSession $boxSession -PeerFile $publishPeers -Confirm:$false
        Remove-Item $publishPeers -ErrorAction Ignore
        $ms
    }
    $warmPublish = @(); $coldPublish = @()
    foreach ($round in 1..$Runs) {
        $env:HOMETUNNEL_WORKER_IDLE = '0'
        $coldPublish += Measure-Publish
        Remove-Item Env:HOMETUNNEL_WORKER_IDLE
        $warmPublish += Measure-Publish
    }
    $wp = Get-Median $warmPublish; $cp = Get-Median $coldPublish
    New-BenchRow '13d. Publish-HomeService on two idle hosts (4 host steps, no path wait)' $wp 'the same, a cold worker per step (as before)' $cp '≥ 30% faster (≤ 0.7×)' ($wp -le 0.7 * $cp) 'no worker on either host at the start of each run; Unpublish after each; both ways alternate in the same run'

    # 13e-g. This build against the baseline build, by turns in the same run: each side in a pwsh of its own (two
    # builds cannot load in one process), its own sessions opened untimed, no worker on either host before each turn.
    if ($BaselineModulePath) {
        $pwsh = Get-LabPwsh
        $side = Join-Path $PSScriptRoot 'HostLinkSide.ps1'
        $sides = [ordered]@{ This = (Resolve-Path $ModulePath).Path; Baseline = (Resolve-Path $BaselineModulePath).Path }
        $got = @{ This = @{ Change = @(); NoOp = @(); Publish = @(); PublishOpen = @() }; Baseline = @{ Change = @(); NoOp = @(); Publish = @(); PublishOpen = @() } }
        foreach ($round in 1..$Runs) {
            foreach ($name in $(if ($round % 2) { 'Baseline', 'This' } else { 'This', 'Baseline' })) {
                foreach ($mode in 'Change', 'Publish', 'PublishOpen') {
                    Stop-Worker
                    Remove-Item $publishPeers -ErrorAction Ignore
                    $out = & $pwsh -NoProfile -File $side -ModulePath $sides[$name] -RelayAddress $a.Relay -HomeAddress $a.HomeMgmt -KeyFile $lab.KeyFile `
                        -KnownHostsFile $lab.KnownHostsFile -SiteName $lab.SiteName -DnsServer $a.Dns -PeerFile $publishPeers -Publish:($mode -ne 'Change') -OpenSession:($mode -eq 'PublishOpen') 2>&1
                    if ($LASTEXITCODE -ne 0) { throw "$name's side failed: $($out | Out-String)" }
                    $t = @($out)[-1] | ConvertFrom-Json
                    foreach ($k in $t.PSObject.Properties.Name) { $got[$name][$(if ($mode -eq 'PublishOpen') { 'PublishOpen' } else { $k })] += @($t.$k) }
                }
            }
        }
        $commit = Split-Path (Split-Path (Split-Path $sides.Baseline -Parent) -Parent) -Leaf
        $label = "the build at $($commit.Substring(0, [Math]::Min(7, $commit.Length)))"
        $bc = Get-Median $got.Baseline.Change; $tc = Get-Median $got.This.Change
        $bn = Get-Median $got.Baseline.NoOp; $tn = Get-Median $got.This.NoOp
        $bp = Get-Median $got.Baseline.Publish; $tp = Get-Median $got.This.Publish
        New-BenchRow '13e. one change in an open session (add 2 peers), this build against the baseline' $tc "$label, same run, by turns" $bc 'report (≤ 0.6× a cold pwsh is 13a)' $true ("medians of {0} changes each; cold pwsh on the relay {1:0} ms: this build {2:0.00}×, the baseline {3:0.00}×" -f $got.This.Change.Count, $coldPwsh, ($tc / $coldPwsh), ($bc / $coldPwsh))
        New-BenchRow '13f. no-op of one change in an open session, this build against the baseline' $tn "$label, same run, by turns" $bn '≤ 50 ms' ($tn -le 50) ("medians of {0} no-ops each" -f $got.This.NoOp.Count)
        $bo = Get-Median $got.Baseline.PublishOpen; $to = Get-Median $got.This.PublishOpen
        New-BenchRow '13g. Publish-HomeService on two idle hosts from a fresh pwsh and fresh sessions, this build against the baseline' $tp "$label, same run, by turns" $bp '≥ 30% faster (≤ 0.7×)' ($tp -le 0.7 * $bp) ("medians of {0} runs each; the sessions opened untimed; no worker on either host at the start of each" -f $got.This.Publish.Count)
        New-BenchRow '13h. Publish-HomeService on two idle hosts in open sessions, this build against the baseline' $to "$label, same run, by turns" $bo '≥ 30% faster (≤ 0.7×)' ($to -le 0.7 * $bo) ("medians of {0} runs each; after an untimed Publish and Unpublish in the same sessions, no worker left on either host (as 13d)" -f $got.This.PublishOpen.Count)
    }
}
finally {
    Remove-Item Env:HOMETUNNEL_WORKER_IDLE -ErrorAction Ignore
    Get-PSSession | Remove-PSSession -ErrorAction Ignore
    Stop-Lab $lab
}
