# Apply over PowerShell remoting over SSH, against the real hosts of the lab.
BeforeAll {
    . $PSScriptRoot/LabSeed.ps1 -Prefix htapp -Index 5
    function Get-GracefulCount { @(Select-String -Path "$($lab.Hosts.relay.Directory)/log-apache2/error.log" -Pattern 'graceful restart|SIGHUP|SIGTERM' -ErrorAction Ignore).Count }
}
AfterAll {
    Get-PSSession | Remove-PSSession
    if ($lab) { Stop-Lab $lab }
}

Describe 'The DESIGN.md script against the lab' -Tag Lab {
    # The relay's invariants after every test, whatever its own assertions said (tests/Lab: Assert-LabInvariant).
    BeforeEach { $script:invariantBefore = Get-LabInvariantState $lab }
    AfterEach { Assert-LabInvariant $lab $script:invariantBefore }

    It 'makes the site answer from the client with the home service''s body, through both NATs' {
        # The user's script, as DESIGN.md writes it (with the lab's names).
        $r1 = New-WireGuardConfig -For $relayPeer -Peer $homePeer | Install-WireGuardConfig -Session $vps
        $r2 = New-WireGuardConfig -For $homePeer -Peer $relayPeer | Install-WireGuardConfig -Session $box
        $r3 = $site | Install-ApacheProxySite -Session $vps
        $r4 = $site | Install-TunnelHomeFirewall -Session $box -RelayAddress 192.168.4.1
        $r1.State, $r2.State, $r3.State, $r4.State | Should -Be @('Created', 'Created', 'Created', 'Created')
        # The home config's install fenced the tunnel before it came up: the fence is in its own actions.
        $r2.Actions | Should -Contain 'nft -f /etc/hometunnel/home-firewall.nft'
        (Invoke-LabHost $lab home nft list set inet hometunnel fenced | Out-String) | Should -Match '"wg0" comment "hometunnel fence\.wg0"'

        $r3.Actions | Should -Contain 'apache2ctl graceful'

        Wait-LabCondition { (Invoke-LabHttp $lab "http://$($lab.SiteName)/").Status -eq '200' } 'the site through the tunnel' 15
        $r = Invoke-LabHttp $lab "http://$($lab.SiteName)/hello"
        $r.Body | Should -Match 'hometunnel-lab-home-service'
        $r.Body | Should -Match "(?m)^X-Forwarded-For: $([regex]::Escape($a.Client))\r?$"
    }

    It 'writes the config 0600 in a 0700 folder' {
        (stat -c '%a' "$($lab.Hosts.relay.Directory)/etc-wireguard/wg0.conf") | Should -Be '600'
        (stat -c '%a' "$($lab.Hosts.relay.Directory)/etc-wireguard") | Should -Be '700'
    }

    It 'reports unchanged the second time, rewrites nothing and does not reload Apache' {
        $before = Get-LabStateHash $lab relay
        $mtime = (Get-Item "$($lab.Hosts.relay.Directory)/etc-wireguard/wg0.conf").LastWriteTimeUtc
        $reloads = Get-GracefulCount
        $apachePid = Get-Content "$($lab.Hosts.relay.Directory)/run-apache2/apache2.pid"
        $r1 = New-WireGuardConfig -For $relayPeer -Peer $homePeer | Install-WireGuardConfig -Session $vps
        $r2 = $site | Install-ApacheProxySite -Session $vps
        $r1.State | Should -Be 'Unchanged'
        $r2.State | Should -Be 'Unchanged'
        $r1.Actions.Count + $r2.Actions.Count | Should -Be 0
        Get-LabStateHash $lab relay | Should -Be $before
        (Get-Item "$($lab.Hosts.relay.Directory)/etc-wireguard/wg0.conf").LastWriteTimeUtc | Should -Be $mtime
        Get-GracefulCount | Should -Be $reloads
        Get-Content "$($lab.Hosts.relay.Directory)/run-apache2/apache2.pid" | Should -Be $apachePid
    }

    It 'keeps the tunnel carrying traffic after every session that set it up is closed' {
        $s1 = New-LabSession $lab relay
        New-WireGuardConfig -For $relayPeer -Peer $homePeer | Install-WireGuardConfig -Session $s1 | Out-Null
        Remove-PSSession $s1
        Start-Sleep -Seconds 1
        (Invoke-LabHost $lab home ping -c 2 -W 1 192.168.4.1) -join "`n" | Should -Match ' 0% packet loss'
        (Invoke-LabHttp $lab "http://$($lab.SiteName)/").Body | Should -Match 'hometunnel-lab-home-service'
    }
}

Describe 'Changing a running tunnel' -Tag Lab {
    # The relay's invariants after every test, whatever its own assertions said (tests/Lab: Assert-LabInvariant).
    BeforeEach { $script:invariantBefore = Get-LabInvariantState $lab }
    AfterEach { Assert-LabInvariant $lab $script:invariantBefore }

    It 'adds a second home peer while a ping runs over the first peer''s tunnel, losing no packets' {
        $log = Join-Path $lab.Directory 'ping.log'
        $ping = Start-Process nsenter -ArgumentList '-t', $lab.Hosts.home.AnchorPid, '-n', '-m', '--', 'ping', '-i', '0.1', '-c', '40', '-W', '1', '192.168.4.1' -RedirectStandardOutput $log -PassThru
        Start-Sleep -Milliseconds 800
        $second = New-TunnelPeer -Name home2 -Role Home -Address 192.168.4.3/32
        $r = New-WireGuardConfig -For $relayPeer -Peer $homePeer, $second | Install-WireGuardConfig -Session $vps
        $r.State | Should -Be 'Changed'
        $r.Actions | Should -Contain 'wg syncconf wg0'
        $ping.WaitForExit(15000) | Should -BeTrue
        # Start-Process copies ping's output to the log after the process has gone: wait for its last line.
        Wait-LabCondition { (Get-Content $log -Raw) -match 'packets transmitted' } 'ping''s summary in its log' 10
        (Get-Content $log -Raw) | Should -Match '40 packets transmitted, 40 received, 0% packet loss'
        (Invoke-LabHost $lab relay wg show wg0 peers) | Should -Contain $second.PublicKey
    }

    It 'changes only what differs, and removing the peer again converges' {
        $r = New-WireGuardConfig -For $relayPeer -Peer $homePeer | Install-WireGuardConfig -Session $vps
        $r.State | Should -Be 'Changed'
        @(Invoke-LabHost $lab relay wg show wg0 peers) | Should -HaveCount 1
        (New-WireGuardConfig -For $relayPeer -Peer $homePeer | Install-WireGuardConfig -Session $vps).State | Should -Be 'Unchanged'
    }

    It 'shows the diff with -WhatIf and changes nothing' {
        $before = Get-LabStateHash $lab relay
        $third = New-TunnelPeer -Name home3 -Role Home -Address 192.168.4.4/32
        # A site for a peer the relay already has: one for home3, which this preview does not install, is refused.
        $other = New-ApacheProxySite -ServerName other.example.test -Backend http://192.168.4.2:8080/
        # What-if text goes to the host, so a transcript is what sees it.
        $transcript = Join-Path $lab.Directory 'whatif.txt'
        Start-Transcript -LiteralPath $transcript -UseMinimalHeader | Out-Null
        try {
            New-WireGuardConfig -For $relayPeer -Peer $homePeer, $third | Install-WireGuardConfig -Session $vps -WhatIf
            $other | Install-ApacheProxySite -Session $vps -WhatIf
        }
        finally { Stop-Transcript | Out-Null }
        $out = Get-Content -Raw $transcript
        $out | Should -Match 'ProxyPass / http://192.168.4.2:8080/'

        $out | Should -Match ([regex]::Escape("+PublicKey = $($third.PublicKey)"))
        $out | Should -Not -Match ([regex]::Escape($relayPeer.PrivateKey.RevealBase64()))
        Get-LabStateHash $lab relay | Should -Be $before
        @(Invoke-LabHost $lab relay wg show wg0 peers) | Should -HaveCount 1
    }
}

Describe 'Apache changes that fail are rolled back' -Tag Lab {
    # The relay's invariants after every test, whatever its own assertions said (tests/Lab: Assert-LabInvariant).
    BeforeEach { $script:invariantBefore = Get-LabInvariantState $lab }
    AfterEach { Assert-LabInvariant $lab $script:invariantBefore }

    It 'rolls back a site whose configtest fails, and the existing site keeps answering' {
        $before = Get-LabStateHash $lab relay
        $reloads = Get-GracefulCount
        $bad = New-ApacheProxySite -ServerName broken.example.test -Backend http://192.168.4.2:3000/ -CertificateFile /nonexistent/cert.pem -CertificateKeyFile /nonexistent/key.pem
        $record = Get-ErrorRecord { $bad | Install-ApacheProxySite -Session $vps }
        Assert-HomeTunnelError $record 'ConfigTestFailed' 'InvalidData' $a.Relay
        $record.ErrorDetails.Message | Should -Match 'apache2ctl configtest'
        Get-LabStateHash $lab relay | Should -Be $before
        Get-GracefulCount | Should -Be $reloads
        (Invoke-LabHttp $lab "http://$($lab.SiteName)/").Body | Should -Match 'hometunnel-lab-home-service'
    }

    It 'refuses to start when the host''s Apache config is already broken, and says where' {
        $broken = "$($lab.Hosts.relay.Directory)/etc-apache2/conf-enabled/zz-broken.conf"
        Set-Content $broken 'ThisIsNotADirective on'
        try {
            $before = Get-LabStateHash $lab relay
            $other = New-ApacheProxySite -ServerName other.example.test -Backend http://192.168.4.2:3000/
            $record = Get-ErrorRecord { $other | Install-ApacheProxySite -Session $vps }
            Assert-HomeTunnelError $record 'ApacheConfigBroken' 'InvalidOperation' $a.Relay
            $record.Exception.Message | Should -Match 'zz-broken.conf'
            Get-LabStateHash $lab relay | Should -Be $before
        }
        finally { Remove-Item $broken }
    }
}

Describe 'Uninstall' -Tag Lab {
    # The relay's invariants after every test, whatever its own assertions said (tests/Lab: Assert-LabInvariant).
    BeforeEach { $script:invariantBefore = Get-LabInvariantState $lab }
    AfterEach { Assert-LabInvariant $lab $script:invariantBefore }

    It 'removes a site and an interface, and a second uninstall is unchanged' {
        $vps = New-LabSession $lab relay
        $box = New-LabSession $lab home
        $extra = New-ApacheProxySite -ServerName other.example.test -Backend http://192.168.4.2:3000/
        ($extra | Install-ApacheProxySite -Session $vps).State | Should -Be 'Created'
        (Invoke-LabHttp $lab "http://$($a.Relay)/" -CurlArgument '-H', 'Host: other.example.test').Body | Should -Match 'hometunnel-lab-home-service'
        (Uninstall-ApacheProxySite other.example.test -Session $vps -Confirm:$false).State | Should -Be 'Removed'
        (Invoke-LabHttp $lab "http://$($a.Relay)/" -CurlArgument '-H', 'Host: other.example.test').Body | Should -Not -Match 'hometunnel-lab-home-service'
        (Uninstall-ApacheProxySite other.example.test -Session $vps -Confirm:$false).State | Should -Be 'Unchanged'

        (Uninstall-WireGuardConfig -Session $box -Confirm:$false).State | Should -Be 'Removed'
        Test-Path "$($lab.Hosts.home.Directory)/etc-wireguard/wg0.conf" | Should -BeFalse
        Invoke-LabHost $lab home wg show wg0 2>$null
        $LASTEXITCODE | Should -Not -Be 0
        (Uninstall-WireGuardConfig -Session $box -Confirm:$false).State | Should -Be 'Unchanged'
    }
}

Describe 'A dropped SSH connection mid-apply' -Tag Lab {
    # The relay's invariants after every test, whatever its own assertions said (tests/Lab: Assert-LabInvariant).
    BeforeEach { $script:invariantBefore = Get-LabInvariantState $lab }
    AfterEach { Assert-LabInvariant $lab $script:invariantBefore }

    It 'leaves the old or the new state, and a re-run converges' {
        $fourth = New-TunnelPeer -Name home4 -Role Home -Address 192.168.4.5/32
        $config = New-WireGuardConfig -For $relayPeer -Peer $homePeer, $fourth
        $old = Get-Content -Raw "$($lab.Hosts.relay.Directory)/etc-wireguard/wg0.conf"
        $session = New-LabSession $lab relay
        # Cut the session (kill this lab relay's pwsh subsystems: pkill would see every lab's) while the apply is under way.
        $cutter = Start-ThreadJob -ScriptBlock {
            param($namespace)
            Start-Sleep -Milliseconds 300
            foreach ($p in @(ip netns pids $namespace)) {
                if (((Get-Content -Raw "/proc/$p/cmdline" -ErrorAction Ignore) -replace "`0", ' ') -match '-sshs') { kill -KILL $p 2>$null }
            }
        } -ArgumentList $lab.Hosts.relay.Namespace
        $null = $config | Install-WireGuardConfig -Session $session -ErrorAction SilentlyContinue -ErrorVariable cut
        $cutter | Wait-Job | Remove-Job
        Start-Sleep -Seconds 2
        $now = Get-Content -Raw "$($lab.Hosts.relay.Directory)/etc-wireguard/wg0.conf"
        ($now -ceq $old -or $now -ceq $config.RevealText()) | Should -BeTrue -Because 'the file is the old one or the new one, never a mix'
        $fresh = New-LabSession $lab relay
        $r = $config | Install-WireGuardConfig -Session $fresh
        $r.State | Should -BeIn @('Changed', 'Unchanged')
        (Get-Content -Raw "$($lab.Hosts.relay.Directory)/etc-wireguard/wg0.conf") | Should -BeExactly $config.RevealText()
        @(Invoke-LabHost $lab relay wg show wg0 peers) | Should -HaveCount 2
        ($config | Install-WireGuardConfig -Session $fresh).State | Should -Be 'Unchanged'
        # The home end was uninstalled above: put it back, and the whole path answers again.
        $null = New-WireGuardConfig -For $homePeer -Peer $relayPeer | Install-WireGuardConfig -Session (New-LabSession $lab home)
        Wait-LabCondition { (Invoke-LabHttp $lab "http://$($lab.SiteName)/").Status -eq '200' } 'the site through the tunnel' 15
        (Invoke-LabHttp $lab "http://$($lab.SiteName)/").Body | Should -Match 'hometunnel-lab-home-service'
    }
}
