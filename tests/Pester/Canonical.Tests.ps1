# No byte changes meaning on the way (issue 23, the part built so far): secrets whole, host text as data, redaction
# by shape, exact addresses, one enum name, canonical paths, no config whose peer is itself.
BeforeAll {
    . $PSScriptRoot/Common.ps1
    $key = (New-TunnelKeyPair).PrivateKey.RevealBase64()
    $pub = (New-TunnelKeyPair).PublicKey
    function ConvertTo-Secure([string] $Text) { $s = [System.Security.SecureString]::new(); foreach ($c in $Text.ToCharArray()) { $s.AppendChar($c) }; $s }
    $homePeer = New-TunnelPeer -Name home -Role Home -Address 192.168.4.2/32 -PersistentKeepalive 25
}

Describe 'Secrets are read whole' {
    It 'refuses a password with <Case>, which a hash would otherwise cut or a browser never send' -ForEach @(
        @{ Case = 'a NUL inside'; Password = "abc`0defghijklm" }
        @{ Case = 'a leading NUL'; Password = "`0secretsecret" }
        @{ Case = 'DEL'; Password = "secret$([char]0x7f)secret" }
        @{ Case = 'a Unicode line separator'; Password = "secret$([char]0x2028)secret" }
    ) {
        $cred = [pscredential]::new('alice', (ConvertTo-Secure $Password))
        $e = Get-ErrorRecord { $homePeer | New-ApacheProxySite -ServerName a.example.test -Port 3000 -Credential $cred }
        Assert-HomeTunnelError $e 'BasicAuthPasswordInvalid' 'InvalidArgument' 'alice'
        $e.Exception.Message | Should -Not -Match 'secret'
    }
}

Describe 'Host text is data, redacted by shape' {
    It 'escapes terminal control characters a host''s text carries' {
        $out = [HomeTunnel.Hosts.Redaction]::Redact("Debian$([char]27)]0;owned$([char]7) GNU$([char]0x202e)txt", [string[]]@())
        $out | Should -Not -Match ([char]27)
        $out | Should -Not -Match ([char]0x202e)
        $out | Should -Match ([regex]::Escape('\u001b'))
        [HomeTunnel.Bootstrap.OsRelease]::Parse("ID=debian`nPRETTY_NAME=`"Debian$([char]27)[2J`"").PrettyName | Should -Be 'Debian\u001b[2J'
    }

    It 'hides every common password hash form and a URI''s tokens, whatever the line is called' -ForEach @(
        @{ Text = 'alice:$apr1$abcdefgh$0123456789abcdefghijkl'; Secret = '0123456789abcdefghijkl' }
        @{ Text = 'bob:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g='; Secret = 'W6ph5Mm5Pz8GgiULbPgzG37mj9g=' }
        @{ Text = 'carol:$6$saltsalt$hashhashhashhash'; Secret = 'hashhashhashhash' }
        @{ Text = '+dave:plaintextpassword'; Secret = 'plaintextpassword' }
        @{ Text = 'posting to https://user:hunter2@ntfy.example/alerts'; Secret = 'hunter2' }
        @{ Text = 'GET https://hc-ping.example/1b4e28ba-2fa1-11d2-883f-0016d3cca427 failed'; Secret = '1b4e28ba-2fa1-11d2-883f-0016d3cca427' }
        @{ Text = 'https://ntfy.example/topic?auth=tk_abcdef123456'; Secret = 'tk_abcdef123456' }
    ) {
        [HomeTunnel.Hosts.Redaction]::Redact($Text, [string[]]@()) | Should -Not -Match ([regex]::Escape($Secret))
    }

    It 'keeps ordinary text readable' {
        [HomeTunnel.Hosts.Redaction]::Redact('ProxyPass / http://192.168.4.2:3000/', [string[]]@()) | Should -Be 'ProxyPass / http://192.168.4.2:3000/'
    }
}

Describe 'Exact values' {
    It 'refuses <Case>' -ForEach @(
        @{ Case = 'an IPv6 address with a trailing line break'; Run = { New-TunnelPeer -Name h -Role Home -Address "fd00::2`n" }; Id = 'AddressInvalid' }
        @{ Case = 'the network''s own address as a host address'; Run = { New-TunnelPeer -Name h -Role Home -Address 192.168.4.0/24 }; Id = 'AddressIsNetwork' }
        @{ Case = 'the broadcast address as a host address'; Run = { New-TunnelPeer -Name h -Role Home -Address 192.168.4.255/24 }; Id = 'AddressIsBroadcast' }
        @{ Case = 'a config whose peer is itself'; Run = { $r = New-TunnelPeer -Name relay -Role Relay -Address 192.168.4.1/24 -ListenPort 51820 -Endpoint vps.example.test; New-WireGuardConfig -For $r -Peer $r }; Id = 'SelfPeer' }
        @{ Case = 'a site path with an encoded dot segment'; Run = { New-ApacheProxySite -ServerName a.example.test -Backend http://192.168.4.2:3000/ -Path '/a/%2e%2e/' }; Id = 'PathHasDotSegment' }
        @{ Case = 'a site path with an encoded slash'; Run = { New-ApacheProxySite -ServerName a.example.test -Backend http://192.168.4.2:3000/ -Path '/a%2Fb/' }; Id = 'PathHasEncodedSeparator' }
        @{ Case = 'a DNS value that is a shell word'; Run = { "[Interface]`nPrivateKey = $key`nAddress = 10.0.0.2/32`nDNS = 1.1.1.1 `$(id)`n" | ConvertFrom-WireGuardConfig }; Id = 'ConfigDnsInvalid' }
        @{ Case = 'a DNS glob'; Run = { "[Interface]`nPrivateKey = $key`nAddress = 10.0.0.2/32`nDNS = *`n" | ConvertFrom-WireGuardConfig }; Id = 'ConfigDnsInvalid' }
        @{ Case = 'a PostUp in a [Peer] section'; Run = { "[Interface]`nPrivateKey = $key`nAddress = 10.0.0.2/32`n[Peer]`nPublicKey = $pub`nAllowedIPs = 10.0.0.1/32`nPostUp = id`n" | ConvertFrom-WireGuardConfig }; Id = 'ConfigHookNotAllowed' }
        @{ Case = 'an imported certificate path whose quotes carried a space'; Run = { ConvertFrom-ApacheProxySite "<VirtualHost *:443>`n    ServerName a.example.test`n    SSLEngine on`n    SSLCertificateFile `"/etc/ssl/my certs/a.pem`"`n    SSLCertificateKeyFile /etc/ssl/private/a.key`n    ProxyPass / http://192.168.4.2:3000/`n</VirtualHost>`n" }; Id = 'SSLCertificateFileInvalid' }
        @{ Case = 'a relay config whose home peer routes everything'; Run = { $r = New-TunnelPeer -Name relay -Role Relay -Address 192.168.4.1/24 -ListenPort 51820 -Endpoint vps.example.test; New-WireGuardConfig -For $r -Peer (New-TunnelPeer -Name h -Role Home -Address 192.168.4.2/32 -AllowedIPs 0.0.0.0/0) }; Id = 'RelayRoutesEverythingHome' }
        @{ Case = 'a key name that is no name'; Run = { "[Interface]`nPrivateKey: $key`nAddress = 10.0.0.2/32`n" | ConvertFrom-WireGuardConfig }; Id = 'ConfigLineInvalid' }
    ) {
        $e = Get-ErrorRecord $Run
        $e.FullyQualifiedErrorId | Should -BeLike "$Id[,:]*"
        $e.CategoryInfo.Category | Should -Not -Be 'NotSpecified'
        "$($e.Exception.Message) $($e.TargetObject)" | Should -Not -Match ([regex]::Escape($key))
    }

    It 'refuses a protocol that is not one name, given on the command line: <Value>' -ForEach @(@{ Value = 'tcp,udp' }, @{ Value = '1' }) {
        { New-TunnelPortForward -Address 192.168.4.2 -Protocol $Value -PublicPort 2222 -ErrorAction Stop } | Should -Throw -ErrorId 'ParameterArgumentTransformationError,HomeTunnel.Cmdlets.NewTunnelPortForwardCommand'
    }

    It 'refuses every enum parameter given as a list or a number: <Case>' -ForEach @(
        @{ Case = 'a role list'; Run = { New-TunnelPeer -Name h -Role 'Relay,Home' -Address 192.168.4.2/32 -ErrorAction Stop } }
        @{ Case = 'a role number'; Run = { New-TunnelPeer -Name h -Role 1 -Address 192.168.4.2/32 -ErrorAction Stop } }
        @{ Case = 'a scheduler list'; Run = { Register-TunnelPathCheck a.example.test -Scheduler 'Cron,Systemd' -WhatIf -ErrorAction Stop } }
        @{ Case = 'a hop number'; Run = { Test-TunnelPath a.example.test -SkipHop 3 -ErrorAction Stop } }
    ) {
        $e = { & $Run } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeLike 'ParameterArgumentTransformationError,*'
    }

    It 'takes enum names in any case, alone or as a list of names' {
        (New-TunnelPeer -Name h -Role home -Address 192.168.4.2/32).Role | Should -Be 'Home'
    }

    It 'reads a forward''s protocol from a hashtable (Publish -Forward) as one name only' {
        $e = { [HomeTunnel.Checks]::EnumName[HomeTunnel.Forwards.ForwardProtocol]('tcp,udp', 'Protocol', 'ForwardProtocolInvalid') } | Should -Throw -PassThru
        $e.Exception.InnerException.ErrorId | Should -Be 'ForwardProtocolInvalid'
        [HomeTunnel.Checks]::EnumName[HomeTunnel.Forwards.ForwardProtocol]('UDP', 'Protocol', 'ForwardProtocolInvalid') | Should -Be 'Udp'
    }

    It 'takes the plain forms' {
        (New-TunnelPortForward -Address 192.168.4.2 -Protocol tcp -PublicPort 2222).Protocol | Should -Be 'Tcp'
        ("[Interface]`nPrivateKey = $key`nAddress = 10.0.0.2/32`nDNS = 1.1.1.1, home.example`n" | ConvertFrom-WireGuardConfig).Dns | Should -Be @('1.1.1.1', 'home.example')
        (New-TunnelPeer -Name h -Role Home -Address 192.168.4.1/31).Address | Should -Be '192.168.4.1/31'
    }
}

Describe 'Paths are what they say, decided before a byte is read or written' {
    BeforeAll {
        $dir = Join-Path $TestDrive 'paths'
        New-Item -ItemType Directory $dir | Out-Null
        $config = New-WireGuardConfig -For (New-TunnelPeer -Name relay -Role Relay -Address 192.168.4.1/24 -ListenPort 51820 -Endpoint vps.example.test) -Peer $homePeer
    }

    It 'refuses a FIFO given to an import at once, instead of waiting for a writer forever' -Skip:(-not $IsLinux) {
        $fifo = Join-Path $dir 'wg0.conf'
        mkfifo $fifo
        $pwsh = @(Get-PwshCommand)
        $rest = @($pwsh | Select-Object -Skip 1)
        $out = & timeout 60 $pwsh[0] @rest -NoProfile -NonInteractive -Command "Import-Module '$ModulePath'; try { Import-WireGuardConfig '$fifo' -ErrorAction Stop } catch { `$_.FullyQualifiedErrorId }"
        $LASTEXITCODE | Should -Not -Be 124 -Because 'the import must not hang on a FIFO'
        "$out" | Should -Match '^NotARegularFile,'
    }

    It 'never writes through a link or over a device, even with -Force' -Skip:(-not $IsLinux) {
        $target = Join-Path $dir 'precious'
        Set-Content $target 'precious'
        $link = Join-Path $dir 'link.conf'
        New-Item -ItemType SymbolicLink -Path $link -Target $target | Out-Null
        Assert-HomeTunnelError (Get-ErrorRecord { $config | Export-WireGuardConfig $link -Force }) 'NotARegularFile' 'InvalidArgument'
        Get-Content $target | Should -Be 'precious'
        if ((id -u) -eq '0') {
            $device = Join-Path $dir 'null.conf'
            mknod $device c 1 3
            Assert-HomeTunnelError (Get-ErrorRecord { $config | Export-WireGuardConfig $device -Force }) 'NotARegularFile' 'InvalidArgument'
            (stat -c '%F' $device) | Should -Be 'character special file'
        }
    }

    It 'holds a check''s log to where its bytes really go: <Case>' -ForEach @(
        @{ Case = 'a doubled slash into /etc'; Path = '//etc/cron.d/x.log' }
        @{ Case = 'a dot segment into /etc'; Path = '/var/log/../../etc/x.log' }
    ) {
        $e = { [HomeTunnel.Scheduling.TunnelPathCheckPlan]::CheckLogPath($Path) } | Should -Throw -PassThru
        $e.Exception.InnerException.ErrorId | Should -Be 'InvalidCheckLogPath'
    }

    It 'follows a linked folder before deciding a log is outside /etc' -Skip:(-not $IsLinux) {
        $etcLink = Join-Path $dir 'etclink'
        New-Item -ItemType SymbolicLink -Path $etcLink -Target /etc | Out-Null
        $e = { [HomeTunnel.Scheduling.TunnelPathCheckPlan]::CheckLogPath("$etcLink/cron.d/x.log") } | Should -Throw -PassThru
        $e.Exception.InnerException.ErrorId | Should -Be 'InvalidCheckLogPath'
    }

    It 'writes a check''s log 0600, and never through a link' -Skip:(-not $IsLinux) {
        $log = Join-Path $dir 'check.jsonl'
        [HomeTunnel.Scheduling.CheckRunner]::AppendLog($log, [string[]]@('{"a":1}'))
        (stat -c '%a' $log) | Should -Be '600'
        Get-Content $log | Should -Be '{"a":1}'
        $linked = Join-Path $dir 'linked.jsonl'
        $victim = Join-Path $dir 'victim'
        Set-Content $victim 'keep'
        New-Item -ItemType SymbolicLink -Path $linked -Target $victim | Out-Null
        $e = { [HomeTunnel.Scheduling.CheckRunner]::AppendLog($linked, [string[]]@('x')) } | Should -Throw -PassThru
        $e.Exception.InnerException.ErrorId | Should -Be 'NotARegularFile'
        Get-Content $victim | Should -Be 'keep'
    }

    It 'reads a state file with nulls anywhere as a state, not a crash' {
        $state = Join-Path $dir 'check.state.json'
        Set-Content $state '{"Names":{"a.example":null,"b.example":{"Status":null,"Told":null},"c.example":{"Told":{"x":null}}}}'
        $s = [HomeTunnel.Scheduling.CheckState]::Load($state)
        $s.Names.Keys | Sort-Object | Should -Be @('b.example', 'c.example')
        $s.Names['b.example'].Status | Should -Be 'Pass'
        Set-Content $state '{"Names":null}'
        [HomeTunnel.Scheduling.CheckState]::Load($state).Names.Count | Should -Be 0
    }

    It 'refuses a notice URI at the cloud''s metadata service: <Uri>' -ForEach @(
        @{ Uri = 'http://169.254.169.254/latest/meta-data/' }, @{ Uri = 'http://[fe80::1]/x' }, @{ Uri = 'http://metadata.google.internal/computeMetadata/v1/' }
    ) {
        $e = { [HomeTunnel.Scheduling.NotifyTarget]::Parse($Uri, 'Auto') } | Should -Throw -PassThru
        $e.Exception.InnerException.ErrorId | Should -Be 'NotifyUriInternal'
    }
}
