# Register-TunnelPathCheck for real: the cron entry it writes is run as cron would run it, against the lab.
# The child pwsh runs in its own mount namespace with /etc and /var/log overlaid, so the machine's own
# cron and log folders are never touched.
BeforeAll {
    . $PSScriptRoot/Common.ps1
    Import-Module "$RepoRoot/tests/Lab/Lab.psm1" -Force
    $lab = Start-Lab -Prefix htcron -Index 8
    $a = $lab.Addresses
    $vps = New-LabSession $lab relay
    $box = New-LabSession $lab home
    $null = Publish-HomeService $lab.SiteName 3000 -RelaySession $vps -HomeSession $box -PeerFile (Join-Path $TestDrive 'peers.json') -DnsServer $a.Dns

    function Invoke-InOverlay([string] $Script) {
        # Runs a pwsh script in a private mount namespace whose /etc and /var/log writes land in a scratch folder.
        $scratch = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        foreach ($d in 'etc-up', 'etc-work', 'log-up', 'log-work') { $null = New-Item -ItemType Directory -Path (Join-Path $scratch $d) }
        $file = Join-Path $scratch 'run.ps1'
        Set-Content -LiteralPath $file -Value $Script
        $pwsh = (@(Get-PwshCommand) | ForEach-Object { "'$_'" }) -join ' '
        $sh = "mount -t overlay overlay -o lowerdir=/etc,upperdir=$scratch/etc-up,workdir=$scratch/etc-work /etc && " +
            "mount -t overlay overlay -o lowerdir=/var/log,upperdir=$scratch/log-up,workdir=$scratch/log-work /var/log && " +
            "exec $pwsh -NoProfile -NonInteractive -File '$file'"
        $out = unshare -m --propagation private sh -c $sh 2>&1
        [pscustomobject]@{ Output = ($out | Out-String); Scratch = $scratch }
    }
}
AfterAll {
    Get-PSSession | Remove-PSSession
    if ($lab) { Stop-Lab $lab }
}

Describe 'Register-TunnelPathCheck with cron' -Tag Lab {
    # The relay's invariants over the whole block (tests/Lab: Assert-LabInvariant; per block here: a scheduled check
    # only reads hosts, and a broken invariant still fails the block).
    BeforeAll { $script:invariantBefore = Get-LabInvariantState $lab }
    AfterAll { Assert-LabInvariant $lab $script:invariantBefore }
    It 'writes a cron entry whose command logs a Pass as one JSON line and exits 0; Unregister removes it' {
        $r = Invoke-InOverlay @"
Import-Module '$ModulePath'
`$reg = Register-TunnelPathCheck $($lab.SiteName) @{ RelayHostName = '$($a.Relay)'; UserName = 'root'; KeyFilePath = '$($lab.KeyFile)'; KnownHostsFile = '$($lab.KnownHostsFile)'; HomeHostName = '$($a.HomeMgmt)'; DnsServer = '$($a.Dns)' } -Scheduler Cron -IntervalMinutes 5
`$line = (Get-Content "/etc/cron.d/hometunnel-check-site_example_test") -match 'HomeTunnel check'
"CRON=`$line"
`$command = (`$line -split ' ', 7)[6] -replace ' >/dev/null # HomeTunnel check .*$', ''
sh -c `$command
"EXIT=`$LASTEXITCODE"
"LOG=`$(Get-Content `$reg.LogPath -Raw)"
Unregister-TunnelPathCheck `$reg.Name -Scheduler Cron
"GONE=`$(-not (Test-Path /etc/cron.d/hometunnel-check-site_example_test) -and -not (Test-Path `$reg.ScriptPath))"
"@
        $r.Output | Should -Match '(?m)^CRON=\*/5 \* \* \* \* root '
        $r.Output | Should -Match '(?m)^EXIT=0\s*$'
        $json = (($r.Output -split "`n") | Where-Object { $_ -like 'LOG=*' }).Substring(4) | ConvertFrom-Json
        $json.Status | Should -Be 'Pass' -Because $r.Output
        $json.ExitCode | Should -Be 0
        $json.Hops | Should -HaveCount 7
        ($json.Hops | Where-Object Hop -EQ 'Tunnel').Detail | Should -Match 'home sees the relay'
        $r.Output | Should -Match '(?m)^GONE=True'
        Test-Path /etc/cron.d/hometunnel-check-site_example_test | Should -BeFalse -Because 'the host''s /etc was overlaid'
    }

    It 'exits 1 and logs the failing hop when the path fails' {
        $r = Invoke-InOverlay @"
Import-Module '$ModulePath'
`$reg = Register-TunnelPathCheck nosuch.example.test @{ RelayAddress = '$($a.Relay)'; DnsServer = '$($a.Dns)'; TimeoutSeconds = 5 } -Scheduler Cron
& sh -c ((`$reg.CommandLine))
"EXIT=`$LASTEXITCODE"
"LOG=`$(Get-Content `$reg.LogPath -Raw)"
"@
        $r.Output | Should -Match '(?m)^EXIT=1\s*$'
        $json = (($r.Output -split "`n") | Where-Object { $_ -like 'LOG=*' }).Substring(4) | ConvertFrom-Json
        $json.Status | Should -Be 'Fail'
        $json.FailedHop | Should -Be 'Dns'
        $json.ExitCode | Should -Be 1
    }
}

Describe 'A check that tells someone: notices on a change, a reminder, metrics' -Tag Lab {
    # The relay's invariants over the whole block (tests/Lab: Assert-LabInvariant; per block here: a scheduled check
    # only reads hosts, and a broken invariant still fails the block).
    BeforeAll {
        $script:invariantBefore = Get-LabInvariantState $lab
        # The receiver stands on the internet side, like ntfy.sh or a webhook would.
        $received = Join-Path $lab.Directory 'received.jsonl'
        $receiver = Start-LabProcess $lab inet 'receiver' @('python3', "$RepoRoot/tests/Lab/Receiver.py", $a.Dns, '8090', $received)
        Wait-LabCondition { Test-LabTcp $a.Dns 8090 } 'the receiver' 20
        $hook = "http://$($a.Dns):8090/hook/tok-web-71c3"
        $ping = "http://$($a.Dns):8090/ping/5a8f2c1e-aaaa-bbbb-cccc-71c3deadbeef"
        $topic = "http://$($a.Dns):8090/topic-tok-ntfy-71c3"
        $tokens = 'tok-web-71c3', '5a8f2c1e-aaaa-bbbb-cccc-71c3deadbeef', 'topic-tok-ntfy-71c3'
        $logs = Join-Path $TestDrive 'logs'
        $metrics = Join-Path $TestDrive 'metrics/hometunnel.prom'
        $parameters = "@{ RelayHostName = '$($a.Relay)'; UserName = 'root'; KeyFilePath = '$($lab.KeyFile)'; KnownHostsFile = '$($lab.KnownHostsFile)'; HomeHostName = '$($a.HomeMgmt)'; DnsServer = '$($a.Dns)'; TimeoutSeconds = 30 }"
        # Registered once in the overlay (the machine's /etc untouched); the scripts and data it wrote are kept here.
        $reg = Invoke-InOverlay @"
Import-Module '$ModulePath'
Start-Transcript -LiteralPath '$TestDrive/register-transcript.txt' | Out-Null
Register-TunnelPathCheck $($lab.SiteName) $parameters -Name web -Scheduler Cron -LogPath '$logs/web.jsonl' -MetricsPath '$metrics' -ReminderHours 1 -NotifyUri '$hook', '$ping' -WhatIf -Verbose
`$r = Register-TunnelPathCheck $($lab.SiteName) $parameters -Name web -Scheduler Cron -LogPath '$logs/web.jsonl' -MetricsPath '$metrics' -ReminderHours 1 -NotifyUri '$hook', '$ping' -Verbose
`$r | Format-List * | Out-String
`$r | ConvertTo-Json
`$null = Register-TunnelPathCheck $($lab.SiteName) $parameters -Name phone -Scheduler Cron -LogPath '$logs/phone.jsonl' -ReminderHours 0 -NotifyUri '$topic' -NotifyKind Ntfy
Get-TunnelPathCheck | Format-Table | Out-String -Width 300
Get-TunnelPathCheck web | ConvertTo-Json -Depth 5
"MODE=`$(stat -c '%a' /etc/hometunnel/checks/web.json)"
Stop-Transcript | Out-Null
"@
        $checks = Join-Path $TestDrive 'checks'
        $null = New-Item -ItemType Directory -Force $checks
        Copy-Item "$($reg.Scratch)/etc-up/hometunnel/checks/*" $checks
        $pwsh = (@(Get-PwshCommand) | ForEach-Object { "'$_'" }) -join ' '
        function Invoke-Check([string] $Name) {
            # As cron runs it: sh -c with the command, stdout thrown away.
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $err = sh -c "$pwsh -NoProfile -NonInteractive -File '$checks/$Name.ps1' >/dev/null" 2>&1 | Out-String
            [pscustomobject]@{ Exit = $LASTEXITCODE; Seconds = $clock.Elapsed.TotalSeconds; Stderr = $err }
        }
        # Why a run did not pass: its last verdict in the log (status, failing hop, remedy).
        function Get-LastVerdict([string] $Name) { Get-Content "$logs/$Name.jsonl" -ErrorAction Ignore | ConvertFrom-Json | Where-Object { $_.PSObject.Properties['Status'] } | Select-Object -Last 1 | ConvertTo-Json -Depth 4 -Compress }
        function Get-Received { if (Test-Path $received) { @(Get-Content $received | ConvertFrom-Json) } else { @() } }
        function Get-Hooks { @(Get-Received | Where-Object path -Like '/hook/*' | ForEach-Object { $_.body | ConvertFrom-Json }) }
        function Get-Topic { @(Get-Received | Where-Object path -Like '/topic-*') }
        function Get-Pings { @(Get-Received | Where-Object path -Like '/ping/*' | ForEach-Object path) }
        function Set-HomeService([bool] $Running) {
            $ns = $lab.Hosts.home.Namespace
            $pids = @(ip netns pids $ns | Where-Object { (Get-Content -Raw "/proc/$_/cmdline" -ErrorAction Ignore) -match 'HomeService\.ps1' })
            if (-not $Running) {
                $pids | ForEach-Object { Stop-Process -Id $_ -Force }
                Wait-LabCondition { -not ((Invoke-LabHost $lab home ss -Hltn 'sport = :3000') -match 'LISTEN') } 'the home service to stop' 20
            }
            elseif ($pids.Count -eq 0) {
                $null = Start-LabProcess $lab home 'service' @($lab.PwshPath, '-NoLogo', '-NoProfile', '-File', "$RepoRoot/tests/Lab/HomeService.ps1", '-Port', '3000')
                Wait-LabCondition { (Invoke-LabHost $lab home ss -Hltn 'sport = :3000') -match 'LISTEN' } 'the home service' 60
            }
        }
    }
    AfterAll {
        Set-HomeService $true
        Assert-LabInvariant $lab $script:invariantBefore
    }

    It 'registers with the tokens only in the 0600 data file: not in -WhatIf, verbose, the result, JSON or Get-TunnelPathCheck' {
        $reg.Output | Should -Match '(?m)^MODE=600'
        $reg.Output | Should -Match 'Webhook http://203\.0\.113\.\d+:8090/…'
        $reg.Output | Should -Match 'Healthchecks http://203\.0\.113\.\d+:8090/…'
        $reg.Output | Should -Match 'Ntfy http://203\.0\.113\.\d+:8090/…'
        $shown = $reg.Output + (Get-Content -Raw "$TestDrive/register-transcript.txt")
        foreach ($t in $tokens) { $shown | Should -Not -Match $t }
        Get-Content -Raw "$checks/web.json" | Should -Match 'tok-web-71c3' -Because 'the data file is where the token lives'
    }

    It 'healthy: the webhook and the topic hear nothing, healthchecks gets its ping' {
        (Invoke-Check web).Exit | Should -Be 0 -Because (Get-LastVerdict web)
        (Invoke-Check phone).Exit | Should -Be 0 -Because (Get-LastVerdict phone)
        Get-Hooks | Should -HaveCount 0
        Get-Topic | Should -HaveCount 0
        Get-Pings | Should -Be @('/ping/5a8f2c1e-aaaa-bbbb-cccc-71c3deadbeef')
    }

    It 'home service stopped: exactly one Down naming the HomeService hop; still stopped: nothing more' {
        Set-HomeService $false
        (Invoke-Check web).Exit | Should -Be 1
        (Invoke-Check phone).Exit | Should -Be 1
        $hooks = Get-Hooks
        $hooks | Should -HaveCount 1
        $hooks[0].event | Should -Be 'Down'
        $hooks[0].failedHop | Should -Be 'HomeService'
        $hooks[0].serverName | Should -Be $lab.SiteName
        $hooks[0].remedy | Should -Not -BeNullOrEmpty
        (Get-Topic)[0].title | Should -Be "$($lab.SiteName) is down"
        (Get-Topic)[0].priority | Should -Be 'urgent'
        (Get-Pings)[-1] | Should -Be '/ping/5a8f2c1e-aaaa-bbbb-cccc-71c3deadbeef/fail'
        (Invoke-Check web).Exit | Should -Be 1
        (Invoke-Check phone).Exit | Should -Be 1
        Get-Hooks | Should -HaveCount 1 -Because 'no change, and the reminder''s interval has not passed'
        Get-Topic | Should -HaveCount 1
    }

    It 'still stopped after the reminder interval: one reminder (the ntfy check, with none set, stays quiet)' {
        # An hour is too long to wait for: the check's reminder becomes two seconds (as a new registration would
        # set it), and the run comes once those have passed since the Down.
        $data = Get-Content -Raw "$checks/web.json" | ConvertFrom-Json -AsHashtable
        $data.ReminderHours = 2 / 3600
        $data | ConvertTo-Json -Depth 5 | Set-Content -LiteralPath "$checks/web.json"
        $downAt = [DateTimeOffset](Get-Content "$logs/web.jsonl" | ConvertFrom-Json | Where-Object { $_.Type -eq 'Notify' -and $_.Event -eq 'Down' } | Select-Object -First 1).Time
        Wait-LabCondition { [DateTimeOffset]::UtcNow -gt $downAt.AddSeconds(2) } 'the reminder interval' 30
        $null = Invoke-Check web
        $data.ReminderHours = 1
        $data | ConvertTo-Json -Depth 5 | Set-Content -LiteralPath "$checks/web.json"
        $null = Invoke-Check phone
        (Get-Hooks).event | Should -Be @('Down', 'Reminder')
        Get-Topic | Should -HaveCount 1
    }

    It 'started again: one recovery each' {
        Set-HomeService $true
        (Invoke-Check web).Exit | Should -Be 0 -Because (Get-LastVerdict web)
        (Invoke-Check phone).Exit | Should -Be 0 -Because (Get-LastVerdict phone)
        (Get-Hooks).event | Should -Be @('Down', 'Reminder', 'Recovered')
        (Get-Topic).title | Should -Be @("$($lab.SiteName) is down", "$($lab.SiteName) is back")
        (Get-Pings)[-1] | Should -Be '/ping/5a8f2c1e-aaaa-bbbb-cccc-71c3deadbeef'
    }

    It 'a slow receiver: the run still ends in bounded time, logs the failed delivery, and the next run tells it again' {
        Set-Content -LiteralPath "$received.slow" -Value 'slow'
        Set-HomeService $false
        try {
            $run = Invoke-Check phone
            $run.Exit | Should -Be 1
            $run.Seconds | Should -BeLessThan 60 -Because 'deliveries are bounded (5 s per attempt, 3 attempts, 25 s in all)'
            $line = Get-Content "$logs/phone.jsonl" | ConvertFrom-Json | Where-Object Type -EQ 'Notify' | Select-Object -Last 1
            $line.Delivered | Should -BeFalse
            $line.Event | Should -Be 'Down'
            $line.Attempts | Should -Be 3
            $line.Target | Should -Match '/…$'
        }
        finally { Remove-Item "$received.slow" }
        $null = Invoke-Check phone
        (Get-Topic).title[-1] | Should -Be "$($lab.SiteName) is down" -Because 'the notice that did not get through is sent on the next run'
    }

    It 'a receiver that is down: the run ends, and the failure is logged' {
        Stop-Process -Id $receiver.Id -Force
        Set-HomeService $true
        $run = Invoke-Check phone
        $run.Exit | Should -Be 0 -Because (Get-LastVerdict phone)
        $run.Seconds | Should -BeLessThan 60
        $line = Get-Content "$logs/phone.jsonl" | ConvertFrom-Json | Where-Object Type -EQ 'Notify' | Select-Object -Last 1
        $line.Delivered | Should -BeFalse
        $line.Event | Should -Be 'Recovered'
        $line.Error | Should -Not -BeNullOrEmpty
    }

    It 'writes the metrics file, and no token in the log, the state or the metrics' {
        $text = Get-Content -Raw $metrics
        $text | Should -Match "(?m)^hometunnel_path_status\{check=`"web`",server_name=`"$([regex]::Escape($lab.SiteName))`"\} 0$"
        $text | Should -Match '(?m)^hometunnel_handshake_age_seconds\{check="web",server_name="[^"]+"\} [0-9.]+$'
        $text | Should -Match '(?m)^hometunnel_hop_status\{check="web",server_name="[^"]+",hop="HomeService"\} 0$'
        foreach ($f in (Get-ChildItem -Recurse -File $logs, (Split-Path $metrics))) {
            $body = Get-Content -Raw $f.FullName
            foreach ($t in $tokens) { $body | Should -Not -Match $t -Because "$($f.Name) is not where a token lives" }
        }
        (stat -c '%a' (Join-Path $logs 'web.state.json')) | Should -Be '600'
    }
}

