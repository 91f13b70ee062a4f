# Benchmarks on the lab's real relay (sshd, Apache, wg): apply vs Ansible, scale, Test-TunnelPath.
param([Parameter(Mandatory)] [string] $ModulePath, [int] $Runs = 3)
$ErrorActionPreference = 'Stop'
. $PSScriptRoot/Measure.ps1
Import-Module $ModulePath -Force
Import-Module (Join-Path $PSScriptRoot '../tests/Lab/Lab.psm1') -Force

$lab = Start-Lab -Prefix htbnch -Index 10
$work = Join-Path $lab.Directory 'bench'
$null = New-Item -ItemType Directory -Force $work
try {
    $a = $lab.Addresses
    $relayPeer = New-TunnelPeer -Name relay -Role Relay -Address 192.168.4.1/24 -ListenPort 51820 -Endpoint $a.Relay
    $homePeer = New-TunnelPeer -Name home -Role Home -Address 192.168.4.2/32 -PersistentKeepalive 25
    $relayConfig = New-WireGuardConfig -For $relayPeer -Peer $homePeer
    $site = $homePeer | New-ApacheProxySite -ServerName $lab.SiteName -Port 3000
    $admin = New-LabSession $lab relay

    # Every SSH process either tool starts goes through this wrapper, which counts it.
    $sshLog = Join-Path $work 'ssh.log'
    $wrapperDir = Join-Path $work 'bin'
    $null = New-Item -ItemType Directory -Force $wrapperDir
    $realSsh = (Get-Command ssh -CommandType Application | Select-Object -First 1).Source
    Set-Content (Join-Path $wrapperDir 'ssh') "#!/bin/sh`necho x >> '$sshLog'`nexec '$realSsh' `"`$@`""
    chmod 755 (Join-Path $wrapperDir 'ssh')
    function Get-SshCount { if (Test-Path $sshLog) { @(Get-Content $sshLog).Count } else { 0 } }
    function Reset-Relay {
        $null = Uninstall-ApacheProxySite $lab.SiteName -Session $admin -Confirm:$false
        $null = Uninstall-WireGuardConfig -Session $admin -Confirm:$false
    }
    function Invoke-HomeTunnelApply {
        $saved = $env:PATH
        $env:PATH = "$wrapperDir$([IO.Path]::PathSeparator)$saved"
        try {
            $s = New-LabSession $lab relay
            $r = @($relayConfig | Install-WireGuardConfig -Session $s) + @($site | Install-ApacheProxySite -Session $s)
            Remove-PSSession $s
            $r
        }
        finally { $env:PATH = $saved }
    }

    # 4. First apply and no-op re-apply: HomeTunnel vs Ansible, each with its own SSH connection setup.
    [IO.File]::WriteAllText((Join-Path $work 'wg0.conf'), $relayConfig.RevealText())
    [IO.File]::WriteAllText((Join-Path $work 'site.conf'), $site.Text)
    $inventory = Join-Path $work 'inventory.ini'
    $sshArgs = "-o UserKnownHostsFile=$($lab.KnownHostsFile) -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o BatchMode=yes"
    Set-Content $inventory "relay ansible_host=$($a.Relay) ansible_user=root ansible_ssh_private_key_file=$($lab.KeyFile) ansible_python_interpreter=/usr/bin/python3 ansible_ssh_common_args='$sshArgs' ansible_ssh_executable=$wrapperDir/ssh ansible_ssh_transfer_method=piped"
    $env:HOMETUNNEL_BENCH_FILES = $work
    $env:HOMETUNNEL_BENCH_SITE = $lab.SiteName
    $env:ANSIBLE_NOCOLOR = '1'; $env:ANSIBLE_LOCAL_TEMP = Join-Path $work 'ansible-tmp'; $env:ANSIBLE_HOME = Join-Path $work 'ansible-home'
    function Invoke-AnsibleApply {
        $out = ansible-playbook -i $inventory (Join-Path $PSScriptRoot 'ansible/seed.yml') 2>&1
        if ($LASTEXITCODE -ne 0) { throw "ansible-playbook failed: $($out | Out-String)" }
        $out
    }

    $first = @{ HomeTunnel = @(); Ansible = @(); HtSsh = 0; AnSsh = 0 }
    $noop = @{ HomeTunnel = @(); Ansible = @(); HtSsh = 0; AnSsh = 0 }
    foreach ($run in 1..$Runs) {
        foreach ($tool in 'HomeTunnel', 'Ansible') {
            Reset-Relay
            $before = Get-SshCount
            $clock = [Diagnostics.Stopwatch]::StartNew()
            if ($tool -eq 'HomeTunnel') { $r = Invoke-HomeTunnelApply; if ($r.State -ne 'Created') { throw "HomeTunnel first apply: $($r.State)" } } else { $null = Invoke-AnsibleApply }
            $first[$tool] += $clock.Elapsed.TotalMilliseconds
            $first[$(if ($tool -eq 'HomeTunnel') { 'HtSsh' } else { 'AnSsh' })] = (Get-SshCount) - $before
            $before = Get-SshCount
            $clock = [Diagnostics.Stopwatch]::StartNew()
            if ($tool -eq 'HomeTunnel') { $r = Invoke-HomeTunnelApply; if ($r.State | Where-Object { $_ -ne 'Unchanged' }) { throw "HomeTunnel re-apply: $($r.State)" } } else { $null = Invoke-AnsibleApply }
            $noop[$tool] += $clock.Elapsed.TotalMilliseconds
            $noop[$(if ($tool -eq 'HomeTunnel') { 'HtSsh' } else { 'AnSsh' })] = (Get-SshCount) - $before
        }
    }
    $f1 = Get-Median $first.HomeTunnel; $f2 = Get-Median $first.Ansible
    New-BenchRow '4a. first apply of the seed relay (new SSH session included)' $f1 'Ansible (template+validate, command, handlers)' $f2 '≤ 0.5× Ansible' ($f1 -le 0.5 * $f2) "SSH processes: HomeTunnel $($first.HtSsh) (one session; 2 cmdlets, each a facts call and an apply call), Ansible $($first.AnSsh)"
    $n1 = Get-Median $noop.HomeTunnel; $n2 = Get-Median $noop.Ansible
    New-BenchRow '4b. no-op re-apply (new SSH session included)' $n1 'Ansible, same playbook' $n2 '≤ 0.1× Ansible' ($n1 -le 0.1 * $n2) "SSH processes: HomeTunnel $($noop.HtSsh), Ansible $($noop.AnSsh)"
    $sessionOnly = Measure-Median { $s = New-LabSession $lab relay; Remove-PSSession $s } -Runs $Runs
    $bareSsh = Measure-Median { & $realSsh -i $lab.KeyFile -o "UserKnownHostsFile=$($lab.KnownHostsFile)" -o StrictHostKeyChecking=yes -o BatchMode=yes "root@$($a.Relay)" true } -Runs $Runs
    New-BenchRow '4d. profile: New-PSSession alone (ssh + remote pwsh + PSRP)' $sessionOnly 'ssh host true' $bareSsh 'report' $true 'where the no-op re-apply of 4b goes'
    $warm = Measure-Median { $null = $relayConfig | Install-WireGuardConfig -Session $admin; $null = $site | Install-ApacheProxySite -Session $admin } -Runs 5
    New-BenchRow '4c. no-op re-apply in an open session' $warm 'Ansible no-op (above)' $n2 'report' $true 'what a script that keeps its session pays'

    # 5. Scale: add one peer to a relay with 10 and with 250 peers; one site to 10 and 250 sites.
    foreach ($size in 10, 250) {
        $homes = 1..$size | ForEach-Object { New-TunnelPeer -Name "h$_" -Role Home -Address "192.168.$(10 + [math]::Floor($_ / 250)).$(($_ % 250) + 2)/32" }
        $extra = New-TunnelPeer -Name extra -Role Home -Address 192.168.9.9/32
        $base = New-WireGuardConfig -For $relayPeer -Peer (@($homePeer) + $homes)
        $plus = New-WireGuardConfig -For $relayPeer -Peer (@($homePeer) + $homes + @($extra))
        $null = $base | Install-WireGuardConfig -Session $admin
        $times = foreach ($i in 1..$Runs) {
            $null = $base | Install-WireGuardConfig -Session $admin
            (Measure-Command { $null = $plus | Install-WireGuardConfig -Session $admin }).TotalMilliseconds
        }
        $wgAdd = Get-Median $times
        # The tool's own time for the same change, on the relay: wg syncconf of the stripped config.
        Invoke-LabHost $lab relay sh -c "wg-quick strip wg0 > /tmp/bench-plus.conf" | Out-Null
        $null = $base | Install-WireGuardConfig -Session $admin
        $sync = Measure-Median { Invoke-LabHost $lab relay wg syncconf wg0 /tmp/bench-plus.conf } -Runs $Runs
        $sites = 1..$size | ForEach-Object { New-ApacheProxySite -ServerName "s$_.example.test" -Backend http://192.168.4.2:3000/ }
        $extraSite = New-ApacheProxySite -ServerName extra.example.test -Backend http://192.168.4.2:3000/
        $null = $sites | Install-ApacheProxySite -Session $admin
        $times = foreach ($i in 1..$Runs) {
            $null = Uninstall-ApacheProxySite extra.example.test -Session $admin -Confirm:$false
            (Measure-Command { $null = $extraSite | Install-ApacheProxySite -Session $admin }).TotalMilliseconds
        }
        $siteAdd = Get-Median $times
        $apacheOwn = Measure-Median { Invoke-LabHost $lab relay sh -c 'apache2ctl configtest 2>/dev/null && apache2ctl configtest 2>/dev/null && apache2ctl graceful' } -Runs $Runs
        New-BenchRow "5a. add 1 peer to $size" $wgAdd 'wg syncconf alone' $sync 'flat in N beyond wg' $true
        New-BenchRow "5b. add 1 site to $size" $siteAdd '2× configtest + graceful alone' $apacheOwn 'flat in N beyond Apache' $true
        $null = Uninstall-ApacheProxySite (@($sites.ServerName) + 'extra.example.test') -Session $admin -Confirm:$false
    }

    # 6. Test-TunnelPath: a healthy verdict vs its slowest hop; a black-holed relay vs the deadline.
    $boxSession = New-LabSession $lab home
    $null = $relayConfig | Install-WireGuardConfig -Session $admin
    $null = New-WireGuardConfig -For $homePeer -Peer $relayPeer | Install-WireGuardConfig -Session $boxSession
    $null = $site | Install-ApacheProxySite -Session $admin
    $null = $site | Install-TunnelHomeFirewall -Session $boxSession -RelayAddress 192.168.4.1
    Wait-LabCondition { (Test-TunnelPath $lab.SiteName -RelaySession $admin -HomeSession $boxSession -DnsServer $a.Dns).Status -eq 'Pass' } 'a healthy path' 30
    $results = 1..7 | ForEach-Object { Test-TunnelPath $lab.SiteName -RelaySession $admin -HomeSession $boxSession -DnsServer $a.Dns }
    $verdict = Get-Median @($results | ForEach-Object { $_.Duration.TotalMilliseconds })
    $slowest = Get-Median @($results | ForEach-Object { ($_.Hops.Duration | Measure-Object TotalMilliseconds -Maximum).Maximum })
    New-BenchRow '6a. Test-TunnelPath, healthy path' $verdict 'its slowest single hop' $slowest '≤ 1.2× slowest hop' ($verdict -le 1.2 * $slowest) ("sum of hops {0:0} ms" -f (Get-Median @($results | ForEach-Object { ($_.Hops.Duration | Measure-Object TotalMilliseconds -Sum).Sum })))
    # 6c. One check, many names: 100 names on one relay vs one, sessions opened by the check as a scheduled run does.
    $many = 1..100 | ForEach-Object { "n$_.example.test" }
    $null = $many | ForEach-Object { New-ApacheProxySite -ServerName $_ -Backend http://192.168.4.2:3000/ } | Install-ApacheProxySite -Session $admin
    $records = [ordered]@{} + $lab.DnsRecords
    foreach ($n in $many) { $records[$n] = $a.Relay }
    Set-LabDnsRecord $lab -Records $records
    $how = @{ RelayHostName = $a.Relay; UserName = 'root'; KeyFilePath = $lab.KeyFile; KnownHostsFile = $lab.KnownHostsFile; HomeHostName = $a.HomeMgmt; DnsServer = $a.Dns }
    Wait-LabCondition { @(Test-TunnelPath $many @how | Where-Object Status -NE 'Pass').Count -eq 0 } 'all 100 names passing' 60
    $one = Measure-Median { $null = Test-TunnelPath $many[0] @how } -Runs $Runs
    $hundred = Measure-Median { $r = @(Test-TunnelPath $many @how); if ($r.Count -ne 100 -or @($r | Where-Object Status -NE 'Pass').Count) { throw 'not 100 passes' } } -Runs $Runs
    New-BenchRow '6c. Test-TunnelPath, 100 names on one relay (sessions opened included)' $hundred 'one name, the same way' $one '≤ 1.5× one name' ($hundred -le 1.5 * $one) 'one SSH session and one agent call per host for all 100'
    $null = Uninstall-ApacheProxySite $many -Session $admin -Confirm:$false
    $blackhole = New-LabSession $lab relay
    Set-LabBlackhole $lab relay -Traffic All
    try {
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $r = Test-TunnelPath $lab.SiteName -RelaySession $blackhole -DnsServer $a.Dns -TimeoutSeconds 5
        $dead = $clock.Elapsed.TotalMilliseconds
    }
    finally { Set-LabBlackhole $lab relay -Off }
    New-BenchRow '6b. Test-TunnelPath, relay dropping every packet' $dead 'the deadline (-TimeoutSeconds 5)' 5000 '≤ deadline + 1 s' ($dead -le 6000 -and $r.Status -eq 'Fail') "verdict $($r.Status) at $($r.FailedHop)"
}
finally {
    Get-PSSession | Remove-PSSession -ErrorAction Ignore
    Stop-Lab $lab
}
