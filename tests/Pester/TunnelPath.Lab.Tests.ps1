# Test-TunnelPath and Get-TunnelStatus against the real lab: a healthy path, then one fault at a time,
# each reported by the right first failing hop with its own remedy, and each lifted again.
BeforeAll {
    . $PSScriptRoot/LabSeed.ps1 -Prefix htpath -Index 6 -Install

    function Test-Path2 {
        # The check as a scheduled task would run it, with the lab's resolver.
        Test-TunnelPath -ServerName $lab.SiteName -RelaySession $vps -HomeSession $box -DnsServer $a.Dns @args
    }
    function Wait-Healthy {
        Wait-LabCondition { (Test-Path2 -TimeoutSeconds 10).Status -eq 'Pass' } 'the path to pass again' 60
    }
}
AfterAll {
    Get-PSSession | Remove-PSSession
    if ($lab) { Stop-Lab $lab }
}

Describe 'Get-TunnelStatus' -Tag Lab {
    # The relay's invariants after every test, whatever its own assertions said (tests/Lab: Assert-LabInvariant).
    BeforeEach { $script:invariantBefore = Get-LabInvariantState $lab }
    AfterEach { Assert-LabInvariant $lab $script:invariantBefore }

    It 'lists the relay''s peer with its name, handshake and bytes, and no private key' {
        $s = @(Get-TunnelStatus -Session $vps)
        $s | Should -HaveCount 1
        $s[0].Name | Should -Be 'home'
        $s[0].PublicKey | Should -Be $homePeer.PublicKey
        $s[0].InterfacePublicKey | Should -Be $relayPeer.PublicKey
        $s[0].ListenPort | Should -Be 51820
        $s[0].AllowedIPs | Should -Be @('192.168.4.2/32')
        $s[0].LatestHandshake | Should -Not -BeNullOrEmpty
        $s[0].HandshakeAge.TotalSeconds | Should -BeLessThan 180
        $s[0].ReceivedBytes | Should -BeGreaterThan 0
        $json = $s | ConvertTo-Json -Depth 5
        $json | Should -Not -Match ([regex]::Escape($relayPeer.PrivateKey.RevealBase64()))
        ($s | Format-Table | Out-String) | Should -Match 'home'
    }

    It 'reads both hosts at once and names each' {
        $all = @(Get-TunnelStatus -Session $vps, $box)
        $all.Host | Sort-Object | Should -Be (@($a.HomeMgmt, $a.Relay) | Sort-Object)
        ($all | Where-Object Host -EQ $a.HomeMgmt).Endpoint | Should -Be "$($a.Relay):51820"
        ($all | Where-Object Host -EQ $a.HomeMgmt).PersistentKeepalive | Should -Be 25
    }

    It 'says "never" for a peer that never shook hands, and errors for a missing interface' {
        $ghost = New-TunnelPeer -Name ghost -Role Home -Address 192.168.4.9/32
        $null = New-WireGuardConfig -For $relayPeer -Peer $homePeer, $ghost | Install-WireGuardConfig -Session $vps
        try {
            $g = Get-TunnelStatus -Session $vps | Where-Object Name -EQ ghost
            $g.HandshakeAgeText | Should -Be 'never'
            $g.LatestHandshake | Should -BeNullOrEmpty
        }
        finally { $null = New-WireGuardConfig -For $relayPeer -Peer $homePeer | Install-WireGuardConfig -Session $vps }
        Get-TunnelStatus -Session $vps -InterfaceName wg7 -ErrorAction SilentlyContinue -ErrorVariable e
        $e[0].FullyQualifiedErrorId | Should -BeLike 'InterfaceNotFound*'
        $e[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }
}

Describe 'Test-TunnelPath on a healthy path' -Tag Lab {
    # The relay's invariants after every test, whatever its own assertions said (tests/Lab: Assert-LabInvariant).
    BeforeEach { $script:invariantBefore = Get-LabInvariantState $lab }
    AfterEach { Assert-LabInvariant $lab $script:invariantBefore }

    It 'passes every hop (the certificate is skipped for an HTTP site)' {
        $r = Test-Path2
        $r.Status | Should -Be 'Pass' -Because ($r.ToTable())
        $r.FailedHop | Should -BeNullOrEmpty
        @($r.Hops.Hop) | Should -Be @('Dns', 'Relay', 'Certificate', 'Apache', 'Tunnel', 'HomeService', 'EndToEnd')
        ($r.Hops | Where-Object Hop -NE 'Certificate').Status | Sort-Object -Unique | Should -Be 'Pass'
        ($r.Hops | Where-Object Hop -EQ 'EndToEnd').Detail | Should -Match 'X-Forwarded-For reached the app'
        ($r.Hops | Where-Object Hop -EQ 'Tunnel').Detail | Should -Match 'home sees the relay'
    }

    It 'answers $true with -Quiet, shows a compact table and converts to complete JSON' {
        Test-Path2 -Quiet | Should -BeTrue
        $text = Test-Path2 | Out-String
        $text | Should -Match "$([regex]::Escape($lab.SiteName)): Pass"
        $text | Should -Match '(?m)^HomeService\s+Pass'
        $json = Test-Path2 | ConvertTo-Json -EnumsAsStrings | ConvertFrom-Json
        $json.Status | Should -Be 'Pass'
        $json.Hops | Should -HaveCount 7
        $json.Hops[0].Detail | Should -Match ([regex]::Escape($a.Relay))
        $json.Hops[0].Hop | Should -Be 'Dns'
    }

    It 'takes about as long as its slowest hop, not their sum' {
        $r = Test-Path2
        $slowest = ($r.Hops.Duration | Measure-Object -Property TotalMilliseconds -Maximum).Maximum
        $sum = ($r.Hops.Duration | Measure-Object -Property TotalMilliseconds -Sum).Sum
        $r.Duration.TotalMilliseconds | Should -BeLessThan $sum
        $r.Duration.TotalMilliseconds | Should -BeLessThan ($slowest + 500)
    }

    It 'opens its own sessions from host names, with strict host keys' {
        $r = Test-TunnelPath $lab.SiteName -RelayHostName $a.Relay -HomeHostName $a.HomeMgmt -UserName root -KeyFilePath $lab.KeyFile -KnownHostsFile $lab.KnownHostsFile -DnsServer $a.Dns
        $r.Status | Should -Be 'Pass' -Because ($r.ToTable())
    }

    It 'fails fast, with the enrolment fix, when the relay''s host key is unknown — and never prompts' {
        $empty = Join-Path $TestDrive 'known_hosts'
        Set-Content $empty ''
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $r = Test-TunnelPath $lab.SiteName -RelayHostName $a.Relay -UserName root -KeyFilePath $lab.KeyFile -KnownHostsFile $empty -DnsServer $a.Dns
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 10
        $r.FailedHop | Should -Be 'Apache'
        ($r.Hops | Where-Object Hop -EQ 'Apache').Detail | Should -Match 'No host key'
        $r.Remedy | Should -Match 'ssh-keyscan'
    }

    It 'calls a relay that presents another host key HostKeyChanged, from the keys, and never "may be down"' {
        # The relay's address answering with another key than the one trusted: known_hosts holds a key the relay never had.
        $mitm = Join-Path $TestDrive 'known_hosts_mitm'
        $other = Join-Path $TestDrive 'other_key'
        ssh-keygen -q -t ed25519 -N '' -f $other | Out-Null
        Set-Content $mitm "$($a.Relay) $((Get-Content "$other.pub").Split(' ')[0..1] -join ' ')"
        $before = Get-Content -Raw $mitm
        $r = Test-TunnelPath $lab.SiteName -RelayHostName $a.Relay -UserName root -KeyFilePath $lab.KeyFile -KnownHostsFile $mitm -DnsServer $a.Dns -TimeoutSeconds 20
        $r.Status | Should -Be 'Fail'
        ($r.Hops | Where-Object Hop -EQ 'Apache').Detail | Should -Match 'HostKeyChanged|none of which is the one known_hosts trusts'
        $r.Remedy | Should -Match 'not the one you trusted'
        $r.Remedy | Should -Not -Match 'may be down'
        $e = Get-ErrorRecord { Initialize-TunnelHost $a.Relay -UserName root -KeyFilePath $lab.KeyFile -Role Relay -KnownHostsPath $mitm -ExpectedHostKeyFingerprint (ssh-keygen -lf "$($lab.Hosts.relay.Directory)/ssh_host_ed25519_key.pub").Split(' ')[1] }
        Assert-HomeTunnelError $e 'HostKeyChanged' 'SecurityError' $a.Relay
        Get-Content -Raw $mitm | Should -Be $before
        # Install-* and Publish-HomeService take the user's own PSSession: with the same known_hosts, ssh refuses the
        # host before a session exists, so nothing of HomeTunnel's is ever sent to a relay that presents another key.
        $options = Get-LabSshOption $lab
        $options.UserKnownHostsFile = $mitm
        { New-PSSession -HostName $a.Relay -UserName root -KeyFilePath $lab.KeyFile -Options $options -ErrorAction Stop } | Should -Throw
        Get-Content -Raw $mitm | Should -Be $before
    }

    It 'holds -ExpectedHostKeyFingerprint to the key the host presents, even when known_hosts already trusts one' {
        $e = Get-ErrorRecord { Initialize-TunnelHost $a.Relay -UserName root -KeyFilePath $lab.KeyFile -Role Relay -KnownHostsPath $lab.KnownHostsFile -ExpectedHostKeyFingerprint 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' -WhatIf }
        Assert-HomeTunnelError $e 'HostKeyMismatch' 'SecurityError' $a.Relay
    }
}

Describe 'Test-TunnelPath names the hop that broke' -Tag Lab {
    # The relay's invariants after every test, whatever its own assertions said (tests/Lab: Assert-LabInvariant).
    BeforeEach { $script:invariantBefore = Get-LabInvariantState $lab }
    AfterEach { Assert-LabInvariant $lab $script:invariantBefore }

    It 'DNS pointing elsewhere fails at Dns' {
        $records = [ordered]@{} + $lab.DnsRecords
        try {
            $moved = [ordered]@{} + $records
            $moved[$lab.SiteName] = $a.Client
            Set-LabDnsRecord $lab -Records $moved
            $r = Test-Path2
            $r.FailedHop | Should -Be 'Dns' -Because ($r.ToTable())
            ($r.Hops | Where-Object Hop -EQ 'Dns').Detail | Should -Match "resolves to $([regex]::Escape($a.Client)), not the relay"
            $r.Remedy | Should -Match "A record for $([regex]::Escape($lab.SiteName)) at $([regex]::Escape($a.Relay))"
        }
        finally { Set-LabDnsRecord $lab -Records $records }
        Wait-Healthy
    }

    It 'Apache stopped fails at Relay, and the remedy says to start Apache' {
        try {
            Invoke-LabHost $lab relay apache2ctl stop | Out-Null
            Wait-LabCondition { -not (Test-LabTcp $a.Relay 80) } 'Apache to stop'
            $r = Test-Path2
            $r.FailedHop | Should -Be 'Relay' -Because ($r.ToTable())
            $r.Remedy | Should -Match 'Apache is not running'
        }
        finally { Invoke-LabHost $lab relay apache2ctl start | Out-Null }
        Wait-Healthy
    }

    It 'the site disabled fails at Apache' {
        try {
            Invoke-LabHost $lab relay a2dissite -q "$($lab.SiteName).conf" | Out-Null
            Invoke-LabHost $lab relay apache2ctl graceful | Out-Null
            Wait-LabCondition { (Invoke-LabHttp $lab "http://$($lab.SiteName)/").Body -notmatch 'hometunnel-lab-home-service' } 'the site to go'
            $r = Test-Path2
            $r.FailedHop | Should -Be 'Apache' -Because ($r.ToTable())
            ($r.Hops | Where-Object Hop -EQ 'Apache').Detail | Should -Match 'no enabled VirtualHost'
            $r.Remedy | Should -Match 'Install-ApacheProxySite'
        }
        finally { $null = $site | Install-ApacheProxySite -Session $vps }
        Wait-Healthy
    }

    It 'a hand-made site the module cannot check fails at Apache with why, and no other line of its file' {
        $etc = "$($lab.Hosts.relay.Directory)/etc-apache2"
        Set-Content -LiteralPath "$etc/sites-available/hand.conf" -Value "# SECRETHASH-IN-SITE`n<VirtualHost *:80>`n    ServerName $($lab.SiteName)`n    ProxyPass / unix:/run/hand.sock|http://localhost/`n</VirtualHost>`n"
        try {
            Invoke-LabHost $lab relay a2dissite -q "$($lab.SiteName).conf" | Out-Null
            Invoke-LabHost $lab relay a2ensite -q hand.conf | Out-Null
            Invoke-LabHost $lab relay apache2ctl graceful | Out-Null
            Wait-LabCondition { (Invoke-LabHttp $lab "http://$($lab.SiteName)/").Body -notmatch 'hometunnel-lab-home-service' } 'the site to go'
            $r = Test-Path2
            $r.FailedHop | Should -Be 'Apache' -Because ($r.ToTable())
            $apache = ($r.Hops | Where-Object Hop -EQ 'Apache').Detail
            $apache | Should -Match 'hand.conf proxies to unix:/run/hand.sock\|http://localhost/, which HomeTunnel does not check'
            ($r | ConvertTo-Json -Depth 6) | Should -Not -Match 'SECRETHASH'
            ($r.Hops | Where-Object Hop -EQ 'HomeService').Status | Should -Be 'Skipped'
        }
        finally {
            Invoke-LabHost $lab relay a2dissite -q hand.conf | Out-Null
            Remove-Item -LiteralPath "$etc/sites-available/hand.conf" -Force -ErrorAction Ignore
            $null = $site | Install-ApacheProxySite -Session $vps
        }
        Wait-Healthy
    }

    It 'the home service down fails at HomeService' {
        try {
            Stop-LabHomeService $lab
            $r = Test-Path2
            $r.FailedHop | Should -Be 'HomeService' -Because ($r.ToTable())
            ($r.Hops | Where-Object Hop -EQ 'HomeService').Detail | Should -Match 'refused'
            $r.Remedy | Should -Match 'Start the service on the home machine'
            ($r.Hops | Where-Object Hop -EQ 'EndToEnd').Detail | Should -Match '503'
        }
        finally { Start-LabHomeService $lab }
        Wait-Healthy
    }

    It 'wireguard-go killed on the home side fails at Tunnel; a re-install brings it back' {
        Stop-LabWireGuard $lab home | Should -BeGreaterThan 0
        $r = Test-Path2
        $r.FailedHop | Should -Be 'Tunnel' -Because ($r.ToTable())
        ($r.Hops | Where-Object Hop -EQ 'Tunnel').Detail | Should -Match 'not up on the home machine'
        $r.Remedy | Should -Match 'wg-quick up wg0'
        ($homeConfig | Install-WireGuardConfig -Session $box).Actions | Should -Contain 'wg-quick up wg0'
        Wait-Healthy
    }

    It 'the link between the two NATs cut fails at Tunnel once the handshake ages, and heals by itself' {
        try {
            Set-LabBlackhole $lab carrier -Traffic Forward
            Start-Sleep -Seconds 6
            # A short threshold instead of waiting 180 s: the last handshake is at least 6 s old now.
            $r = Test-Path2 -HandshakeWarnSeconds 3 -HandshakeFailSeconds 5
            $r.FailedHop | Should -Be 'Tunnel' -Because ($r.ToTable())
            ($r.Hops | Where-Object Hop -EQ 'Tunnel').Detail | Should -Match 'last handshake'
            $r.Remedy | Should -Match 'comes back by itself'
        }
        finally { Set-LabBlackhole $lab carrier -Off }
        # Nothing re-applied: PersistentKeepalive from home reopens the path within one interval.
        Wait-Healthy
    }

    It 'a relay that drops every packet ends within the deadline, with a Fail' {
        $session = New-LabSession $lab relay
        try {
            Set-LabBlackhole $lab relay -Traffic All
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $r = Test-TunnelPath -ServerName $lab.SiteName -RelaySession $session -DnsServer $a.Dns -TimeoutSeconds 4
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 6
            $r.Status | Should -Be 'Fail'
            $r.FailedHop | Should -Be 'Relay' -Because ($r.ToTable())
            ($r.Hops | Where-Object Hop -EQ 'Apache').Detail | Should -Match 'deadline'
            Test-TunnelPath -ServerName $lab.SiteName -RelayAddress $a.Relay -DnsServer $a.Dns -TimeoutSeconds 3 -Quiet | Should -BeFalse
        }
        finally {
            Set-LabBlackhole $lab relay -Off
            Remove-PSSession $session -ErrorAction Ignore
        }
        Wait-Healthy
    }
}

Describe 'Test-TunnelPath on an HTTPS site (certificate from the lab''s ACME server)' -Tag Lab {
    # The relay's invariants after every test, whatever its own assertions said (tests/Lab: Assert-LabInvariant).
    BeforeEach { $script:invariantBefore = Get-LabInvariantState $lab }
    AfterEach { Assert-LabInvariant $lab $script:invariantBefore }

    It 'passes the Certificate hop with the CA trusted, warns when renewal is due, fails when untrusted' {
        $tls = $homePeer | New-ApacheProxySite -ServerName $lab.SiteName -Port 3000 -Https
        ($tls | Install-ApacheProxySite -Session $vps).Actions | Should -Contain 'apache2ctl stop/start (mod_md newly loaded)'
        $log = "$($lab.Hosts.relay.Directory)/log-apache2/error.log"
        Wait-LabCondition { (Get-Content $log -Raw -ErrorAction Ignore) -match 'AH10059' } 'mod_md to obtain the certificate' 120
        Invoke-LabHost $lab relay apache2ctl graceful 2>&1 | Out-Null
        $roots = Join-Path $TestDrive 'pebble-roots.pem'
        Invoke-LabHost $lab client curl -s --max-time 5 --cacert $lab.AcmeCaFile -o $roots "https://$($a.Dns):15000/roots/0"
        $LASTEXITCODE | Should -Be 0
        Wait-LabCondition { (Test-Path2 -Https -TrustedCertificateFile $roots).Status -eq 'Pass' } 'the HTTPS path to pass' 30

        $r = Test-Path2 -Https -TrustedCertificateFile $roots
        $cert = $r.Hops | Where-Object Hop -EQ 'Certificate'
        $cert.Status | Should -Be 'Pass'
        $cert.Detail | Should -Match "$([regex]::Escape($lab.SiteName)), issued by .*Pebble.*, \d+ days left"
        ($r.Hops | Where-Object Hop -EQ 'EndToEnd').Detail | Should -Match '^GET https://'

        $due = Test-Path2 -Https -TrustedCertificateFile $roots -CertificateWarnDays 3650
        $due.Status | Should -Be 'Warn'
        ($due.Hops | Where-Object Hop -EQ 'Certificate').Detail | Should -Match 'renewal is due'
        Test-Path2 -Https -TrustedCertificateFile $roots -CertificateWarnDays 3650 -Quiet | Should -BeTrue -Because 'a warning is not a failure'

        $untrusted = Test-Path2 -Https
        $untrusted.FailedHop | Should -Be 'Certificate'
        ($untrusted.Hops | Where-Object Hop -EQ 'Certificate').Detail | Should -Match 'not trusted'

        $bad = Join-Path $TestDrive 'not-a-cert.pem'
        Set-Content $bad 'hello'
        { Test-Path2 -Https -TrustedCertificateFile $bad -ErrorAction Stop } | Should -Throw -ErrorId 'TrustedCertificateFileInvalid*'
    }
}
