BeforeAll {
    . $PSScriptRoot/Common.ps1
    $relay = New-TunnelPeer -Name relay -Role Relay -Address 192.168.4.1/24 -ListenPort 51820 -Endpoint vps.example.com
    $homePeer = New-TunnelPeer -Name home -Role Home -Address 192.168.4.2/32
    $relayConfig = New-WireGuardConfig -For $relay -Peer $homePeer
    $homeConfig = New-WireGuardConfig -For $homePeer -Peer $relay
}

Describe 'Test-TunnelConfig' {
    It 'finds nothing wrong with the seed setup' {
        $site = $homePeer | New-ApacheProxySite -ServerName site.example.com -Port 3000
        @(Test-TunnelConfig $relay, $homePeer, $relayConfig, $homeConfig, $site) | Should -HaveCount 0
        Test-TunnelConfig $relay, $homePeer, $relayConfig, $homeConfig -Quiet | Should -BeTrue
    }

    It 'takes peers and configs from the pipeline' {
        @($relay, $homePeer, $relayConfig, $homeConfig | Test-TunnelConfig) | Should -HaveCount 0
    }

    It 'finds <Check>' -ForEach @(
        @{ Check = 'DuplicatePublicKey'; Severity = 'Error'; Make = { $twin = New-TunnelPeer -Name twin -Role Home -Address 192.168.4.9/32 -PublicKey $homePeer.PublicKey; @($relay, $homePeer, $twin) } }
        @{ Check = 'DuplicateAddress'; Severity = 'Error'; Make = { @($relay, $homePeer, (New-TunnelPeer -Name h2 -Role Home -Address 192.168.4.2/32)) } }
        @{ Check = 'DuplicateName'; Severity = 'Warning'; Make = { @($relay, $homePeer, (New-TunnelPeer -Name home -Role Home -Address 192.168.4.3/32)) } }
        @{ Check = 'AddressOutsideSubnet'; Severity = 'Error'; Make = { @($relay, (New-TunnelPeer -Name far -Role Home -Address 10.9.9.2/32)) } }
        @{ Check = 'AllowedIPsOverlap'; Severity = 'Error'; Make = { @($relay, $homePeer, (New-TunnelPeer -Name wide -Role Home -Address 192.168.4.3/32 -AllowedIPs 192.168.4.0/30)) } }
        @{ Check = 'RelayWithoutEndpoint'; Severity = 'Error'; Make = { @((New-TunnelPeer -Name r -Role Relay -Address 192.168.4.1/24), $homePeer) } }
        @{ Check = 'HomeWithoutKeepalive'; Severity = 'Warning'; Make = { @($relay, (New-TunnelPeer -Name quiet -Role Home -Address 192.168.4.5/32 -PersistentKeepalive 0)) } }
        @{ Check = 'KeysDoNotPairUp'; Severity = 'Error'; Make = { $other = New-TunnelPeer -Name other -Role Home -Address 192.168.4.7/32; @($relayConfig, (New-WireGuardConfig -For $homePeer -Peer $relay), (New-WireGuardConfig -For $relay -Peer $other)) | Select-Object -Skip 1 } }
        @{ Check = 'PresharedKeyMismatch'; Severity = 'Error'; Make = { $a = New-TunnelPeer -Name home -Role Home -Address 192.168.4.2/32 -PrivateKey $homePeer.PrivateKey -PresharedKey; @((New-WireGuardConfig -For $relay -Peer $a), (New-WireGuardConfig -For $homePeer -Peer $relay)) } }
        @{ Check = 'PeerWithoutEndpoint'; Severity = 'Error'; Make = { @(ConvertFrom-WireGuardConfig "[Interface]`nPrivateKey = $($homePeer.PrivateKey.RevealBase64())`nAddress = 192.168.4.2/32`n[Peer]`nPublicKey = $($relay.PublicKey)`nAllowedIPs = 192.168.4.1/32`n") } }
        @{ Check = 'UnknownSetting'; Severity = 'Warning'; Make = { @(ConvertFrom-WireGuardConfig ($relayConfig.RevealText() + "Frobnicate = 1`n")) } }
        @{ Check = 'DuplicateServerName'; Severity = 'Error'; Make = { @(($homePeer | New-ApacheProxySite -ServerName a.test -Port 1), ($homePeer | New-ApacheProxySite -ServerName b.test -ServerAlias a.test -Port 2)) } }
        @{ Check = 'BackendNotInTunnel'; Severity = 'Warning'; Make = { @($relay, $homePeer, (New-ApacheProxySite -ServerName a.test -Backend http://10.9.9.9:80/)) } }
        @{ Check = 'InterfaceWithoutPrivateKey'; Severity = 'Error'; Make = { @(ConvertFrom-WireGuardConfig "[Interface]`nListenPort = 51820`n") } }
    ) {
        $inputs = & $Make
        $findings = @(Test-TunnelConfig $inputs | Where-Object Check -EQ $Check)
        $findings.Count | Should -BeGreaterThan 0
        $findings[0].Severity | Should -Be $Severity
        $findings[0].Message | Should -Not -BeNullOrEmpty
        $findings[0].Target | Should -Not -BeNullOrEmpty
        Test-TunnelConfig $inputs -Quiet | Should -Be ($Severity -eq 'Warning' -and -not (Test-TunnelConfig $inputs | Where-Object Severity -EQ Error))
    }

    It 'rejects input it cannot check' {
        Assert-HomeTunnelError (Get-ErrorRecord { Test-TunnelConfig 'hello' }) 'InputNotTestable' 'InvalidArgument' 'hello'
    }
}
