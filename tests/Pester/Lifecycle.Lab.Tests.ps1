# The whole lifecycle on the lab's hosts: what HomeTunnel manages is read back as the same objects
# (Get-ApacheProxySite, Get-WireGuardConfig without keys, Export-ApacheProxySite), and Unpublish-HomeService is the
# exact inverse of Publish-HomeService: one service goes, the other still serves, and nothing else on the relay moves.
BeforeAll {
    . $PSScriptRoot/Common.ps1
    Import-Module "$RepoRoot/tests/Lab/Lab.psm1" -Force
    $lab = Start-Lab -Prefix htlife -Index 13
    $a = $lab.Addresses
    $vps = New-LabSession $lab relay
    $box = New-LabSession $lab home
    $records = [ordered]@{} + $lab.DnsRecords
    $records['other.example.test'] = $a.Relay
    $records['owner.example.test'] = $a.Relay
    Set-LabDnsRecord $lab -Records $records
    $null = Start-LabProcess $lab home 'second' @($lab.PwshPath, '-NoLogo', '-NoProfile', '-File', "$RepoRoot/tests/Lab/HomeService.ps1", '-Port', '3001', '-Marker', 'second-service')
    Wait-LabCondition { (Invoke-LabHost $lab home ss -Hltn 'sport = :3001') -match 'LISTEN' } 'the second service' 60
    $peers = Join-Path $lab.Directory 'peers.json'
    function Publish([string] $Name, [int] $Port) { Publish-HomeService $Name $Port -RelaySession $vps -HomeSession $box -PeerFile $peers -DnsServer $a.Dns -WaitSeconds 30 }
    function Unpublish([string] $Name) { Unpublish-HomeService $Name -RelaySession $vps -HomeSession $box -PeerFile $peers -Confirm:$false }
    # What the relay holds outside HomeTunnel's own files: it must not move.
    function Get-Foreign([string] $HostName) {
        $root = $lab.Hosts[$HostName].Directory
        foreach ($dir in 'etc-apache2', 'etc-wireguard') {
            Get-ChildItem -Recurse -File -Force (Join-Path $root $dir) | Where-Object {
                $first = Get-Content -LiteralPath $_.FullName -TotalCount 1 -ErrorAction Ignore
                -not ("$first".StartsWith('# Managed by HomeTunnel')) -and $_.Name -notlike '*.htpasswd'
            } | ForEach-Object { "$($_.FullName.Substring($root.Length)) $((Get-FileHash -LiteralPath $_.FullName).Hash)" }
        }
        # The other sites' links in sites-enabled (HomeTunnel's own come and go).
        (Get-ChildItem (Join-Path $root 'etc-apache2/sites-enabled') | Where-Object {
                -not ("$(Get-Content -LiteralPath $_.FullName -TotalCount 1 -ErrorAction Ignore)".StartsWith('# Managed by HomeTunnel')) }).Name -join ','
    }
}
AfterAll {
    Get-PSSession | Remove-PSSession
    if ($lab) { Stop-Lab $lab }
}

Describe 'Reading back what HomeTunnel manages' -Tag Lab {
    # The relay's invariants after every test, whatever its own assertions said (tests/Lab: Assert-LabInvariant).
    BeforeEach { $script:invariantBefore = Get-LabInvariantState $lab }
    AfterEach { Assert-LabInvariant $lab $script:invariantBefore }

    It 'publishes two services on the same home machine' {
        (Publish $lab.SiteName 3000).Status | Should -Be 'Pass'
        (Publish other.example.test 3001).Status | Should -Be 'Pass'
        (Invoke-LabHttp $lab 'http://other.example.test/').Body | Should -Match 'second-service'
    }

    It 'reads the relay''s sites back as the objects New-ApacheProxySite makes' {
        $sites = @(Get-ApacheProxySite -Session $vps)
        $sites.ServerName | Should -Be @('other.example.test', $lab.SiteName)
        $sites[0].Backend.ToString() | Should -Be 'http://192.168.4.2:3001/'
        $sites[0].Host | Should -Be $a.Relay
        $sites[0].Enabled | Should -BeTrue
        $sites[0].Text | Should -BeExactly (Get-Content -Raw "$($lab.Hosts.relay.Directory)/etc-apache2/sites-available/other.example.test.conf")
        @(Get-ApacheProxySite oth* -Session $vps) | Should -HaveCount 1
        # The same object goes back unchanged.
        ($sites | Install-ApacheProxySite -Session $vps).State | Should -Be @('Unchanged')
    }

    It 'reads the configs back without a key leaving the host' {
        $configs = @(Get-WireGuardConfig -Session $vps, $box)
        $configs | Should -HaveCount 2
        $configs.InterfaceName | Should -Be @('wg0', 'wg0')
        $configs.Up | Should -Be @($true, $true)
        foreach ($c in $configs) {
            $c.PrivateKey | Should -BeNullOrEmpty
            $c.Peers.PresharedKey | Should -BeNullOrEmpty
        }
        $secret = (Import-TunnelPeer $peers | Where-Object Role -EQ Relay).PrivateKey.RevealBase64()
        ($configs | Format-List * | Out-String) + ($configs | ConvertTo-Json -Depth 6 -WarningAction Ignore) | Should -Not -Match ([regex]::Escape($secret))
        "$(($configs | Where-Object Host -EQ $a.Relay).Peers[0].AllowedIPs)" | Should -Be '192.168.4.2/32'
    }

    It 'exports a site as the file Install-ApacheProxySite writes, and reads it back' {
        $file = Join-Path $TestDrive 'other.conf'
        Get-ApacheProxySite other.example.test -Session $vps | Export-ApacheProxySite $file
        Get-Content -Raw $file | Should -BeExactly (Get-Content -Raw "$($lab.Hosts.relay.Directory)/etc-apache2/sites-available/other.example.test.conf")
        (Import-ApacheProxySite $file).ServerName | Should -Be 'other.example.test'
        (Get-ErrorRecord { Get-ApacheProxySite other.example.test -Session $vps | Export-ApacheProxySite $file }).FullyQualifiedErrorId | Should -Not -BeNullOrEmpty -Because 'it does not replace a file without -Force'
    }
}

Describe 'Unpublish-HomeService, the exact inverse of Publish-HomeService' -Tag Lab {
    # The relay's invariants after every test, whatever its own assertions said (tests/Lab: Assert-LabInvariant).
    BeforeEach { $script:invariantBefore = Get-LabInvariantState $lab }
    AfterEach { Assert-LabInvariant $lab $script:invariantBefore }

    BeforeAll {
        # Someone else's site on the relay, which must not move.
        $etc = "$($lab.Hosts.relay.Directory)/etc-apache2"
        Set-Content "$etc/sites-available/owner.conf" "<VirtualHost *:80>`n    ServerName owner.example.test`n</VirtualHost>"
        Invoke-LabHost $lab relay a2ensite -q owner
        Invoke-LabHost $lab relay apache2ctl graceful
    }

    It 'takes one service away: its site and its port at home; the other still serves; nothing else moves' {
        $relayBefore = Get-Foreign relay
        $homeBefore = Get-Foreign home
        $r = Unpublish other.example.test
        $r.Kind | Should -Be @('Apache', 'HomeFirewall')
        $r.State | Should -Be @('Removed', 'Removed')
        (Invoke-LabHttp $lab 'http://other.example.test/').Body | Should -Not -Match 'second-service'
        (Invoke-LabHttp $lab "http://$($lab.SiteName)/").Status | Should -Be '200'
        (Test-TunnelPath $lab.SiteName -RelaySession $vps -HomeSession $box -DnsServer $a.Dns).Status | Should -Be 'Pass'
        Get-Foreign relay | Should -Be $relayBefore
        Get-Foreign home | Should -Be $homeBefore
        @(Get-ApacheProxySite -Session $vps).ServerName | Should -Be @($lab.SiteName)
        # From the relay, the unpublished port is closed again.
        (Invoke-LabHttp $lab "http://$($a.HomeTunnel):3001/" -FromHost relay -CurlArgument '--max-time', '3').Status | Should -Be '000'
    }

    It 'refuses a name the relay does not serve, changing nothing' {
        $before = Get-Foreign relay
        $e = Get-ErrorRecord { Unpublish nosuch.example.test }
        $e.FullyQualifiedErrorId | Should -BeLike 'SiteNotFound,*'
        $e.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        Get-Foreign relay | Should -Be $before
    }

    It 'takes exactly what the service added, as the hosts record it: its forward and opening, not the ones by hand' {
        $r = Publish-HomeService other.example.test 3001 -RelaySession $vps -HomeSession $box -PeerFile $peers -DnsServer $a.Dns -WaitSeconds 30 -Forward @{ Protocol = 'Tcp'; PublicPort = '2201'; Port = '3001' }
        $r.Status | Should -Be 'Pass'
        # By hand, to the same home port: a forward and an opening that no service holds.
        $homePeer = Import-TunnelPeer $peers | Where-Object Role -EQ Home
        $hand = $homePeer | New-TunnelPortForward -Protocol Tcp -PublicPort 2202 -Port 3001
        try {
            ($hand | Install-TunnelPortForward -Session $vps).State | Should -Be 'Created'
            ($hand | Install-TunnelHomeFirewall -Session $box -RelayAddress 192.168.4.1).State | Should -Be 'Created'
            $homeDir = "$($lab.Hosts.home.Directory)/etc-hometunnel/home.d"
            (Get-ChildItem $homeDir -Filter 'tcp-3001*').Name | Sort-Object | Should -Be @('tcp-3001.wg0.nft', 'tcp-3001.wg0@other.example.test.nft')
            Get-Content "$($lab.Hosts.relay.Directory)/etc-hometunnel/forwards.d/tcp-2201.nft" | Should -Contain '# published with other.example.test (Publish-HomeService)'
            $r = Unpublish other.example.test
            $r.Kind | Should -Be @('Apache', 'Forward', 'HomeFirewall')
            (Get-ChildItem "$($lab.Hosts.relay.Directory)/etc-hometunnel/forwards.d").Name | Should -Be @('tcp-2202.nft')
            (Get-ChildItem $homeDir -Filter 'tcp-3001*').Name | Should -Be @('tcp-3001.wg0.nft')
            # The hand's forward still reaches the home service through the tunnel, which stays.
            (Invoke-LabHttp $lab "http://$($a.Relay):2202/").Body | Should -Match 'second-service'
            (Invoke-LabHttp $lab "http://$($lab.SiteName)/").Status | Should -Be '200'
        }
        finally {
            $null = $hand | Uninstall-TunnelPortForward -Session $vps -Confirm:$false
            $null = $hand | Uninstall-TunnelHomeFirewall -Session $box -Confirm:$false
        }
        (Invoke-LabHttp $lab "http://$($a.HomeTunnel):3001/" -FromHost relay -CurlArgument '--max-time', '3').Status | Should -Be '000'
    }

    It 'refuses a forward to take that another service or home holds, changing nothing' {
        $before = Get-Foreign relay
        $e = Get-ErrorRecord { Unpublish-HomeService $lab.SiteName -RelaySession $vps -HomeSession $box -PeerFile $peers -Forward @{ Protocol = 'Tcp'; PublicPort = '2299' } -Confirm:$false }
        $e.FullyQualifiedErrorId | Should -BeLike 'ForwardNotPublished,*'
        $e.TargetObject | Should -Be 'tcp-2299'
        Get-Foreign relay | Should -Be $before
        @(Get-ApacheProxySite -Session $vps).ServerName | Should -Be @($lab.SiteName)
    }

    It 'takes the last one away with its home peer: the relay''s config, the home''s tunnel and firewall, the peer file' {
        # A peer the relay's owner added by hand, in the file and live: Unpublish takes only the peer Publish added.
        $laptopKey = (New-TunnelKeyPair).PublicKey
        Add-Content -LiteralPath "$($lab.Hosts.relay.Directory)/etc-wireguard/wg0.conf" -Value "[Peer]`nPublicKey = $laptopKey`nAllowedIPs = 192.168.4.50/32"
        Invoke-LabHost $lab relay wg set wg0 peer $laptopKey allowed-ips 192.168.4.50/32
        $relayBefore = Get-Foreign relay
        $r = Unpublish $lab.SiteName
        $r.Kind | Should -Be @('Apache', 'WireGuard', 'WireGuard', 'HomeFirewall')
        $r.State | Should -Be @('Removed', 'Changed', 'Removed', 'Removed')
        @(Get-ApacheProxySite -Session $vps) | Should -HaveCount 0
        (Get-WireGuardConfig -Session $vps).Peers.PublicKey | Should -Be @($laptopKey)
        (Invoke-LabHost $lab relay wg show wg0 peers) | Should -Be @($laptopKey)
        @(Get-WireGuardConfig -Session $box) | Should -HaveCount 0
        Invoke-LabHost $lab home nft list table inet hometunnel 2>$null
        $LASTEXITCODE | Should -Not -Be 0
        @(Import-TunnelPeer $peers).Role | Should -Be @('Relay')
        Get-Foreign relay | Should -Be $relayBefore
        # The owner's site is still enabled and answers for its name.
        (Invoke-LabHttp $lab 'http://owner.example.test/').Status | Should -Not -Be '000'
        Test-Path "$($lab.Hosts.relay.Directory)/etc-apache2/sites-enabled/owner.conf" | Should -BeTrue
    }

}
