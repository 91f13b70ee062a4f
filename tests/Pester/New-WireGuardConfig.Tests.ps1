BeforeAll {
    . $PSScriptRoot/Common.ps1
    $relay = New-TunnelPeer -Name relay -Role Relay -Address 192.168.4.1/24 -ListenPort 51820 -Endpoint vps.example.com
    $homePeer = New-TunnelPeer -Name home -Role Home -Address 192.168.4.2/32 -PersistentKeepalive 25
}

Describe 'New-WireGuardConfig' {
    It 'renders the seed relay config: ListenPort and the home peer as a /32' {
        $config = New-WireGuardConfig -For $relay -Peer $homePeer
        $config.RevealText() | Should -BeExactly (@(
                '# Managed by HomeTunnel'
                '[Interface]'
                '# Name = relay'
                "PrivateKey = $($relay.PrivateKey.RevealBase64())"
                'Address = 192.168.4.1/24'
                'ListenPort = 51820'
                ''
                '[Peer]'
                '# Name = home'
                "PublicKey = $($homePeer.PublicKey)"
                'AllowedIPs = 192.168.4.2/32'
                ''
            ) -join "`n")
    }

    It 'renders the seed home config: Endpoint and PersistentKeepalive 25' {
        $config = New-WireGuardConfig -For $homePeer -Peer $relay
        $config.RevealText() | Should -BeExactly (@(
                '# Managed by HomeTunnel'
                '[Interface]'
                '# Name = home'
                "PrivateKey = $($homePeer.PrivateKey.RevealBase64())"
                'Address = 192.168.4.2/32'
                ''
                '[Peer]'
                '# Name = relay'
                "PublicKey = $($relay.PublicKey)"
                'AllowedIPs = 192.168.4.1/32'
                'Endpoint = vps.example.com:51820'
                'PersistentKeepalive = 25'
                ''
            ) -join "`n")
    }

    It 'redacts the private key in Text and in the default view' {
        $config = New-WireGuardConfig -For $relay -Peer $homePeer
        $config.Text | Should -Match 'PrivateKey = \(redacted\)'
        ($config | Format-List * | Out-String) + ($config | ConvertTo-Json -Depth 6 -WarningAction Ignore) | Should -Not -Match ([regex]::Escape($relay.PrivateKey.RevealBase64()))
    }

    It 'gives byte-identical text for the same objects' {
        $a = (New-WireGuardConfig -For $relay -Peer $homePeer).RevealText()
        $b = (New-WireGuardConfig -For $relay -Peer $homePeer).RevealText()
        [Text.Encoding]::UTF8.GetBytes($a) | Should -Be ([Text.Encoding]::UTF8.GetBytes($b))
    }

    It 'takes peers from the pipeline and skips the interface''s own peer' {
        $home2 = New-TunnelPeer -Name home2 -Role Home -Address 192.168.4.3/32
        $config = $relay, $homePeer, $home2 | New-WireGuardConfig -For $relay
        $config.Peers.Name | Should -Be @('home', 'home2')
    }

    It 'uses one preshared key for both ends of a pair' {
        $r = New-TunnelPeer -Name r -Role Relay -Address 10.4.0.1/24 -Endpoint r.test -PresharedKey
        $h = New-TunnelPeer -Name h -Role Home -Address 10.4.0.2/32 -PresharedKey
        $rc = New-WireGuardConfig -For $r -Peer $h
        $hc = New-WireGuardConfig -For $h -Peer $r
        $rc.Peers[0].PresharedKey.RevealBase64() | Should -BeExactly $hc.Peers[0].PresharedKey.RevealBase64()
        $rc.Text | Should -Match 'PresharedKey = \(redacted\)'
    }

    It 'refuses a peer given twice' {
        $record = Get-ErrorRecord { New-WireGuardConfig -For $relay -Peer $homePeer, $homePeer }
        Assert-HomeTunnelError $record 'DuplicatePeer' 'InvalidArgument' $homePeer.PublicKey
    }

    It 'refuses a peer whose private key is not here' {
        $public = New-TunnelPeer -Name relay -Role Relay -Address 192.168.4.1/24 -PublicKey $relay.PublicKey
        $record = Get-ErrorRecord { New-WireGuardConfig -For $public -Peer $homePeer }
        Assert-HomeTunnelError $record 'PrivateKeyMissing' 'InvalidArgument' 'relay'
    }
}

Describe 'Rendered configs are accepted by the real wg tools' -Tag Lab {
    BeforeAll {
        # Endpoints are documentation addresses: the sandbox namespace has no route anywhere, and no name is resolved.
        $relay = New-TunnelPeer -Name relay -Role Relay -Address 192.168.4.1/24 -ListenPort 51820 -Endpoint 203.0.113.10
        $sandbox = New-WgSandbox
        $dir = Join-Path ([IO.Path]::GetTempPath()) "ht-$([Guid]::NewGuid().ToString('N'))"
        New-Item -ItemType Directory $dir | Out-Null
    }
    AfterAll {
        Remove-WgSandbox $sandbox
        Remove-Item $dir -Recurse -Force -ErrorAction Ignore
    }

    It 'wg-quick strip then wg setconf loads <Name>, and wg showconf shows what was asked' -ForEach @(
        @{ Name = 'the relay side'; Side = 'relay' }
        @{ Name = 'the home side'; Side = 'home' }
        @{ Name = 'a relay with 20 IPv4 and IPv6 peers and preshared keys'; Side = 'many' }
    ) {
        $config = switch ($Side) {
            'relay' { New-WireGuardConfig -For $relay -Peer $homePeer }
            'home' { New-WireGuardConfig -For $homePeer -Peer $relay }
            'many' {
                $r = New-TunnelPeer -Name r -Role Relay -Address 10.77.0.1/24 -Endpoint r.test -ListenPort 41000
                $peers = 1..20 | ForEach-Object {
                    New-TunnelPeer -Name "h$_" -Role Home -Address "10.77.0.$($_ + 1)/32" -AllowedIPs "10.77.0.$($_ + 1)/32", "fd77::$($_ + 1)/128" -PresharedKey
                }
                New-WireGuardConfig -For $r -Peer $peers
            }
        }
        $file = Join-Path $dir "$($sandbox.Interface).conf"
        $config | Export-WireGuardConfig -Path $file -Force
        $stripped = wg-quick strip $file 2>$null
        $LASTEXITCODE | Should -Be 0
        # wg-quick keeps comments and blank lines in what it hands to wg; the settings must be ours exactly.
        @($stripped | Where-Object { $_ -and $_ -notmatch '^\s*#' }) | Should -BeExactly @($config.RevealStrippedText() -split "`n" | Where-Object { $_ })
        $strippedFile = Join-Path $dir 'stripped.conf'
        Set-Content -LiteralPath $strippedFile -Value $stripped
        ip netns exec $sandbox.Namespace wg setconf $sandbox.Interface $strippedFile
        $LASTEXITCODE | Should -Be 0
        $shown = ip netns exec $sandbox.Namespace wg showconf $sandbox.Interface | ConvertFrom-WireGuardConfig
        $shown.PrivateKey.RevealBase64() | Should -BeExactly $config.PrivateKey.RevealBase64()
        if ($config.ListenPort) { $shown.ListenPort | Should -Be $config.ListenPort }
        $shown.Peers | Should -HaveCount $config.Peers.Count
        foreach ($p in $config.Peers) {
            $s = $shown.Peers | Where-Object PublicKey -EQ $p.PublicKey
            $s | Should -Not -BeNullOrEmpty
            ($s.AllowedIPs | ForEach-Object ToString | Sort-Object) | Should -Be ($p.AllowedIPs | ForEach-Object ToString | Sort-Object)
            $s.PersistentKeepalive | Should -Be $p.PersistentKeepalive
            if ($p.PresharedKey) { $s.PresharedKey.RevealBase64() | Should -BeExactly $p.PresharedKey.RevealBase64() }
        }
    }
}
