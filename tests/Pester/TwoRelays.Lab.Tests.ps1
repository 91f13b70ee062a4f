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
        # The first relay came back from the last test a moment ago: the control is the check's own run, repeated until
        # it passes (a pass ends any run of failures, so the count below starts from zero). Each failed control run is
        # shown: just back, the path has passed once and failed the next moment in full runs.
        $seen = @{}
        Wait-LabCondition {
            $run = Invoke-TunnelPathCheck -DataPath $dataPath
            $seen.Control = $run
            if ($run.Status -eq 'Fail') { Write-Host "  control run failed: $($run.FailedHop): $(($run.Hops | Where-Object Status -EQ 'Fail' | ForEach-Object { "$($_.Hop) $($_.Detail)" }) -join '; ')" }
            $run.Status -ne 'Fail'
        } 'the first relay''s check to pass (the control)' 120
        $control = $seen.Control
        (Get-TunnelDnsRecord $name -DnsServer $zone.Server).Values | Should -Be (@($a.Relay, $a.Relay2) | Sort-Object) -Because 'the control ends with both relays published'
        $logLines = @(Get-Content $plan.LogPath).Count
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
        $failover = @(Get-Content $plan.LogPath | Select-Object -Skip $logLines | ConvertFrom-Json | Where-Object Type -EQ 'Failover')
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

Describe 'Certificates on both relays by ACME DNS-01' -Tag Lab {
    It 'gets each relay its certificate through the zone (a wildcard too), with the key 0600 and Apache''s, and the TXT records gone after' {
        $secure = 'secure.ha.example.test'
        # The home service's address on the first relay's tunnel, for a site installed by hand beside Publish's.
        $output = @(Publish-HomeService $secure 3000 -RelaySession $vps, $vps2 -HomeSession $box -PeerFile $peers -Https -AcmeChallenge Dns01 @dns -WaitSeconds 0 -Verbose 4>&1)
        $published = @($output | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] })
        $published | Should -HaveCount 2
        ($output | Out-String) + ($published | ConvertTo-Json -Depth 8) | Should -Not -Match ([regex]::Escape($zone.Secret)) -Because 'the TSIG key appears in no stream'
        # A wildcard name on the first relay: only DNS-01 can prove it.
        $home1 = ((Import-TunnelPeer $peers | Where-Object Role -EQ Home).Address -split "/")[0]
        $wild = New-ApacheProxySite wild.ha.example.test -ServerAlias '*.wild.ha.example.test' -Backend "http://$($home1):3000/" -Https -AcmeChallenge Dns01 -DnsServer $zone.Server -Zone $zone.Zone -DnsKey $key
        (Install-ApacheProxySite $wild -Session $vps -Confirm:$false).State | Should -Be 'Created'

        foreach ($h in 'relay', 'relay2') {
            $dir = "$($lab.Hosts[$h].Directory)/etc-apache2/hometunnel"
            (stat -c '%a %U' "$dir/$secure.dns01.key") | Should -Be '600 www-data' -Because "mod_md runs the hook as Apache's user ($h)"
            (stat -c '%a %U' "$dir/acme-dns01") | Should -Be '755 root'
            Get-Content "$dir/$secure.dns01.key" -Raw | Should -Match '^# Managed by HomeTunnel'
            $log = "$($lab.Hosts[$h].Directory)/log-apache2/error.log"
            foreach ($domain in @($secure) + @(if ($h -eq 'relay') { 'wild.ha.example.test' })) {
                Wait-LabCondition { (Get-Content $log -Raw -ErrorAction Ignore) -match "AH10059: The Managed Domain $([regex]::Escape($domain)) " } "mod_md on $h to obtain $domain's certificate" 120
            }
            # mod_md activates a new certificate on the next graceful restart (as for HTTP-01).
            Invoke-LabHost $lab $h apache2ctl graceful 2>&1 | Out-Null
        }
        $roots = Join-Path $lab.Directory 'pebble-roots.pem'
        Invoke-LabHost $lab client curl -s --max-time 5 --cacert $lab.AcmeCaFile -o $roots "https://$($a.Dns):15000/roots/0"
        $LASTEXITCODE | Should -Be 0
        foreach ($relay in $a.Relay, $a.Relay2) {
            Wait-LabCondition {
                (Invoke-LabHttp $lab "https://$secure/" -CurlArgument '--cacert', $roots, '--resolve', "$($secure):443:$relay").Status -eq '200'
            } "$relay to serve $secure over HTTPS with its new certificate" 30
            $issuer = Invoke-LabHost $lab client bash -c "echo | openssl s_client -connect $($relay):443 -servername $secure 2>/dev/null | openssl x509 -noout -issuer"
            "$issuer" | Should -Match 'Pebble'
        }
        Wait-LabCondition {
            (Invoke-LabHttp $lab 'https://any.wild.ha.example.test/' -CurlArgument '--cacert', $roots, '--resolve', "any.wild.ha.example.test:443:$($a.Relay)").Status -eq '200'
        } 'the wildcard name to be served over HTTPS' 30
        # The challenges' TXT records are gone again; the owner's own records stayed.
        foreach ($n in $secure, 'wild.ha.example.test') {
            @(Invoke-LabHost $lab inet dig +short +time=2 +tries=1 "@$($zone.Server)" "_acme-challenge.$n" TXT) -join '' | Should -BeNullOrEmpty
        }
        (Invoke-LabHost $lab inet dig +short +time=2 +tries=1 "@$($zone.Server)" "note.$($zone.Zone)" TXT) | Should -Be '"the owner''s own record"'

        # Read back from the relay and published again: nothing moves (the key compared by its digest).
        $back = Get-ApacheProxySite -Session $vps | Where-Object ServerName -EQ $secure
        $back.AcmeChallenge | Should -Be 'Dns01'
        $back.AcmeDnsZone | Should -Be $zone.Zone
        $again = @(Publish-HomeService $secure 3000 -RelaySession $vps, $vps2 -HomeSession $box -PeerFile $peers -Https -AcmeChallenge Dns01 @dns -WaitSeconds 0)
        $again.Steps | Should -Not -Match ': (Changed|Created)$'

        # Gone with the site: the key files (HomeTunnel's); the hook stays for the other DNS-01 site.
        (Uninstall-ApacheProxySite wild.ha.example.test -Session $vps -Confirm:$false).State | Should -Be 'Removed'
        Test-Path "$($lab.Hosts.relay.Directory)/etc-apache2/hometunnel/wild.ha.example.test.dns01.key" | Should -BeFalse
        Unpublish-HomeService $secure -RelaySession $vps, $vps2 -HomeSession $box -PeerFile $peers -Confirm:$false | Out-Null
        foreach ($h in 'relay', 'relay2') {
            Test-Path "$($lab.Hosts[$h].Directory)/etc-apache2/hometunnel/$secure.dns01.key" | Should -BeFalse
            Test-Path "$($lab.Hosts[$h].Directory)/etc-apache2/hometunnel/acme-dns01" | Should -BeTrue -Because 'the hook is left for other DNS-01 sites'
        }
        (Remove-TunnelDnsRecord $secure @dns -Confirm:$false).State | Should -Be 'Removed'
    }
}
