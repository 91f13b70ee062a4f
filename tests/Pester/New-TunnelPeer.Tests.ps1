BeforeAll {
    . $PSScriptRoot/Common.ps1
}

Describe 'New-TunnelPeer' {
    It 'makes a relay with fresh keys and the default ListenPort' {
        $relay = New-TunnelPeer -Name relay -Role Relay -Address 192.168.4.1/24 -Endpoint vps.example.com
        $relay.Role | Should -Be 'Relay'
        $relay.ListenPort | Should -Be 51820
        $relay.Endpoint.ToString() | Should -Be 'vps.example.com:51820'
        $relay.HasPrivateKey | Should -BeTrue
        $relay.AllowedIPs.ForEach({ "$_" }) | Should -Be @('192.168.4.1/32')
        $relay.PersistentKeepalive | Should -BeNullOrEmpty
    }

    It 'takes a private key kept as a SecureString (what Get-Secret returns), and refuses a bad one without showing it' {
        $pair = New-TunnelKeyPair
        $secure = ConvertTo-SecureString $pair.PrivateKey.RevealBase64() -AsPlainText -Force
        $peer = New-TunnelPeer -Name home -Role Home -Address 192.168.4.2/32 -PrivateKey $secure
        $peer.PublicKey | Should -Be $pair.PublicKey
        $bad = ConvertTo-SecureString ($pair.PrivateKey.RevealBase64().Substring(0, 40) + 'AA=') -AsPlainText -Force
        $e = Get-ErrorRecord { New-TunnelPeer -Name home -Role Home -Address 192.168.4.2/32 -PrivateKey $bad }
        $e.FullyQualifiedErrorId | Should -BeLike 'KeyWrongLength,*'
        ($e | Format-List * -Force | Out-String) | Should -Not -Match ([regex]::Escape($pair.PrivateKey.RevealBase64().Substring(0, 40)))
    }

    It 'gives a home peer keepalive 25 unless told otherwise' {
        (New-TunnelPeer -Name home -Role Home -Address 192.168.4.2/32).PersistentKeepalive | Should -Be 25
        (New-TunnelPeer -Name home -Role Home -Address 192.168.4.2/32 -PersistentKeepalive 0).PersistentKeepalive | Should -Be 0
    }

    It 'takes the endpoint port from the ListenPort when the endpoint has none' {
        (New-TunnelPeer -Name r -Role Relay -Address 10.0.0.1/24 -ListenPort 4500 -Endpoint relay.test).Endpoint | Should -Be 'relay.test:4500'
        (New-TunnelPeer -Name r -Role Relay -Address 10.0.0.1/24 -ListenPort 4500 -Endpoint relay.test:51000).Endpoint | Should -Be 'relay.test:51000'
    }

    It 'accepts IPv6 addresses and [v6]:port endpoints' {
        $p = New-TunnelPeer -Name r6 -Role Relay -Address fd00:4::1/64 -Endpoint '[2001:db8::1]:51820'
        "$($p.Address)" | Should -Be 'fd00:4::1/64'
        "$($p.Endpoint)" | Should -Be '[2001:db8::1]:51820'
        $p.AllowedIPs.ForEach({ "$_" }) | Should -Be @('fd00:4::1/128')
    }

    It 'normalises an endpoint name (case, trailing dot, IDN)' {
        "$((New-TunnelPeer -Name r -Role Relay -Address 10.0.0.1/24 -Endpoint 'VPS.Example.COM.').Endpoint)" | Should -Be 'vps.example.com:51820'
        "$((New-TunnelPeer -Name r -Role Relay -Address 10.0.0.1/24 -Endpoint 'bücher.example').Endpoint)" | Should -Be 'xn--bcher-kva.example:51820'
    }

    It 'keeps a given key pair, and a public key alone leaves no private key' {
        $pair = New-TunnelKeyPair
        (New-TunnelPeer -Name a -Role Home -Address 10.0.0.2 -PrivateKey $pair.PrivateKey).PublicKey | Should -BeExactly $pair.PublicKey
        (New-TunnelPeer -Name a -Role Home -Address 10.0.0.2 -PrivateKey $pair.PrivateKey.RevealBase64()).PublicKey | Should -BeExactly $pair.PublicKey
        $pub = New-TunnelPeer -Name a -Role Home -Address 10.0.0.2 -PublicKey $pair.PublicKey
        $pub.HasPrivateKey | Should -BeFalse
        $pub.PublicKey | Should -BeExactly $pair.PublicKey
    }

    It 'makes a preshared key on request' {
        (New-TunnelPeer -Name a -Role Home -Address 10.0.0.2 -PresharedKey).HasPresharedKey | Should -BeTrue
    }

    It 'binds peers from CSV rows by property name' {
        $rows = @'
Name,Role,Address,ListenPort,Endpoint
relay,Relay,192.168.4.1/24,51820,vps.example.test
home,Home,192.168.4.2/32,,
'@ | ConvertFrom-Csv
        $peers = $rows | New-TunnelPeer
        $peers.Name | Should -Be @('relay', 'home')
        $peers[0].ListenPort | Should -Be 51820
    }

    It 'rejects <Case> with <ErrorId>' -ForEach @(
        @{ Case = 'an address that is not an IP'; Params = @{ Address = 'home.lan' }; ErrorId = 'AddressInvalid'; Target = 'home.lan' }
        @{ Case = 'a shortened IPv4 address'; Params = @{ Address = '10.1/8' }; ErrorId = 'AddressInvalid'; Target = '10.1/8' }
        @{ Case = 'an octal-looking IPv4 address'; Params = @{ Address = '010.0.0.1/8' }; ErrorId = 'AddressInvalid'; Target = '010.0.0.1/8' }
        @{ Case = 'an IPv6 zone id'; Params = @{ Address = 'fe80::1%eth0/64' }; ErrorId = 'AddressInvalid'; Target = 'fe80::1%eth0/64' }
        @{ Case = 'a prefix over 32'; Params = @{ Address = '10.0.0.2/33' }; ErrorId = 'AddressPrefixInvalid'; Target = '10.0.0.2/33' }
        @{ Case = 'an IPv6 prefix over 128'; Params = @{ Address = 'fd00::2/129' }; ErrorId = 'AddressPrefixInvalid'; Target = 'fd00::2/129' }
        @{ Case = 'an empty prefix'; Params = @{ Address = '10.0.0.2/' }; ErrorId = 'AddressPrefixInvalid'; Target = '10.0.0.2/' }
        @{ Case = 'a ListenPort of 0'; Params = @{ ListenPort = 0 }; ErrorId = 'ListenPortOutOfRange'; Target = 0 }
        @{ Case = 'a ListenPort of 70000'; Params = @{ ListenPort = 70000 }; ErrorId = 'ListenPortOutOfRange'; Target = 70000 }
        @{ Case = 'an endpoint port of 0'; Params = @{ Endpoint = 'relay.test:0' }; ErrorId = 'EndpointPortInvalid'; Target = 'relay.test:0' }
        @{ Case = 'an endpoint port that is text'; Params = @{ Endpoint = 'relay.test:http' }; ErrorId = 'EndpointPortInvalid'; Target = 'relay.test:http' }
        @{ Case = 'a bare IPv6 endpoint'; Params = @{ Endpoint = '2001:db8::1:51820' }; ErrorId = 'EndpointIPv6NeedsBrackets'; Target = '2001:db8::1:51820' }
        @{ Case = 'an unclosed bracket'; Params = @{ Endpoint = '[2001:db8::1:51820' }; ErrorId = 'EndpointInvalid'; Target = '[2001:db8::1:51820' }
        @{ Case = 'an endpoint host with a space'; Params = @{ Endpoint = 'relay test:51820' }; ErrorId = 'EndpointHostHasForbiddenCharacter'; Target = 'relay test' }
        @{ Case = 'an endpoint host with a newline'; Params = @{ Endpoint = "relay.test`nPostUp=x" }; ErrorId = 'EndpointHostHasForbiddenCharacter'; Target = "relay.test`nPostUp=x" }
        @{ Case = 'an endpoint label over 63'; Params = @{ Endpoint = ('a' * 64) + '.test' }; ErrorId = 'EndpointHostLabelLength' }
        @{ Case = 'a keepalive over 65535'; Params = @{ PersistentKeepalive = 65536 }; ErrorId = 'KeepaliveOutOfRange'; Target = 65536 }
        @{ Case = 'an MTU below 576'; Params = @{ Mtu = 575 }; ErrorId = 'MtuOutOfRange'; Target = 575 }
        @{ Case = 'an MTU under 1280 with an IPv6 address'; Params = @{ Address = '192.168.4.1/24', 'fd00:4::1/64'; Mtu = 1220 }; ErrorId = 'MtuTooSmallForIPv6'; Target = 1220 }
        @{ Case = 'a name with a newline'; Params = @{ Name = "home`n[Peer]" }; ErrorId = 'PeerNameInvalid'; Target = "home`n[Peer]" }
        @{ Case = 'a name with a slash'; Params = @{ Name = '../etc' }; ErrorId = 'PeerNameInvalid'; Target = '../etc' }
        @{ Case = 'an AllowedIPs entry that is not a network'; Params = @{ AllowedIPs = 'everything' }; ErrorId = 'AddressInvalid'; Target = 'everything' }
    ) {
        $p = @{ Name = 'relay'; Role = 'Relay'; Address = '192.168.4.1/24' } + @{}
        foreach ($k in $Params.Keys) { $p[$k] = $Params[$k] }
        $record = Get-ErrorRecord { New-TunnelPeer @p }
        if ($_.ContainsKey('Target')) {
            Assert-HomeTunnelError $record $ErrorId 'InvalidArgument' $Target
        }
        else {
            Assert-HomeTunnelError $record $ErrorId 'InvalidArgument'
        }
    }

    It 'rejects a public key that does not belong to the private key' {
        $a = New-TunnelKeyPair; $b = New-TunnelKeyPair
        $record = Get-ErrorRecord { New-TunnelPeer -Name x -Role Home -Address 10.0.0.2 -PrivateKey $a.PrivateKey -PublicKey $b.PublicKey }
        Assert-HomeTunnelError $record 'KeyPairMismatch' 'InvalidArgument' $b.PublicKey
    }

    It 'rejects a private key of the wrong type' {
        $record = Get-ErrorRecord { New-TunnelPeer -Name x -Role Home -Address 10.0.0.2 -PrivateKey 42 }
        Assert-HomeTunnelError $record 'PrivateKeyWrongType' 'InvalidArgument'
    }
}

Describe 'Dual stack: -Address takes a list, as wg-quick''s Address does' {
    It 'keeps every address, routes each as a host route, and writes them into both configs' {
        $relay = New-TunnelPeer -Name relay -Role Relay -Address 192.168.4.1/24, fd00:4::1/64 -Endpoint vps.example.com
        $dual = New-TunnelPeer -Name home -Role Home -Address '192.168.4.5/32', 'fd00:4::5/128'
        $dual.Address.ToString() | Should -Be '192.168.4.5/32' -Because 'the first address is the one sites proxy to'
        $dual.Addresses.ForEach({ $_.ToString() }) | Should -Be @('192.168.4.5/32', 'fd00:4::5/128')
        $dual.AllowedIPs.ForEach({ $_.ToString() }) | Should -Be @('192.168.4.5/32', 'fd00:4::5/128')
        (New-WireGuardConfig -For $dual -Peer $relay).Text | Should -Match '(?m)^Address = 192\.168\.4\.5/32, fd00:4::5/128$'
        (New-WireGuardConfig -For $relay -Peer $dual).Text | Should -Match '(?m)^AllowedIPs = 192\.168\.4\.5/32, fd00:4::5/128$'
        (New-WireGuardConfig -For $relay -Peer $dual).Text | Should -Match '(?m)^Address = 192\.168\.4\.1/24, fd00:4::1/64$'
    }

    It 'keeps both through the peer file, and one address stays as it was written before' {
        $dual = New-TunnelPeer -Name home -Role Home -Address '192.168.4.5/32', 'fd00:4::5/128'
        $file = Join-Path $TestDrive 'dual.json'
        $dual | Export-TunnelPeer $file -IncludePrivateKey
        (Get-Content -Raw $file | ConvertFrom-Json).Peers[0].Addresses | Should -Be @('192.168.4.5/32', 'fd00:4::5/128')
        (Import-TunnelPeer $file).Addresses.ForEach({ $_.ToString() }) | Should -Be @('192.168.4.5/32', 'fd00:4::5/128')
        $single = Join-Path $TestDrive 'single.json'
        New-TunnelPeer -Name h1 -Role Home -Address 192.168.4.6/32 | Export-TunnelPeer $single
        (Get-Content -Raw $single | ConvertFrom-Json).Peers[0].PSObject.Properties.Name | Should -Not -Contain 'Addresses'
    }

    It 'refuses an address given twice, and a bad one among good ones' {
        (Get-ErrorRecord { New-TunnelPeer -Name h -Role Home -Address 192.168.4.5/32, 192.168.4.5/32 }).FullyQualifiedErrorId | Should -BeLike 'DuplicateAddress,*'
        $e = Get-ErrorRecord { New-TunnelPeer -Name h -Role Home -Address 192.168.4.5/32, 'fd00::zz/128' }
        $e.FullyQualifiedErrorId | Should -BeLike 'AddressInvalid,*'
        $e.TargetObject | Should -Be 'fd00::zz/128'
    }
}
