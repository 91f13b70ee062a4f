# The home machine's end of the tunnel, on the lab's real hosts: the firewall HomeTunnel installs there lets the
# relay (a stand-in for an attacker who owns it) reach only the published ports, and moves with what is published;
# forwards that keep the visitor's address make the home service see the client, without touching the home
# machine's own default route.
BeforeAll {
    . $PSScriptRoot/LabSeed.ps1 -Prefix htfw -Index 6 -Install
    # A second service on the home machine that nothing publishes.
    $null = Start-LabProcess $lab home 'unpublished' @($lab.PwshPath, '-NoLogo', '-NoProfile', '-File', (Join-Path $RepoRoot 'tests/Lab/HomeService.ps1'), '-Port', '3001', '-Marker', 'unpublished-service')
    Wait-LabCondition { (Invoke-LabHost $lab home ss -Hltn 'sport = :3001') -match 'LISTEN' } 'the unpublished service' 60
    # From the relay, over the tunnel: what an attacker who owns the relay reaches.
    function Get-FromRelay([int] $Port) { (Invoke-LabHttp $lab "http://$($a.HomeTunnel):$Port/" -FromHost relay -CurlArgument '--max-time', '3').Status }
    $homeRoute = Invoke-LabHost $lab home ip -4 route show default | Out-String
}
AfterAll {
    Get-PSSession | Remove-PSSession
    if ($lab) { Stop-Lab $lab }
}

Describe 'Install-TunnelHomeFirewall on the lab home machine' -Tag Lab {
    # The relay's invariants after every test, whatever its own assertions said (tests/Lab: Assert-LabInvariant).
    BeforeEach { $script:invariantBefore = Get-LabInvariantState $lab }
    AfterEach { Assert-LabInvariant $lab $script:invariantBefore }

    It 'is there from the home config''s install on: the relay reaches the published port and nothing else' {
        # The seed's route (Install-WireGuardConfig for the home, then the site's opening) is the README's.
        Get-FromRelay 3000 | Should -Be '200'
        Get-FromRelay 3001 | Should -Be '000' -Because 'the home config fenced the tunnel and nothing opened 3001'
        ($site | Install-TunnelHomeFirewall -Session $box -RelayAddress 192.168.4.1).State | Should -Be 'Unchanged'
        Invoke-LabHost $lab home nft delete table inet hometunnel
        Get-FromRelay 3001 | Should -Be '200' -Because 'without the firewall the tunnel reaches every port'
        $r = $site | Install-TunnelHomeFirewall -Session $box -RelayAddress 192.168.4.1
        $r.State | Should -Be 'Changed'
        Get-FromRelay 3000 | Should -Be '200'
        Get-FromRelay 3001 | Should -Be '000' -Because 'an unpublished port does not answer over the tunnel'
        (Invoke-LabHttp $lab "http://$($lab.SiteName)/").Status | Should -Be '200' -Because 'the site still works through the relay'
        # Other interfaces are not the firewall's business: the home LAN still reaches the second service.
        (Invoke-LabHttp $lab "http://$($a.HomeLan):3001/" -FromHost room).Status | Should -Be '200'
    }

    It 'changes nothing when applied again; a flushed table is not Unchanged' {
        ($site | Install-TunnelHomeFirewall -Session $box -RelayAddress 192.168.4.1).State | Should -Be 'Unchanged'
        Invoke-LabHost $lab home nft delete table inet hometunnel
        Get-FromRelay 3001 | Should -Be '200'
        $r = $site | Install-TunnelHomeFirewall -Session $box -RelayAddress 192.168.4.1
        $r.State | Should -Be 'Changed'
        $r.Actions | Should -Contain 'nft -f /etc/hometunnel/home-firewall.nft'
        Get-FromRelay 3001 | Should -Be '000'
    }

    It 'moves the door with what is published: a forward opens its port, closing it shuts it again' {
        $fwd = $homePeer | New-TunnelPortForward -Protocol Tcp -PublicPort 8081 -Port 3001
        ($fwd | Install-TunnelHomeFirewall -Session $box -RelayAddress 192.168.4.1).State | Should -Be 'Created'
        Get-FromRelay 3001 | Should -Be '200'
        Get-FromRelay 3000 | Should -Be '200' -Because 'openings add up'
        ($fwd | Uninstall-TunnelHomeFirewall -Session $box -Confirm:$false).State | Should -Be 'Removed'
        Get-FromRelay 3001 | Should -Be '000'
        Get-FromRelay 3000 | Should -Be '200'
    }

    It 'is named by Test-TunnelPath when it closes a published port: the HomeService hop, with the remedy' {
        $closed = $homePeer | New-ApacheProxySite -ServerName $lab.SiteName -Port 3001
        $null = $closed | Install-ApacheProxySite -Session $vps
        try {
            $r = Test-TunnelPath $lab.SiteName -RelaySession $vps -HomeSession $box -DnsServer $a.Dns -TimeoutSeconds 20
            $r.FailedHop | Should -Be 'HomeService' -Because ($r.ToTable())
            ($r.Hops | Where-Object Hop -EQ 'HomeService').Detail | Should -Match 'firewall on the tunnel does not open tcp port 3001'
            $r.Remedy | Should -Match 'Install-TunnelHomeFirewall'
        }
        finally { $null = $site | Install-ApacheProxySite -Session $vps }
    }

    It 'refuses a file it did not write, and takes only its own table away with -All' {
        Invoke-LabHost $lab home nft add table inet owner
        Set-Content -LiteralPath "$($lab.Hosts.home.Directory)/etc-hometunnel/home.d/udp-53.wg0.nft" -Value 'add rule inet hometunnel openings udp dport 53 accept'
        $dns = $homePeer | New-TunnelPortForward -Protocol Udp -PublicPort 53
        (Get-ErrorRecord { $dns | Install-TunnelHomeFirewall -Session $box -RelayAddress 192.168.4.1 }).FullyQualifiedErrorId | Should -BeLike 'NotOwnedByHomeTunnel*'
        (Get-ErrorRecord { Uninstall-TunnelHomeFirewall -All -Session $box -Confirm:$false }).FullyQualifiedErrorId | Should -BeLike 'NotOwnedByHomeTunnel*'
        Remove-Item "$($lab.Hosts.home.Directory)/etc-hometunnel/home.d/udp-53.wg0.nft"
        (Uninstall-TunnelHomeFirewall -All -Session $box -Confirm:$false).State | Should -Be 'Removed'
        Invoke-LabHost $lab home nft list table inet hometunnel 2>$null
        $LASTEXITCODE | Should -Not -Be 0
        Invoke-LabHost $lab home nft list table inet owner | Should -Not -BeNullOrEmpty
        Get-FromRelay 3001 | Should -Be '200'
        # The owner's table was this test's own stand-in: it goes, so the owner's state is as the test found it.
        Invoke-LabHost $lab home nft delete table inet owner
    }
}

Describe 'Forwards that keep the visitor''s address (-PreserveClientAddress), in the lab' -Tag Lab {
    # The relay's invariants after every test, whatever its own assertions said (tests/Lab: Assert-LabInvariant).
    BeforeEach { $script:invariantBefore = Get-LabInvariantState $lab }
    AfterEach { Assert-LabInvariant $lab $script:invariantBefore }

    BeforeAll {
        $keep = $homePeer | New-TunnelPortForward -Protocol Tcp -PublicPort 8082 -Port 3000 -PreserveClientAddress
    }

    It 'shows the home service the client''s own address, while the Apache path still sees the relay' {
        ($keep | Install-TunnelPortForward -Session $vps).State | Should -Be 'Created'
        $r = New-WireGuardConfig -For $homePeer -Peer $relayPeer -PreserveClientAddress | Install-WireGuardConfig -Session $box
        $r.State | Should -Be 'Changed'
        $r.Actions | Should -Contain 'wg-quick down wg0; wg-quick up wg0'
        $null = $site, $keep | Install-TunnelHomeFirewall -Session $box -RelayAddress 192.168.4.1
        Wait-LabCondition { (Invoke-LabHttp $lab "http://$($a.Relay):8082/kept").Status -eq '200' } 'the forward through the tunnel' 30
        (Invoke-LabHttp $lab "http://$($a.Relay):8082/kept").Body | Should -Match "(?m)^Remote: $([regex]::Escape($a.Client))\r?$"
        $web = Invoke-LabHttp $lab "http://$($lab.SiteName)/"
        $web.Status | Should -Be '200'
        $web.Body | Should -Match '(?m)^Remote: 192\.168\.4\.1\r?$'
        $web.Body | Should -Match "(?m)^X-Forwarded-For: $([regex]::Escape($a.Client))\r?$"
    }

    It 'leaves the home machine''s own default route and internet access as they were' {
        Invoke-LabHost $lab home ip -4 route show default | Out-String | Should -Be $homeRoute
        Invoke-LabHost $lab home ip -4 route get $a.Dns | Out-String | Should -Not -Match 'dev wg0'
        (Invoke-LabHttp $lab "http://$($a.Relay)/" -FromHost home).Status | Should -Not -Be '000' -Because 'the home machine still reaches the internet its own way'
        Invoke-LabHost $lab home ip -4 rule show | Out-String | Should -Match 'from 192\.168\.4\.2 lookup 51821'
    }

    It 'changes nothing when applied again, and reads its own config back from the host' {
        (New-WireGuardConfig -For $homePeer -Peer $relayPeer -PreserveClientAddress | Install-WireGuardConfig -Session $box).State | Should -Be 'Unchanged'
        ($keep | Install-TunnelPortForward -Session $vps).State | Should -Be 'Unchanged'
        $back = Get-Content -Raw "$($lab.Hosts.home.Directory)/etc-wireguard/wg0.conf" | ConvertFrom-WireGuardConfig
        $back.PreserveClientAddress | Should -BeTrue
    }

    It 'goes back to the relay''s address when turned off, and the return route goes with it' {
        ($keep | Uninstall-TunnelPortForward -Session $vps -Confirm:$false).State | Should -Be 'Removed'
        (New-WireGuardConfig -For $homePeer -Peer $relayPeer | Install-WireGuardConfig -Session $box).State | Should -Be 'Changed'
        Invoke-LabHost $lab home ip -4 rule show | Out-String | Should -Not -Match 'lookup 51821'
        Wait-LabCondition { (Invoke-LabHttp $lab "http://$($lab.SiteName)/").Status -eq '200' } 'the site after the restart' 30
        Invoke-LabHost $lab home ip -4 route show default | Out-String | Should -Be $homeRoute
    }
}
