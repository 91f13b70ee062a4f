# Bad input, every cmdlet that takes user text: each case ends where a host would be changed (an Install
# on the lab's relay or home machine), gets an ErrorRecord with a category, its own FullyQualifiedErrorId
# and the offending value as target, and leaves both hosts exactly as they were (hash of /etc/wireguard
# and /etc/apache2). Nothing typed here reaches a remote shell: the agent runs programs with argument
# lists, and these values never get that far.
BeforeDiscovery {
    $k = 'QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE='   # a syntactically valid key, for shapes only
    $script:Cases = @(
        # New-TunnelPeer
        @{ Case = 'peer name with a slash'; Id = 'PeerNameInvalid'; Target = 'a/b'; Run = { New-TunnelPeer -Name 'a/b' -Role Home -Address 192.168.4.9/32 | New-WireGuardConfig -For $relayPeer | Install-WireGuardConfig -Session $vps } }
        @{ Case = 'peer name with a newline'; Id = 'PeerNameInvalid'; Target = "a`nb"; Run = { New-TunnelPeer -Name "a`nb" -Role Home -Address 192.168.4.9/32 | New-WireGuardConfig -For $relayPeer | Install-WireGuardConfig -Session $vps } }
        @{ Case = 'address out of range'; Id = 'AddressInvalid'; Target = '300.1.1.1/32'; Run = { New-TunnelPeer -Name x -Role Home -Address 300.1.1.1/32 | New-WireGuardConfig -For $relayPeer | Install-WireGuardConfig -Session $vps } }
        @{ Case = 'prefix too long'; Id = 'AddressPrefixInvalid'; Target = '10.0.0.1/33'; Run = { New-TunnelPeer -Name x -Role Home -Address 10.0.0.1/33 | New-WireGuardConfig -For $relayPeer | Install-WireGuardConfig -Session $vps } }
        @{ Case = 'address with a shell tail'; Id = 'AddressPrefixInvalid'; Target = '10.0.0.1/24; rm -rf /'; Run = { New-TunnelPeer -Name x -Role Home -Address '10.0.0.1/24; rm -rf /' | New-WireGuardConfig -For $relayPeer | Install-WireGuardConfig -Session $vps } }
        @{ Case = 'AllowedIPs not an address'; Id = 'AddressInvalid'; Target = 'everything'; Run = { New-TunnelPeer -Name x -Role Home -Address 192.168.4.9/32 -AllowedIPs everything | New-WireGuardConfig -For $relayPeer | Install-WireGuardConfig -Session $vps } }
        @{ Case = 'listen port 70000'; Id = 'ListenPortOutOfRange'; Target = 70000; Run = { New-WireGuardConfig -For (New-TunnelPeer -Name r -Role Relay -Address 192.168.4.1/24 -ListenPort 70000 -Endpoint x.example) -Peer $homePeer | Install-WireGuardConfig -Session $vps } }
        @{ Case = 'endpoint port 99999'; Id = 'EndpointPortInvalid'; Target = 'vps.example.com:99999'; Run = { New-TunnelPeer -Name r -Role Relay -Address 192.168.4.1/24 -Endpoint vps.example.com:99999 | Install-WireGuardConfig -Session $box } }
        @{ Case = 'endpoint with a space'; Id = 'EndpointHostHasForbiddenCharacter'; Target = 'vps example.com'; Run = { New-TunnelPeer -Name r -Role Relay -Address 192.168.4.1/24 -Endpoint 'vps example.com' | Install-WireGuardConfig -Session $box } }
        @{ Case = 'endpoint smuggling a PostUp line'; Id = 'EndpointHostHasForbiddenCharacter'; Target = "vps.example.com`nPostUp = id"; Run = { New-TunnelPeer -Name r -Role Relay -Address 192.168.4.1/24 -Endpoint "vps.example.com`nPostUp = id" | Install-WireGuardConfig -Session $box } }
        @{ Case = 'keepalive 70000'; Id = 'KeepaliveOutOfRange'; Target = 70000; Run = { New-TunnelPeer -Name x -Role Home -Address 192.168.4.9/32 -PersistentKeepalive 70000 | New-WireGuardConfig -For $relayPeer | Install-WireGuardConfig -Session $vps } }
        @{ Case = 'MTU 100'; Id = 'MtuOutOfRange'; Target = 100; Run = { New-TunnelPeer -Name x -Role Home -Address 192.168.4.9/32 -Mtu 100 | New-WireGuardConfig -For $relayPeer | Install-WireGuardConfig -Session $vps } }
        @{ Case = 'public key too short'; Id = 'KeyWrongLength'; Target = 'c2hvcnQ='; Run = { New-TunnelPeer -Name x -Role Home -Address 192.168.4.9/32 -PublicKey 'c2hvcnQ=' | New-WireGuardConfig -For $relayPeer | Install-WireGuardConfig -Session $vps } }
        @{ Case = 'public key with a space inside'; Id = 'KeyHasWhiteSpace'; Run = { New-TunnelPeer -Name x -Role Home -Address 192.168.4.9/32 -PublicKey ($k.Substring(0, 20) + ' ' + $k.Substring(20)) | New-WireGuardConfig -For $relayPeer | Install-WireGuardConfig -Session $vps } }
        @{ Case = 'public key not base64'; Id = 'KeyNotBase64'; Run = { New-TunnelPeer -Name x -Role Home -Address 192.168.4.9/32 -PublicKey ('!' * 43 + '=') | New-WireGuardConfig -For $relayPeer | Install-WireGuardConfig -Session $vps } }
        @{ Case = 'public key that does not match the private key'; Id = 'KeyPairMismatch'; Run = { New-TunnelPeer -Name x -Role Home -Address 192.168.4.9/32 -PrivateKey (New-TunnelKeyPair).PrivateKey -PublicKey (New-TunnelKeyPair).PublicKey | New-WireGuardConfig -For $relayPeer | Install-WireGuardConfig -Session $vps } }
        @{ Case = 'private key as a number'; Id = 'PrivateKeyWrongType'; Run = { New-TunnelPeer -Name x -Role Home -Address 192.168.4.9/32 -PrivateKey 42 | New-WireGuardConfig -For $relayPeer | Install-WireGuardConfig -Session $vps } }
        @{ Case = 'config for a peer without its private key'; Id = 'PrivateKeyMissing'; Run = { New-WireGuardConfig -For (New-TunnelPeer -Name x -Role Home -Address 192.168.4.9/32 -PublicKey (New-TunnelKeyPair).PublicKey) -Peer $relayPeer | Install-WireGuardConfig -Session $box } }
        # New-ApacheProxySite
        @{ Case = 'server name with a space'; Id = 'ServerName*'; Target = 'site example.com'; Run = { New-ApacheProxySite -ServerName 'site example.com' -Port 3000 -Address 192.168.4.2 | Install-ApacheProxySite -Session $vps } }
        @{ Case = 'server name smuggling a directive'; Id = 'ServerName*'; Target = "site.example.com`nInclude /etc/shadow"; Run = { New-ApacheProxySite -ServerName "site.example.com`nInclude /etc/shadow" -Port 3000 -Address 192.168.4.2 | Install-ApacheProxySite -Session $vps } }
        @{ Case = 'server name with a quote'; Id = 'ServerName*'; Target = 'site".example.com'; Run = { New-ApacheProxySite -ServerName 'site".example.com' -Port 3000 -Address 192.168.4.2 | Install-ApacheProxySite -Session $vps } }
        @{ Case = 'server name too long a label'; Id = 'ServerName*'; Run = { New-ApacheProxySite -ServerName ('a' * 64 + '.example.com') -Port 3000 -Address 192.168.4.2 | Install-ApacheProxySite -Session $vps } }
        @{ Case = 'alias with a slash'; Id = 'ServerAlias*'; Target = 'www/.example.com'; Run = { New-ApacheProxySite -ServerName site.example.com -ServerAlias 'www/.example.com' -Port 3000 -Address 192.168.4.2 | Install-ApacheProxySite -Session $vps } }
        @{ Case = 'wildcard server name'; Id = 'ServerNameWildcardNotAllowed'; Run = { New-ApacheProxySite -ServerName '*.example.com' -Port 3000 -Address 192.168.4.2 -Https | Install-ApacheProxySite -Session $vps } }
        @{ Case = 'backend with ftp scheme'; Id = 'BackendSchemeNotSupported'; Target = 'ftp://192.168.4.2/'; Run = { New-ApacheProxySite -ServerName site.example.com -Backend ftp://192.168.4.2/ | Install-ApacheProxySite -Session $vps } }
        @{ Case = 'backend with credentials'; Id = 'BackendHasCredentials'; Run = { New-ApacheProxySite -ServerName site.example.com -Backend 'http://u:p@192.168.4.2:3000/' | Install-ApacheProxySite -Session $vps } }
        @{ Case = 'backend with a query'; Id = 'BackendHasQuery'; Run = { New-ApacheProxySite -ServerName site.example.com -Backend 'http://192.168.4.2:3000/?a=1' | Install-ApacheProxySite -Session $vps } }
        @{ Case = 'backend port 99999'; Id = 'BackendPortInvalid'; Run = { New-ApacheProxySite -ServerName site.example.com -Backend 'http://192.168.4.2:99999/' | Install-ApacheProxySite -Session $vps } }
        @{ Case = 'backend with a space'; Id = 'BackendHasForbiddenCharacter'; Run = { New-ApacheProxySite -ServerName site.example.com -Backend 'http://192.168.4.2:3000/a b' | Install-ApacheProxySite -Session $vps } }
        @{ Case = 'backend with a newline'; Id = 'Backend*'; Run = { New-ApacheProxySite -ServerName site.example.com -Backend "http://192.168.4.2:3000/`nProxyRequests On" | Install-ApacheProxySite -Session $vps } }
        @{ Case = 'no backend at all'; Id = 'BackendMissing'; Run = { New-ApacheProxySite -ServerName site.example.com | Install-ApacheProxySite -Session $vps } }
        @{ Case = 'address without a port'; Id = 'PortMissing'; Run = { New-ApacheProxySite -ServerName site.example.com -Address 192.168.4.2 | Install-ApacheProxySite -Session $vps } }
        @{ Case = 'path without a leading slash'; Id = 'Path*'; Target = 'git/'; Run = { New-ApacheProxySite -ServerName site.example.com -Port 3000 -Address 192.168.4.2 -Path 'git/' | Install-ApacheProxySite -Session $vps } }
        @{ Case = 'path with a space'; Id = 'Path*'; Run = { New-ApacheProxySite -ServerName site.example.com -Port 3000 -Address 192.168.4.2 -Path '/a b/' | Install-ApacheProxySite -Session $vps } }
        @{ Case = 'certificate without its key'; Id = 'TlsFilesIncomplete'; Run = { New-ApacheProxySite -ServerName site.example.com -Port 3000 -Address 192.168.4.2 -Https -CertificateFile /etc/ssl/x.pem | Install-ApacheProxySite -Session $vps } }
        @{ Case = 'certificate path with a quote'; Id = 'CertificateFile*'; Run = { New-ApacheProxySite -ServerName site.example.com -Port 3000 -Address 192.168.4.2 -Https -CertificateFile '/etc/ssl/x".pem' -CertificateKeyFile /etc/ssl/k.pem | Install-ApacheProxySite -Session $vps } }
        @{ Case = 'hashtable with an unknown key'; Id = 'SitePropertyUnknown'; Target = 'Bogus'; Run = { @{ ServerName = 'site.example.com'; Port = 3000; Address = '192.168.4.2'; Bogus = 1 } | New-ApacheProxySite | Install-ApacheProxySite -Session $vps } }
        @{ Case = 'hashtable with a wrong type'; Id = 'SitePropertyWrongType'; Run = { @{ ServerName = 'site.example.com'; Port = 'three thousand'; Address = '192.168.4.2' } | New-ApacheProxySite | Install-ApacheProxySite -Session $vps } }
        @{ Case = 'the same site twice in one install'; Id = 'DuplicateSite'; Run = { $s = New-ApacheProxySite -ServerName dup.example.com -Backend http://192.168.4.2:3000/; $s, $s | Install-ApacheProxySite -Session $vps } }
        # Parsers: hostile imported configs
        @{ Case = 'wg config with PostUp'; Id = 'ConfigHookNotAllowed'; Target = 'PostUp'; Run = { "[Interface]`nPrivateKey = $k`nPostUp = id" | ConvertFrom-WireGuardConfig | Install-WireGuardConfig -Session $box } }
        @{ Case = 'wg config with PreUp in odd case'; Id = 'Config*'; Run = { "[Interface]`nPrivateKey = $k`npreup = id" | ConvertFrom-WireGuardConfig | Install-WireGuardConfig -Session $box } }
        @{ Case = 'wg config with SaveConfig'; Id = 'ConfigSaveConfigNotAllowed'; Run = { "[Interface]`nPrivateKey = $k`nSaveConfig = true" | ConvertFrom-WireGuardConfig | Install-WireGuardConfig -Session $box } }
        @{ Case = 'wg config with a second [Interface]'; Id = 'ConfigDuplicateInterface'; Run = { "[Interface]`nPrivateKey = $k`n[Interface]`nPrivateKey = $k" | ConvertFrom-WireGuardConfig | Install-WireGuardConfig -Session $box } }
        @{ Case = 'wg config with a duplicate peer'; Id = 'ConfigDuplicatePeer'; Run = { $p = (New-TunnelKeyPair).PublicKey; "[Interface]`nPrivateKey = $k`n[Peer]`nPublicKey = $p`n[Peer]`nPublicKey = $p" | ConvertFrom-WireGuardConfig | Install-WireGuardConfig -Session $box } }
        @{ Case = 'wg config with a duplicate setting'; Id = 'ConfigDuplicateSetting'; Run = { "[Interface]`nPrivateKey = $k`nListenPort = 1`nListenPort = 2" | ConvertFrom-WireGuardConfig | Install-WireGuardConfig -Session $box } }
        @{ Case = 'wg config with a setting outside a section'; Id = 'ConfigOutsideSection'; Run = { "ListenPort = 1`n[Interface]`nPrivateKey = $k" | ConvertFrom-WireGuardConfig | Install-WireGuardConfig -Session $box } }
        @{ Case = 'wg config with a control character'; Id = 'ConfigControlCharacter'; Run = { "[Interface]`nPrivateKey = $k`nListenPort = 1`a" | ConvertFrom-WireGuardConfig | Install-WireGuardConfig -Session $box } }
        @{ Case = 'wg config peer without a key'; Id = 'ConfigPeerWithoutKey'; Run = { "[Interface]`nPrivateKey = $k`n[Peer]`nAllowedIPs = 10.0.0.0/8" | ConvertFrom-WireGuardConfig | Install-WireGuardConfig -Session $box } }
        @{ Case = 'wg config with no [Interface]'; Id = 'ConfigNoInterface'; Run = { "[Peer]`nPublicKey = $k" | ConvertFrom-WireGuardConfig | Install-WireGuardConfig -Session $box } }
        @{ Case = 'wg config with a malformed line'; Id = 'ConfigLineInvalid'; Run = { "[Interface]`nPrivateKey = $k`njust words" | ConvertFrom-WireGuardConfig | Install-WireGuardConfig -Session $box } }
        @{ Case = 'apache site opening a proxy'; Id = 'ApacheOpenProxy'; Run = { "<VirtualHost *:80>`nServerName a.example.com`nProxyRequests On`nProxyPass / http://192.168.4.2:3000/`n</VirtualHost>" | ConvertFrom-ApacheProxySite | Install-ApacheProxySite -Session $vps } }
        @{ Case = 'apache directive hidden after a continued comment'; Id = 'ApacheOpenProxy'; Run = { "<VirtualHost *:80>`nServerName a.example.com`nProxyPass / http://192.168.4.2:3000/ \`nretry=0`nProxyRequests \`n On`n</VirtualHost>" | ConvertFrom-ApacheProxySite | Install-ApacheProxySite -Session $vps } }
        @{ Case = 'apache unclosed quote'; Id = 'ApacheQuoteUnclosed'; Run = { "<VirtualHost *:80>`nServerName `"a.example.com`nProxyPass / http://192.168.4.2:3000/`n</VirtualHost>" | ConvertFrom-ApacheProxySite | Install-ApacheProxySite -Session $vps } }
        @{ Case = 'apache sections that do not match'; Id = 'ApacheSectionMismatch'; Run = { "<VirtualHost *:80>`nServerName a.example.com`n</Location>" | ConvertFrom-ApacheProxySite | Install-ApacheProxySite -Session $vps } }
        @{ Case = 'apache control character'; Id = 'ApacheControlCharacter'; Run = { "<VirtualHost *:80>`nServerName a.example.com`a`n</VirtualHost>" | ConvertFrom-ApacheProxySite | Install-ApacheProxySite -Session $vps } }
        @{ Case = 'apache vhost without a name'; Id = 'VirtualHostWithoutServerName'; Run = { "<VirtualHost *:80>`nProxyPass / http://192.168.4.2:3000/`n</VirtualHost>" | ConvertFrom-ApacheProxySite | Install-ApacheProxySite -Session $vps } }
        @{ Case = 'apache vhost twice'; Id = 'DuplicateVirtualHost'; Run = { $v = "<VirtualHost *:80>`nServerName a.example.com`nProxyPass / http://192.168.4.2:3000/`n</VirtualHost>`n"; ($v + $v) | ConvertFrom-ApacheProxySite | Install-ApacheProxySite -Session $vps } }
        # Install / Uninstall
        @{ Case = 'interface name with a shell tail'; Id = 'InterfaceNameInvalid'; Target = 'wg0;reboot'; Run = { New-WireGuardConfig -For $relayPeer -Peer $homePeer | Install-WireGuardConfig -Session $vps -InterfaceName 'wg0;reboot' } }
        @{ Case = 'interface name that climbs folders'; Id = 'InterfaceNameInvalid'; Target = '../../etc/x'; Run = { New-WireGuardConfig -For $relayPeer -Peer $homePeer | Install-WireGuardConfig -Session $vps -InterfaceName '../../etc/x' } }
        @{ Case = 'interface name too long'; Id = 'InterfaceNameInvalid'; Target = 'wg0123456789abcd'; Run = { Uninstall-WireGuardConfig -Session $vps -InterfaceName 'wg0123456789abcd' -Confirm:$false } }
        @{ Case = 'uninstall a site named with a space'; Id = 'ServerName*'; Run = { Uninstall-ApacheProxySite 'a b.example.com' -Session $vps -Confirm:$false } }
        # Files
        @{ Case = 'peer file that is not there'; Id = 'FileNotFound'; Run = { Import-TunnelPeer "$TestDrive/none.json" | New-WireGuardConfig -For $relayPeer | Install-WireGuardConfig -Session $vps } }
        @{ Case = 'peer file that is not JSON'; Id = 'PeerFileInvalid'; Run = { Set-Content "$TestDrive/bad.json" 'not json'; Import-TunnelPeer "$TestDrive/bad.json" | New-WireGuardConfig -For $relayPeer | Install-WireGuardConfig -Session $vps } }
        @{ Case = 'peer file from a future version'; Id = 'PeerFileVersion'; Run = { Set-Content "$TestDrive/v9.json" '{"formatVersion": 9, "peers": []}'; Import-TunnelPeer "$TestDrive/v9.json" | New-WireGuardConfig -For $relayPeer | Install-WireGuardConfig -Session $vps } }
        @{ Case = 'export over an existing file'; Id = 'FileExists'; Run = { Set-Content "$TestDrive/exists.json" 'x'; $homePeer | Export-TunnelPeer "$TestDrive/exists.json" } }
        @{ Case = 'wg config file that is not there'; Id = 'FileNotFound'; Run = { Import-WireGuardConfig "$TestDrive/none.conf" | Install-WireGuardConfig -Session $vps } }
        @{ Case = 'apache file that is not there'; Id = 'FileNotFound'; Run = { Import-ApacheProxySite "$TestDrive/none.conf" | Install-ApacheProxySite -Session $vps } }
        # Test-TunnelPath, Publish-HomeService, Register-TunnelPathCheck
        @{ Case = 'DNS server that is not an address'; Id = 'InvalidDnsServer'; Target = 'dns.example'; Run = { Test-TunnelPath site.example.test -RelaySession $vps -DnsServer dns.example } }
        @{ Case = 'handshake thresholds in the wrong order'; Id = 'HandshakeThresholdOrder'; Run = { Test-TunnelPath site.example.test -RelaySession $vps -DnsServer $a.Dns -HandshakeWarnSeconds 200 -HandshakeFailSeconds 100 } }
        @{ Case = 'checking a name with a space'; Id = 'ServerName*'; Run = { Test-TunnelPath 'a b.example.com' -RelaySession $vps -DnsServer $a.Dns } }
        @{ Case = 'publishing a name with a space'; Id = 'ServerName*'; Run = { Publish-HomeService 'a b.example.com' 3000 -RelaySession $vps -HomeSession $box -DnsServer $a.Dns -PeerFile "$TestDrive/pub.json" } }
        @{ Case = 'publishing with an MTU that is no number'; Id = 'MtuInvalid'; Run = { Publish-HomeService x.example.test 3000 -RelaySession $vps -HomeSession $box -DnsServer $a.Dns -PeerFile "$TestDrive/mtu.json" -Mtu 'big' } }
        @{ Case = 'publishing with an MTU out of range'; Id = 'MtuOutOfRange'; Run = { Publish-HomeService x.example.test 3000 -RelaySession $vps -HomeSession $box -DnsServer $a.Dns -PeerFile "$TestDrive/mtu.json" -Mtu 100 } }
        @{ Case = 'publishing with a bad relay tunnel address'; Id = 'AddressInvalid'; Run = { Publish-HomeService x.example.test 3000 -RelaySession $vps -HomeSession $box -DnsServer $a.Dns -PeerFile "$TestDrive/new.json" -RelayTunnelAddress 'not/an/address' } }
        @{ Case = 'publishing onto an address already taken'; Id = 'TunnelAddressInUse'; Run = { $null = Publish-HomeService x.example.test 3000 -RelaySession $vps -HomeSession $box -DnsServer $a.Dns -PeerFile "$TestDrive/taken.json" -WhatIf; $relayPeer2 = New-TunnelPeer -Name relay -Role Relay -Address 192.168.4.1/24 -Endpoint x.example.test; $relayPeer2 | Export-TunnelPeer "$TestDrive/taken.json" -IncludePrivateKey -Force; Publish-HomeService x.example.test 3000 -RelaySession $vps -HomeSession $box -DnsServer $a.Dns -PeerFile "$TestDrive/taken.json" -HomeName second -HomeTunnelAddress 192.168.4.1/32 } }
        @{ Case = 'a check name that climbs folders'; Id = 'InvalidCheckName'; Run = { Register-TunnelPathCheck site.example.test -Name '../x' -WhatIf } }
        @{ Case = 'Test-TunnelConfig given a string'; Id = 'InputNotTestable'; Run = { Test-TunnelConfig 'relay' } }
        @{ Case = 'rotating keys with no peer file'; Id = 'PeerFileNotFound'; Run = { Update-TunnelPeerKey home -RelaySession $vps -HomeSession $box -PeerFile "$TestDrive/none.json" } }
        @{ Case = 'rotating the keys of a peer the file lacks'; Id = 'PeerNotFound'; Target = 'nobody'; Run = { $relayPeer, $homePeer | Export-TunnelPeer "$TestDrive/rot.json" -IncludePrivateKey -Force; Update-TunnelPeerKey nobody -RelaySession $vps -HomeSession $box -PeerFile "$TestDrive/rot.json" } }
        @{ Case = 'rotating keys with a peer name that climbs folders'; Id = 'PeerNameInvalid'; Target = '../home'; Run = { Update-TunnelPeerKey '../home' -RelaySession $vps -HomeSession $box -PeerFile "$TestDrive/rot.json" } }
        @{ Case = 'rotating keys with no home machine said'; Id = 'HostRequired'; Run = { Update-TunnelPeerKey home -RelaySession $vps -PeerFile "$TestDrive/rot.json" } }
        @{ Case = 'unpublishing a forward another home holds'; Id = 'ForwardNotPublished'; Target = 'tcp-2299'; Run = { $relayPeer, $homePeer | Export-TunnelPeer "$TestDrive/unpub.json" -IncludePrivateKey -Force; Unpublish-HomeService $lab.SiteName -RelaySession $vps -HomeSession $box -PeerFile "$TestDrive/unpub.json" -Forward @{ Protocol = 'Tcp'; PublicPort = '2299' } -Confirm:$false } }
    )
}
BeforeAll {
    . $PSScriptRoot/LabSeed.ps1 -Prefix htbad -Index 11 -Install
    $seen = [System.Collections.Generic.List[string]]::new()
    $k = 'QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE='
}
AfterAll {
    Get-PSSession | Remove-PSSession
    if ($lab) { Stop-Lab $lab }
}

Describe 'Bad input changes nothing on any host' -Tag Lab {
    # The relay's invariants over the whole block (tests/Lab: Assert-LabInvariant); each case hashes both hosts itself.
    BeforeAll { $script:invariantBefore = Get-LabInvariantState $lab }
    AfterAll { Assert-LabInvariant $lab $script:invariantBefore }

    It '<Case>' -ForEach $Cases {
        $data = $_
        $before = (Get-LabStateHash $lab relay), (Get-LabStateHash $lab home)
        $record = $null
        try { $null = & $Run -ErrorAction Stop } catch { $record = $_ }
        $record | Should -Not -BeNullOrEmpty -Because 'bad input must be an error'
        $record.FullyQualifiedErrorId | Should -BeLike "$Id[,:]*"
        $record.CategoryInfo.Category | Should -Not -Be 'NotSpecified'
        $record.Exception | Should -BeOfType [HomeTunnel.HomeTunnelException]
        $record.TargetObject | Should -Not -BeNullOrEmpty
        if ($data.ContainsKey('Target')) { "$($record.TargetObject)" | Should -Be "$Target" }
        $record.Exception.Message | Should -Not -BeNullOrEmpty
        (Get-LabStateHash $lab relay), (Get-LabStateHash $lab home) | Should -Be $before
        $seen.Add(($record.FullyQualifiedErrorId -split ',')[0])
    }

    It 'covers at least 60 cases with at least 50 distinct error ids' {
        $seen.Count | Should -BeGreaterOrEqual 60
        @($seen | Sort-Object -Unique).Count | Should -BeGreaterOrEqual 50
    }
}
