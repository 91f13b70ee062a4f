# The relay's invariants on the lab's real hosts: forwards never take what the relay itself needs (read from the
# relay: its sshd, its WireGuard port, Apache), never leave the tunnel; and a second tunnel interface on either end
# leaves the first one's fence exactly as it was, in either order.
BeforeAll {
    . $PSScriptRoot/LabSeed.ps1 -Prefix htinv -Index 10 -Install
    function Get-RelayForwardState {
        $dir = "$($lab.Hosts.relay.Directory)/etc-hometunnel"
        $files = if (Test-Path "$dir/forwards.d") { @(Get-ChildItem "$dir/forwards.d" | ForEach-Object Name) } else { @() }
        $table = Invoke-LabHost $lab relay nft list table ip hometunnel 2>$null | Out-String
        "$(Get-LabStateHash $lab relay)|$($files -join ',')|$table"
    }
    function Get-FromRelay([int] $Port) { (Invoke-LabHttp $lab "http://$($a.HomeTunnel):$Port/" -FromHost relay -CurlArgument '--max-time', '3').Status }
    $null = Start-LabProcess $lab home 'unpublished' @($lab.PwshPath, '-NoLogo', '-NoProfile', '-File', (Join-Path $RepoRoot 'tests/Lab/HomeService.ps1'), '-Port', '3001', '-Marker', 'unpublished-service')
    Wait-LabCondition { (Invoke-LabHost $lab home ss -Hltn 'sport = :3001') -match 'LISTEN' } 'the unpublished service' 60
    # A second tunnel on the relay (wg1, a laptop that dials in): its own port and peer.
    $laptop = New-TunnelPeer -Name laptop -Role Home -Address 10.7.0.2/32 -PersistentKeepalive 25
    $relay1 = New-TunnelPeer -Name relay1 -Role Relay -Address 10.7.0.1/24 -ListenPort 51821 -Endpoint $a.Relay
}
AfterAll {
    Get-PSSession | Remove-PSSession
    if ($lab) { Stop-Lab $lab }
}

Describe 'A forward never takes what the relay itself needs' -Tag Lab {
    # The relay's invariants after every test, whatever its own assertions said (tests/Lab: Assert-LabInvariant).
    BeforeEach { $script:invariantBefore = Get-LabInvariantState $lab }
    AfterEach { Assert-LabInvariant $lab $script:invariantBefore }

    It 'refuses <Case> and leaves the relay as it was' -ForEach @(
        @{ Case = 'the relay''s SSH port'; Protocol = 'Tcp'; PublicPort = '22'; Port = '2222'; Id = 'ForwardPortInUse:tcp-22'; Who = 'sshd' }
        @{ Case = 'the WireGuard ListenPort'; Protocol = 'Udp'; PublicPort = '51820'; Port = '7777'; Id = 'ForwardPortInUse:udp-51820'; Who = 'WireGuard wg0' }
        @{ Case = 'Apache''s port 80, in a range'; Protocol = 'Tcp'; PublicPort = '79-81'; Port = $null; Id = 'ForwardPortInUse:tcp-80'; Who = 'apache2' }
    ) {
        $before = Get-RelayForwardState
        $p = @{ Protocol = $Protocol; PublicPort = $PublicPort }
        if ($Port) { $p.Port = $Port }
        $f = $homePeer | New-TunnelPortForward @p
        $e = Get-ErrorRecord { $f | Install-TunnelPortForward -Session $vps -Force }
        $e.FullyQualifiedErrorId | Should -BeLike "$Id,*"
        $e.CategoryInfo.Category | Should -Be 'SecurityError'
        $e.TargetObject | Should -Be $f.Key
        $e.Exception.Message | Should -Match ([regex]::Escape($Who))
        Get-RelayForwardState | Should -Be $before
        # The relay's own sshd still answers with its own host key, on its own port.
        $key = (Get-Content "$($lab.Hosts.relay.Directory)/ssh_host_ed25519_key.pub").Split(' ')[1]
        (ssh-keyscan -T 5 -t ed25519 $a.Relay 2>$null | Out-String) | Should -Match ([regex]::Escape($key))
    }

    It 'refuses a destination no peer of the tunnel carries, and an overlap with an installed forward' {
        $before = Get-RelayForwardState
        $out = New-TunnelPortForward -Address 192.168.4.77 -Protocol Tcp -PublicPort 2300
        (Get-ErrorRecord { $out | Install-TunnelPortForward -Session $vps }).FullyQualifiedErrorId | Should -BeLike 'ForwardTargetNotAPeer,*'
        Get-RelayForwardState | Should -Be $before
        $range = $homePeer | New-TunnelPortForward -Protocol Udp -PublicPort 27015-27030
        ($range | Install-TunnelPortForward -Session $vps).State | Should -Be 'Created'
        $inside = $homePeer | New-TunnelPortForward -Protocol Udp -PublicPort 27020
        (Get-ErrorRecord { $inside | Install-TunnelPortForward -Session $vps }).FullyQualifiedErrorId | Should -BeLike 'ForwardOverlaps,*'
        ($range | Install-TunnelPortForward -Session $vps).State | Should -Be 'Unchanged'
        ($range | Uninstall-TunnelPortForward -Session $vps -Confirm:$false).State | Should -Be 'Removed'
    }
}

Describe 'A site proxies into the tunnel and nowhere else' -Tag Lab {
    # The relay's invariants after every test, whatever its own assertions said (tests/Lab: Assert-LabInvariant).
    BeforeEach { $script:invariantBefore = Get-LabInvariantState $lab }
    AfterEach { Assert-LabInvariant $lab $script:invariantBefore }

    It 'refuses a backend no peer of the relay carries, even with -Force, and leaves the relay as it was' {
        $before = Get-LabStateHash $lab relay
        $outside = New-ApacheProxySite -ServerName outside.example.test -Backend http://203.0.113.200:80/
        $e = Get-ErrorRecord { $outside | Install-ApacheProxySite -Session $vps -Force }
        Assert-HomeTunnelError $e 'BackendNotATunnelPeer' 'SecurityError' 'http://203.0.113.200:80/'
        $e.ErrorDetails.RecommendedAction | Should -Match 'WireGuard config'
        Get-LabStateHash $lab relay | Should -Be $before
    }
}

Describe 'A second tunnel interface keeps the first one''s fence' -Tag Lab {
    # The relay's invariants after every test, whatever its own assertions said (tests/Lab: Assert-LabInvariant).
    BeforeEach { $script:invariantBefore = Get-LabInvariantState $lab }
    AfterEach { Assert-LabInvariant $lab $script:invariantBefore }

    It 'on the relay: wg1''s forward adds wg1 to the fenced tunnels and takes nothing of wg0''s, in either order' {
        $null = New-WireGuardConfig -For $relay1 -Peer $laptop | Install-WireGuardConfig -Session $vps -InterfaceName wg1
        $f0 = $homePeer | New-TunnelPortForward -Protocol Tcp -PublicPort 8080 -Port 3000
        $f1 = $laptop | New-TunnelPortForward -Protocol Tcp -PublicPort 8081 -Port 3000 -InterfaceName wg1
        ($f1 | Install-TunnelPortForward -Session $vps).State | Should -Be 'Created'
        ($f0 | Install-TunnelPortForward -Session $vps).State | Should -Be 'Created'
        $set = Invoke-LabHost $lab relay nft list set ip hometunnel tunnels | Out-String
        $set | Should -Match '"wg0"'
        $set | Should -Match '"wg1"'
        ($f1 | Uninstall-TunnelPortForward -Session $vps -Confirm:$false).State | Should -Be 'Removed'
        $set = Invoke-LabHost $lab relay nft list set ip hometunnel tunnels | Out-String
        $set | Should -Match '"wg0"'
        $set | Should -Not -Match '"wg1"'
        (Invoke-LabHttp $lab "http://$($a.Relay):8080/").Status | Should -Be '200'
        ($f0 | Uninstall-TunnelPortForward -Session $vps -Confirm:$false).State | Should -Be 'Removed'
        $null = Uninstall-WireGuardConfig -InterfaceName wg1 -Session $vps -Confirm:$false
    }

    It 'on the home machine: a fence on wg1 leaves wg0 fenced and opened as it was, and removing wg1 removes only wg1''s' {
        $fenced = { Invoke-LabHost $lab home nft list set inet hometunnel fenced | Out-String }
        (& $fenced) | Should -Match '"wg0"'
        $laptopSite = $laptop | New-ApacheProxySite -ServerName laptop.example.test -Port 3001
        ($laptopSite | Install-TunnelHomeFirewall -Session $box -RelayAddress 10.7.0.1 -InterfaceName wg1).State | Should -Be 'Created'
        (& $fenced) | Should -Match '"wg0"'
        (& $fenced) | Should -Match '"wg1"'
        Get-FromRelay 3000 | Should -Be '200'
        Get-FromRelay 3001 | Should -Be '000' -Because 'wg1''s opening is for wg1, not for the relay on wg0'
        (Uninstall-TunnelHomeFirewall -All -InterfaceName wg1 -Session $box -Confirm:$false).State | Should -Be 'Removed'
        (& $fenced) | Should -Match '"wg0"'
        (& $fenced) | Should -Not -Match '"wg1"'
        Get-FromRelay 3001 | Should -Be '000'
        (Invoke-LabHttp $lab "http://$($lab.SiteName)/").Status | Should -Be '200'
        (Get-ChildItem "$($lab.Hosts.home.Directory)/etc-hometunnel/home.d").Name | Sort-Object | Should -Be @('fence.wg0.nft', 'tcp-3000.wg0.nft')
    }
}
