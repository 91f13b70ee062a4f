BeforeAll {
    . $PSScriptRoot/Common.ps1
    $relay = New-TunnelPeer -Name relay -Role Relay -Address 192.168.4.1/24 -ListenPort 51820 -Endpoint vps.example.com
    $homePeer = New-TunnelPeer -Name home -Role Home -Address 192.168.4.2/32 -PresharedKey
    $dir = Join-Path ([IO.Path]::GetTempPath()) "ht-$([Guid]::NewGuid().ToString('N'))"
    New-Item -ItemType Directory $dir | Out-Null
}
AfterAll { Remove-Item $dir -Recurse -Force -ErrorAction Ignore }

Describe 'Export-TunnelPeer and Import-TunnelPeer' {
    It 'keep peers so that a second run makes byte-identical configs' {
        $path = Join-Path $dir 'peers.json'
        $relay, $homePeer | Export-TunnelPeer -Path $path -IncludePrivateKey
        $relay2, $home2 = Import-TunnelPeer -Path $path
        (New-WireGuardConfig -For $relay2 -Peer $home2).RevealText() | Should -BeExactly (New-WireGuardConfig -For $relay -Peer $homePeer).RevealText()
        (New-WireGuardConfig -For $home2 -Peer $relay2).RevealText() | Should -BeExactly (New-WireGuardConfig -For $homePeer -Peer $relay).RevealText()
    }

    It 'creates a file with private keys as mode 0600' -Skip:(-not $IsLinux) {
        $path = Join-Path $dir 'secret.json'
        $relay | Export-TunnelPeer -Path $path -IncludePrivateKey
        stat -c '%a' $path | Should -Be '600'
    }

    It 'leaves private and preshared keys out unless asked' {
        $path = Join-Path $dir 'public.json'
        $relay, $homePeer | Export-TunnelPeer -Path $path
        $text = Get-Content -Raw $path
        $text | Should -Not -Match ([regex]::Escape($relay.PrivateKey.RevealBase64()))
        $text | Should -Not -Match ([regex]::Escape($homePeer.PresharedKey.RevealBase64()))
        $text | Should -Match ([regex]::Escape($relay.PublicKey))
        $peers = Import-TunnelPeer $path
        $peers.HasPrivateKey | Should -Be @($false, $false)
    }

    It 'writes keys exactly as wg prints them (a ''+'' is not escaped), so a leak check by text is sound' {
        do { $p = New-TunnelPeer -Name plus -Role Home -Address 192.168.4.7/32 } until ($p.PublicKey.Contains('+') -and $p.PrivateKey.RevealBase64().Contains('+'))
        $path = Join-Path $dir 'plus.json'
        $p | Export-TunnelPeer -Path $path -IncludePrivateKey
        $text = Get-Content -Raw $path
        $text | Should -Match ([regex]::Escape($p.PublicKey))
        $text | Should -Match ([regex]::Escape($p.PrivateKey.RevealBase64()))
        $text | Should -Not -Match '\\u002B'
    }

    It 'does not overwrite without -Force' {
        $path = Join-Path $dir 'once.json'
        $relay | Export-TunnelPeer -Path $path
        $record = Get-ErrorRecord { $relay | Export-TunnelPeer -Path $path }
        Assert-HomeTunnelError $record 'FileExists' 'ResourceExists' $path
        { $relay | Export-TunnelPeer -Path $path -Force } | Should -Not -Throw
    }

    It 'writes nothing with -WhatIf' {
        $path = Join-Path $dir 'whatif.json'
        $relay | Export-TunnelPeer -Path $path -WhatIf
        Test-Path $path | Should -BeFalse
    }

    It 'warns when a file with private keys is readable by others' -Skip:(-not $IsLinux) {
        $path = Join-Path $dir 'open.json'
        $relay | Export-TunnelPeer -Path $path -IncludePrivateKey
        chmod 644 $path
        $null = Import-TunnelPeer $path -WarningVariable warnings -WarningAction SilentlyContinue
        $warnings | Should -HaveCount 1
        "$warnings" | Should -Match 'chmod 600'
    }

    It 'rejects a file that is not a peer file' {
        $path = Join-Path $dir 'junk.json'
        Set-Content $path 'not json at all'
        Assert-HomeTunnelError (Get-ErrorRecord { Import-TunnelPeer $path }) 'PeerFileInvalid' 'InvalidData' $path
        Set-Content $path '{"formatVersion": 99, "peers": []}'
        Assert-HomeTunnelError (Get-ErrorRecord { Import-TunnelPeer $path }) 'PeerFileVersion' 'InvalidData' $path
    }

    It 'validates what it imports as New-TunnelPeer does' {
        $path = Join-Path $dir 'hostile.json'
        Set-Content $path ('{"formatVersion":1,"peers":[{"name":"x","role":"Home","publicKey":"' + $relay.PublicKey + '","address":"10.0.0.2/32\nPostUp = evil"}]}')
        Assert-HomeTunnelError (Get-ErrorRecord { Import-TunnelPeer $path }) 'AddressInvalid' 'InvalidArgument' "10.0.0.2/32`nPostUp = evil"
    }
}
