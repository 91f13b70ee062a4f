# Faults on real lab hosts, each followed by a check that nothing was lost and that a re-run converges.
BeforeDiscovery { $script:CutDelays = @(100, 400, 900, 1600) | ForEach-Object { @{ Delay = $_ } } }
BeforeAll {
    . $PSScriptRoot/LabSeed.ps1 -Prefix htflt -Index 15 -Install
    $relayConf = "$($lab.Hosts.relay.Directory)/etc-wireguard/wg0.conf"
    function Get-LivePeers { @(Invoke-LabHost $lab relay wg show wg0 peers | Sort-Object) }
    function Get-FilePeers([string] $Text) { @([regex]::Matches($Text, '(?m)^PublicKey = (\S+)') | ForEach-Object { $_.Groups[1].Value } | Sort-Object) }
    $counter = @{ N = 0 }
    function New-BiggerConfig {
        $counter.N++
        $more = 1..$counter.N | ForEach-Object { New-TunnelPeer -Name "x$_" -Role Home -Address "192.168.4.$(100 + $_)/32" }
        New-WireGuardConfig -For $relayPeer -Peer (@($homePeer) + $more)
    }
}
AfterAll {
    Get-PSSession | Remove-PSSession
    if ($lab) { Stop-Lab $lab }
}

Describe 'An SSH session cut at each step of an apply' -Tag Lab {
    # The relay's invariants after every test, whatever its own assertions said (tests/Lab: Assert-LabInvariant).
    BeforeEach { $script:invariantBefore = Get-LabInvariantState $lab }
    AfterEach { Assert-LabInvariant $lab $script:invariantBefore }
    It 'after <Delay> ms leaves the old or the new state, and a re-run converges' -ForEach $CutDelays {
        $config = New-BiggerConfig
        $old = Get-Content -Raw $relayConf
        # Cut exactly this session: the server-side pwsh processes that appear with it on this lab's relay (the
        # other sessions of this test, and every other lab's running beside it, stay up).
        $others = @(Get-LabHostProcessId $lab relay '-sshs')
        $session = New-LabSession $lab relay
        $mine = @(Get-LabHostProcessId $lab relay '-sshs' | Where-Object { $_ -notin $others })
        $mine | Should -Not -BeNullOrEmpty
        $cutter = Start-ThreadJob -ScriptBlock {
            param($pids, $delay)
            Start-Sleep -Milliseconds $delay
            foreach ($p in $pids) { kill -KILL $p 2>$null }
        } -ArgumentList $mine, $Delay
        $null = $config | Install-WireGuardConfig -Session $session -ErrorAction SilentlyContinue
        $cutter | Wait-Job | Remove-Job
        # A worker that took the request finishes it on its own (its .busy file goes with its answer); give it the
        # time it needs. (The worker itself stays, warm, for the next change.)
        $run = Join-Path $lab.Hosts.relay.Directory 'run-hometunnel'
        Wait-LabCondition { -not (Get-ChildItem $run -Filter 'request-*.busy' -ErrorAction Ignore) } 'the worker to finish' 20
        $now = Get-Content -Raw $relayConf
        ($now -ceq $old -or $now -ceq $config.RevealText()) | Should -BeTrue -Because 'the file is the old one or the new one, never a mix'
        Get-LivePeers | Should -Be (Get-FilePeers $now) -Because 'the live peers match the file that is there'
        $fresh = New-LabSession $lab relay
        ($config | Install-WireGuardConfig -Session $fresh).State | Should -BeIn 'Changed', 'Unchanged'
        Get-Content -Raw $relayConf | Should -BeExactly $config.RevealText()
        Get-LivePeers | Should -Be (Get-FilePeers $config.RevealText())
        ($config | Install-WireGuardConfig -Session $fresh).State | Should -Be 'Unchanged'
        Remove-PSSession $fresh
    }
}

Describe 'What cut sessions leave behind' -Tag Lab {
    # The relay's invariants after every test, whatever its own assertions said (tests/Lab: Assert-LabInvariant).
    BeforeEach { $script:invariantBefore = Get-LabInvariantState $lab }
    AfterEach { Assert-LabInvariant $lab $script:invariantBefore }
    It 'is swept by the next call once it is stale; a fresh file is kept' {
        $run = Join-Path $lab.Hosts.relay.Directory 'run-hometunnel'   # the relay's /run/hometunnel
        $null = New-Item -ItemType Directory -Force $run
        $stale = Join-Path $run 'request-stale0000000000000000000000000000.json'
        $fresh = Join-Path $run 'request-fresh0000000000000000000000000000.json'
        Set-Content $stale '{"Secrets": ["not a real key"]}'; Set-Content $fresh '{}'
        touch -d '1 hour ago' $stale
        $null = $relayConfig | Install-WireGuardConfig -Session $vps
        Test-Path $stale | Should -BeFalse
        Test-Path $fresh | Should -BeTrue
        Remove-Item $fresh
    }
}

Describe 'Host faults' -Tag Lab {
    # The relay's invariants after every test, whatever its own assertions said (tests/Lab: Assert-LabInvariant).
    BeforeEach { $script:invariantBefore = Get-LabInvariantState $lab }
    AfterEach { Assert-LabInvariant $lab $script:invariantBefore }
    It 'a ListenPort already taken: wg-quick up fails, the error says so, nothing is left behind' {
        # Something else holds UDP 51899 on the relay (a pwsh with a bound socket; no python needed).
        $holderScript = Join-Path $TestDrive 'hold-port.ps1'
        Set-Content $holderScript '$u = [System.Net.Sockets.UdpClient]::new(51899); Start-Sleep -Seconds 120'
        $holder = Start-Process -PassThru -FilePath nsenter -ArgumentList '-t', $lab.Hosts.relay.AnchorPid, '-n', '--', (Get-LabPwsh), '-NoProfile', '-File', $holderScript
        Wait-LabCondition { (Invoke-LabHost $lab relay ss -Hlun 'sport = :51899') -match '51899' } 'the port to be held' 20
        try {
            $before = Get-LabStateHash $lab relay
            $second = New-TunnelPeer -Name relay2 -Role Relay -Address 10.99.0.1/24 -ListenPort 51899 -Endpoint $a.Relay
            $peer = New-TunnelPeer -Name p -Role Home -Address 10.99.0.2/32
            New-WireGuardConfig -For $second -Peer $peer | Install-WireGuardConfig -Session $vps -InterfaceName wg1 -ErrorAction SilentlyContinue -ErrorVariable e
            $e[0].FullyQualifiedErrorId | Should -BeLike 'WgQuickUpFailed,*'
            $e[0].CategoryInfo.Category | Should -Be 'InvalidOperation'
            $e[0].ErrorDetails.Message | Should -Match 'wg-quick up wg1'
            Test-Path "$($lab.Hosts.relay.Directory)/etc-wireguard/wg1.conf" | Should -BeFalse
            Get-LabStateHash $lab relay | Should -Be $before
            Invoke-LabHost $lab relay wg show wg1 2>$null
            $LASTEXITCODE | Should -Not -Be 0
        }
        finally {
            Stop-Process -Id $holder.Id -Force -ErrorAction Ignore
            foreach ($p in @(Get-LabHostProcessId $lab relay 'hold-port\.ps1')) { kill -9 $p 2>$null }
        }
        (Invoke-LabHttp $lab "http://$($lab.SiteName)/").Body | Should -Match 'hometunnel-lab-home-service'
    }

    It 'two applies at once never interleave: the host ends in one of the two states' {
        $one = New-BiggerConfig
        $two = New-BiggerConfig
        $s1 = New-LabSession $lab relay
        $s2 = New-LabSession $lab relay
        $jobs = @(
            Start-ThreadJob -ScriptBlock { param($c, $s, $m) Import-Module $m; ($c | Install-WireGuardConfig -Session $s).State } -ArgumentList $one, $s1, $ModulePath
            Start-ThreadJob -ScriptBlock { param($c, $s, $m) Import-Module $m; ($c | Install-WireGuardConfig -Session $s).State } -ArgumentList $two, $s2, $ModulePath
        )
        $states = $jobs | Wait-Job | Receive-Job
        $jobs | Remove-Job
        $states | Should -HaveCount 2
        $states | Should -Not -Contain 'Failed'
        $now = Get-Content -Raw $relayConf
        ($now -ceq $one.RevealText() -or $now -ceq $two.RevealText()) | Should -BeTrue
        Get-LivePeers | Should -Be (Get-FilePeers $now)
        Remove-PSSession $s1, $s2
    }

    It 'a disk that fills during the write keeps the old file and leaves no staged file' {
        $anchor = $lab.Hosts.relay.AnchorPid
        $dir = '/etc/wireguard'
        $old = Get-Content -Raw $relayConf
        nsenter -t $anchor -m -- sh -c "cp -a $dir/wg0.conf /tmp/htflt-wg0.conf && mount -t tmpfs -o size=12k,mode=0700 htflt $dir && cp -a /tmp/htflt-wg0.conf $dir/wg0.conf && rm /tmp/htflt-wg0.conf"
        try {
            $big = New-WireGuardConfig -For $relayPeer -Peer (@($homePeer) + (1..200 | ForEach-Object { New-TunnelPeer -Name "big$_" -Role Home -Address "192.168.5.$_/32" }))
            $big.RevealText().Length | Should -BeGreaterThan 16kb
            $big | Install-WireGuardConfig -Session $vps -ErrorAction SilentlyContinue -ErrorVariable e
            $e | Should -Not -BeNullOrEmpty
            $e[0].CategoryInfo.Category | Should -Not -Be 'NotSpecified'
            "$($e[0])" | Should -Match 'space|No space|ENOSPC|disk'
            (nsenter -t $anchor -m -- cat "$dir/wg0.conf" | Out-String) | Should -Be ($old.TrimEnd("`n") + "`n")
            @(nsenter -t $anchor -m -- ls -A $dir) | Should -Be @('wg0.conf') -Because 'no staged file may be left behind'
            Get-LivePeers | Should -Be (Get-FilePeers $old)
        }
        finally { nsenter -t $anchor -m -- umount $dir }
        Get-Content -Raw $relayConf | Should -BeExactly $old
    }

    It 'the home side''s wireguard-go killed: a re-run brings the tunnel back' {
        Stop-LabWireGuard $lab home | Should -BeGreaterThan 0
        $r = $homeConfig | Install-WireGuardConfig -Session $box
        $r.Actions | Should -Contain 'wg-quick up wg0'
        Wait-LabCondition { (Invoke-LabHttp $lab "http://$($lab.SiteName)/").Status -eq '200' } 'the site after the restart' 30
        ($homeConfig | Install-WireGuardConfig -Session $box).State | Should -Be 'Unchanged'
    }

    It 'the NATs forgetting their mappings: the tunnel recovers within one keepalive' {
        $null = New-WireGuardConfig -For $relayPeer -Peer $homePeer | Install-WireGuardConfig -Session $vps
        Wait-LabCondition { (Invoke-LabHttp $lab "http://$($lab.SiteName)/").Status -eq '200' } 'the site' 30
        Invoke-LabHost $lab carrier conntrack -F 2>&1 | Out-Null
        Invoke-LabHost $lab room conntrack -F 2>&1 | Out-Null
        $clock = [Diagnostics.Stopwatch]::StartNew()
        Wait-LabCondition { (Invoke-LabHttp $lab "http://$($lab.SiteName)/").Status -eq '200' } 'the site after the NATs forgot' 40
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 32 -Because 'one keepalive interval (25 s) and a request timeout'
        $status = Get-TunnelStatus -Session $vps
        $status.HandshakeAge.TotalSeconds | Should -BeLessThan 180
    }
}

Describe 'The warm worker' -Tag Lab {
    # The relay's invariants after every test, whatever its own assertions said (tests/Lab: Assert-LabInvariant).
    BeforeEach { $script:invariantBefore = Get-LabInvariantState $lab }
    AfterEach { Assert-LabInvariant $lab $script:invariantBefore }
    BeforeAll {
        $script:run = Join-Path $lab.Hosts.relay.Directory 'run-hometunnel'   # the relay's /run/hometunnel
        function Get-WorkerPid { @(Get-LabHostProcessId $lab relay ' -Serve [0-9a-f]{16}') }
    }

    It 'killed between two changes: the next change starts another worker and applies' {
        $one = New-BiggerConfig
        ($one | Install-WireGuardConfig -Session $vps).State | Should -Be 'Changed'
        $warm = Get-WorkerPid
        $warm | Should -Not -BeNullOrEmpty -Because 'the worker stays for the next change'
        # Its own process settings: no tier-up re-compiling (a core-second after a cold start) and no telemetry.
        $environment = @([IO.File]::ReadAllText("/proc/$($warm[0])/environ") -split "`0")
        $environment | Should -Contain 'DOTNET_TC_CallCounting=0'
        $environment | Should -Contain 'POWERSHELL_TELEMETRY_OPTOUT=1'
        foreach ($p in $warm) { kill -KILL $p }
        Wait-LabCondition { -not (Get-WorkerPid | Where-Object { $_ -in $warm }) } 'the worker to be gone' 10
        $two = New-BiggerConfig
        ($two | Install-WireGuardConfig -Session $vps).State | Should -Be 'Changed'
        Get-Content -Raw $relayConf | Should -BeExactly $two.RevealText()
        Get-LivePeers | Should -Be (Get-FilePeers $two.RevealText())
        @(Get-WorkerPid | Where-Object { $_ -notin $warm }) | Should -Not -BeNullOrEmpty -Because 'a new worker served it'
    }

    It 'killed while it holds a request: the call says WorkerStopped at once, the host is as it was, a re-run applies' {
        $null = New-BiggerConfig | Install-WireGuardConfig -Session $vps   # a worker is warm
        $old = Get-Content -Raw $relayConf
        $next = New-BiggerConfig
        # Another apply holds the host lock, so the worker takes the request and waits behind it.
        $lock = "$($lab.Hosts.relay.Directory)/run-lock/hometunnel.lock"
        $holder = Start-Process flock -ArgumentList '-o', $lock, 'sleep', '300' -PassThru
        $lab.Pids.Add($holder.Id)
        try {
            Wait-LabCondition { flock -n $lock true; $LASTEXITCODE -ne 0 } 'the lock holder' 10
            $session = New-LabSession $lab relay
            $job = Start-ThreadJob -ScriptBlock { param($c, $s, $m) Import-Module $m; $c | Install-WireGuardConfig -Session $s -ErrorAction SilentlyContinue -ErrorVariable e; $e } -ArgumentList $next, $session, $ModulePath
            Wait-LabCondition { Get-ChildItem $run -Filter 'request-*.busy' -ErrorAction Ignore } 'the worker to take the request' 60
            foreach ($p in Get-WorkerPid) { kill -KILL $p }
            $errors = @($job | Wait-Job -Timeout 60 | Receive-Job)
            $job | Remove-Job -Force
        }
        finally { $holder.Kill($true) }
        $errors | Should -HaveCount 1
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'WorkerStopped,*'
        $errors[0].CategoryInfo.Category | Should -Be 'InvalidOperation'
        Get-Content -Raw $relayConf | Should -BeExactly $old
        Get-LivePeers | Should -Be (Get-FilePeers $old)
        ($next | Install-WireGuardConfig -Session $session).State | Should -Be 'Changed'
        Get-Content -Raw $relayConf | Should -BeExactly $next.RevealText()
        Remove-PSSession $session
    }

    It 'a request whose session is gone before a worker took it is deleted, never applied' {
        $null = New-BiggerConfig | Install-WireGuardConfig -Session $vps   # a worker is warm
        $old = Get-Content -Raw $relayConf
        $text = [HomeTunnel.Hosts.AgentRequest]::AgentText
        $hash = [Convert]::ToHexString([Security.Cryptography.SHA256]::HashData([Text.Encoding]::UTF8.GetBytes($text))).Substring(0, 16).ToLowerInvariant()
        # What a cut session leaves when nobody took its request yet: the request, with nobody holding it.
        $orphan = Join-Path $run "request-$hash-$('0' * 32).json"
        $request = @{ Version = [HomeTunnel.Hosts.AgentRequest]::ProtocolVersion; Kind = 'WireGuard'; Name = 'wg0'; Plan = @{ Remove = $true }; Fingerprint = 'x'; TimeoutSeconds = 30; WorkerIdleSeconds = 30 }
        # (Written beside it and renamed into place, as a session does: the worker looks only at whole requests.)
        [IO.File]::WriteAllText("$orphan.part", ($request | ConvertTo-Json -Compress))
        [IO.File]::Move("$orphan.part", $orphan)
        # The next change wakes the worker, which looks at every request for its agent.
        ($(New-BiggerConfig) | Install-WireGuardConfig -Session $vps).State | Should -Be 'Changed'
        Wait-LabCondition { -not (Test-Path $orphan) } 'the orphan request to be deleted' 10
        Test-Path ($orphan -replace '\.json$', '.result') | Should -BeFalse -Because 'it was never applied'
        Get-Content -Raw $relayConf | Should -Not -BeExactly $old
    }
}
