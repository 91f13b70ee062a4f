# One service through two relays: the home machine keeps a tunnel to each (wg0, wg1), both relays serve the
# site, the zone (bind9, updated by HomeTunnel over RFC 2136) points the name at both, and when one relay dies
# the visitor still gets the site through the other — measured with both records published, and after the dead
# relay's record is withdrawn.
BeforeAll {
    . $PSScriptRoot/Common.ps1
    Import-Module "$RepoRoot/tests/Lab/Lab.psm1" -Force
    $lab = Start-Lab -Prefix httwo -Index 2 -SecondRelay
    $a = $lab.Addresses
    $zone = Start-LabBind $lab
    $key = [pscredential]::new($zone.KeyName, (ConvertTo-SecureString $zone.Secret -AsPlainText -Force))
    $dns = @{ DnsServer = $zone.Server; DnsKey = $key }
    $vps = New-LabSession $lab relay
    $vps2 = New-LabSession $lab relay2
    $box = New-LabSession $lab home
    $name = 'app.ha.example.test'
    $peers = Join-Path $lab.Directory 'peers.json'
    # A visitor's request, once: the status, or '' when nothing came within 5 s.
    function Get-Visit { (Invoke-LabHttp $lab "http://$name/").Status }
    # Requests once a second for $Seconds: how many got no 200 (the gap a visitor sees); the slowest is kept in
    # $script:Slowest (ms), for the report.
    function Measure-Gap([int] $Seconds) {
        $failed = 0
        $script:Slowest = 0
        $clock = [Diagnostics.Stopwatch]::StartNew()
        for ($i = 0; $i -lt $Seconds; $i++) {
            $next = $clock.Elapsed.TotalSeconds + 1
            $one = [Diagnostics.Stopwatch]::StartNew()
            $r = Invoke-LabHttp $lab "http://$name/" -CurlArgument '--max-time', '4'
            $script:Slowest = [Math]::Max($script:Slowest, [int]$one.Elapsed.TotalMilliseconds)
            if ($r.Status -ne '200') { $failed++ }
            $wait = $next - $clock.Elapsed.TotalSeconds
            if ($wait -gt 0) { Start-Sleep -Milliseconds ([int]($wait * 1000)) }   # the visitor's pace, not a readiness wait
        }
        $failed
    }
}
AfterAll {
    Get-PSSession | Remove-PSSession
    if ($lab) { Stop-Lab $lab }
}

Describe 'One service through two relays' -Tag Lab {
    It 'publishes through both, writing the name''s records for both relays: one tunnel each, the same site on each' {
        $published = @(Publish-HomeService $name 3000 -RelaySession $vps, $vps2 -HomeSession $box -PeerFile $peers -DnsServer $zone.Server -DnsKey $key -WaitSeconds 30)
        $published[0].Dns.State | Should -Be 'Created'
        $published[0].Dns.Values | Should -Be (@($a.Relay, $a.Relay2) | Sort-Object)
        (Get-TunnelDnsRecord $name -DnsServer $zone.Server).Owned | Should -BeTrue
        $published | Should -HaveCount 2
        $published.Relay | Should -Be @($a.Relay, $a.Relay2)
        $published.InterfaceName | Should -Be @('wg0', 'wg1')
        $published.Status | Should -Be @('Pass', 'Pass')
        # Each relay its own peer file, subnet and keys.
        Test-Path (Join-Path $lab.Directory "peers.$($a.Relay2).json") | Should -BeTrue
        (Import-TunnelPeer (Join-Path $lab.Directory "peers.$($a.Relay2).json") | Where-Object Role -EQ Relay).Address | Should -Be '192.168.5.1/24'
        @(Invoke-LabHost $lab home wg show interfaces) -join ' ' | Should -Match 'wg0' 
        @(Invoke-LabHost $lab home wg show interfaces) -join ' ' | Should -Match 'wg1'
        foreach ($relay in $a.Relay, $a.Relay2) {
            (Invoke-LabHttp $lab "http://$name/" -CurlArgument '--resolve', "$($name):80:$relay").Status | Should -Be '200' -Because "$relay serves the site"
        }
        # Run again: nothing moves on either relay.
        $again = @(Publish-HomeService $name 3000 -RelaySession $vps, $vps2 -HomeSession $box -PeerFile $peers -DnsServer $zone.Server -DnsKey $key)
        $again.Steps | Should -Not -Match ': (Changed|Created)$'
        $again[0].Dns.State | Should -Be 'Unchanged'
    }

    It 'keeps serving when one relay dies: the gap with both records, none once the dead one is withdrawn, and it comes back' {
        (Test-TunnelPath $name -RelaySession $vps2 -HomeSession $box -InterfaceName wg1 -DnsServer $a.Dns).Status | Should -Be 'Pass'
        Measure-Gap 5 | Should -Be 0 -Because 'the control: both relays up'
        # The first relay powered off, as far as the internet can tell: it drops everything.
        Set-LabBlackhole $lab relay -Traffic All
        try {
            $gap = Measure-Gap 20
            Write-Host "  two relays, one dead, both records published: $gap of 20 requests (one a second, 4 s each at most) got no 200; the slowest took $script:Slowest ms"
            $gap | Should -BeLessThan 20 -Because 'the other relay serves the visitors that try it'
            (Test-TunnelPath $name -RelaySession $vps2 -HomeSession $box -InterfaceName wg1 -DnsServer $a.Dns).Status | Should -Be 'Pass' -Because 'the live relay''s own path is whole'
            $withdrawn = Remove-TunnelDnsRecord $name $a.Relay @dns -Confirm:$false
            $withdrawn.Values | Should -Be @($a.Relay2)
            $after = Measure-Gap 10
            Write-Host "  after the dead relay's record was withdrawn: $after of 10 requests got no 200; the slowest took $script:Slowest ms"
            $after | Should -Be 0
        }
        finally { Set-LabBlackhole $lab relay -Off }
        (Set-TunnelDnsRecord $name $a.Relay, $a.Relay2 @dns).State | Should -Be 'Changed'
        # Back: the first relay serves the site again through its own tunnel (its handshake comes with the home's keepalive).
        Wait-LabCondition { (Invoke-LabHttp $lab "http://$name/" -CurlArgument '--resolve', "$($name):80:$($a.Relay)").Status -eq '200' } 'the first relay to serve again' 60
    }

    It 'withdraws a dead relay by a scheduled check''s runs, never the other, and restores it when its path passes again' {
        # The check of the first relay's path, as Register-TunnelPathCheck -FailoverAddress writes it; the lab runs
        # it as its scheduler would (Invoke-TunnelPathCheck -DataPath), once per "interval".
        $keyFile = Join-Path $lab.Directory 'zone.key'
        Set-Content -LiteralPath $keyFile -Value "key `"$($zone.KeyName)`" { algorithm hmac-sha256; secret `"$($zone.Secret)`"; };"
        chmod 600 $keyFile
        $parameters = [System.Collections.Generic.Dictionary[string, object]]::new()
        foreach ($p in ([ordered]@{ RelayHostName = $a.Relay; HomeHostName = $a.HomeMgmt; UserName = 'root'; KeyFilePath = $lab.KeyFile; KnownHostsFile = $lab.KnownHostsFile; DnsServer = $a.Dns; InterfaceName = 'wg0'; TimeoutSeconds = 30 }).GetEnumerator()) {
            # Plain values, as Register-TunnelPathCheck's checked -TestParameter holds them (not PowerShell's wrappers).
            $parameters[$p.Key] = if ($p.Value -is [int]) { [int]$p.Value } else { [string]$p.Value }
        }
        $plan = [HomeTunnel.Scheduling.TunnelPathCheckPlan]@{
            Name = 'app-relay1'; ServerNames = [string[]]@($name); LogPath = (Join-Path $lab.Directory 'check/app-relay1.jsonl'); ModulePath = $ModulePath
            ScriptPath = (Join-Path $lab.Directory 'check/app-relay1.ps1'); Parameters = $parameters
            Failover = [HomeTunnel.Scheduling.CheckFailover]@{ Address = $a.Relay; DnsServer = $zone.Server; KeyFile = $keyFile; After = 2; RestoreAfter = 1 }
        }
        $dataPath = Join-Path $lab.Directory 'app-relay1.json'
        Set-Content -LiteralPath $dataPath -Value $plan.Data()
        # (30 s per host call: on a busy machine a new session and agent call to the relay take more than 5 s.)
        # The first relay came back from the last test a moment ago: wait until its path works (asked the way the
        # check asks, but not by the check, whose failed runs would count), then the control run.
        $asked = @{}; foreach ($k in $parameters.Keys) { $asked[$k] = $parameters[$k] }
        # Three passes in a row: just back, the path can pass once and fail the next moment (a full run saw it).
        $passes = @{ N = 0 }
        Wait-LabCondition { if ((Test-TunnelPath $name @asked -SkipHop Dns).Status -ne 'Fail') { $passes.N++ } else { $passes.N = 0 }; $passes.N -ge 3 } 'the first relay''s path to work again, steadily' 120
        # A passing run, for failover, is any verdict but Fail (a Warn counts as passing).
        $control = Invoke-TunnelPathCheck -DataPath $dataPath
        $control.Status | Should -Not -Be 'Fail' -Because "the control: the first relay's path works ($($control | Out-String))"
        Write-Host "  the first relay's check: $($control.Status) $($control.FailedHop) $($control.Remedy)"
        Set-LabBlackhole $lab relay -Traffic All
        try {
            (Invoke-TunnelPathCheck -DataPath $dataPath).Status | Should -Be 'Fail'
            (Get-TunnelDnsRecord $name -DnsServer $zone.Server).Values | Should -Contain $a.Relay -Because 'one failed run is not enough'
            (Invoke-TunnelPathCheck -DataPath $dataPath).Status | Should -Be 'Fail'
            (Get-TunnelDnsRecord $name -DnsServer $zone.Server).Values | Should -Be @($a.Relay2) -Because 'two failed runs withdraw it'
            Measure-Gap 5 | Should -Be 0 -Because 'visitors go to the live relay only'
        }
        finally { Set-LabBlackhole $lab relay -Off }
        Wait-LabCondition { (Invoke-TunnelPathCheck -DataPath $dataPath).Status -ne 'Fail' } 'the first relay''s check to pass again' 90
        (Get-TunnelDnsRecord $name -DnsServer $zone.Server).Values | Should -Be (@($a.Relay, $a.Relay2) | Sort-Object) -Because 'a passing run restores it'
        $failover = @(Get-Content $plan.LogPath | ConvertFrom-Json | Where-Object Type -EQ 'Failover')
        $failover.Action | Should -Be @('Withdraw', 'Restore')
    }

    It 'unpublishes from both relays in one call, and the name''s records go with Remove-TunnelDnsRecord' {
        $results = @(Unpublish-HomeService $name -RelaySession $vps, $vps2 -HomeSession $box -PeerFile $peers -Confirm:$false)
        $results | Should -Not -BeNullOrEmpty
        foreach ($relay in $a.Relay, $a.Relay2) {
            (Invoke-LabHttp $lab "http://$name/" -CurlArgument '--resolve', "$($name):80:$relay").Body | Should -Not -Match 'hometunnel-lab-home-service' -Because "$relay no longer serves the site"
        }
        @(Invoke-LabHost $lab home wg show interfaces) -join ' ' | Should -Not -Match 'wg[01]'
        (Remove-TunnelDnsRecord $name @dns -Confirm:$false).State | Should -Be 'Removed'
        (Get-TunnelDnsRecord $name -DnsServer $zone.Server).Values | Should -BeNullOrEmpty
    }
}
