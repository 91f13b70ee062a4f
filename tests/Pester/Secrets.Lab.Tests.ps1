# Secrets never leak: every cmdlet, with -Verbose and -Debug, inside a transcript, on success and on the
# failure paths (bad key, configtest failure, SSH refused). No private or preshared key may appear in any
# stream, the transcript, $Error, JSON, CliXml, Format-List *, or any file except the 0600 configs.
BeforeAll {
    . $PSScriptRoot/Common.ps1
    Import-Module "$RepoRoot/tests/Lab/Lab.psm1" -Force
    $lab = Start-Lab -Prefix htsec -Index 12
    $a = $lab.Addresses
    $vps = New-LabSession $lab relay
    $box = New-LabSession $lab home
    $relayPeer = New-TunnelPeer -Name relay -Role Relay -Address 192.168.4.1/24 -ListenPort 51820 -Endpoint $a.Relay
    $homePeer = New-TunnelPeer -Name home -Role Home -Address 192.168.4.2/32 -PresharedKey
    $secrets = @($relayPeer.PrivateKey.RevealBase64(), $homePeer.PrivateKey.RevealBase64(), $homePeer.PresharedKey.RevealBase64())
    # A site's basic-auth password is a secret too: only its bcrypt hash may reach the relay.
    $doorPassword = 'Secrets-Door-Pass-5e71'
    $doorCredential = [pscredential]::new('alice', (ConvertTo-SecureString $doorPassword -AsPlainText -Force))
    # Also their halves and hex form: a leak is a leak even when cut or re-encoded.
    $needles = @($secrets) + @($secrets | ForEach-Object { $_.Substring(0, 20) }) + @($secrets | ForEach-Object { [Convert]::ToHexString([Convert]::FromBase64String($_)) }) +
        @($doorPassword, '$2y$')
    function Find-Secret([string] $Text) { foreach ($n in $needles) { if ($Text.Contains($n, [StringComparison]::OrdinalIgnoreCase)) { return $n } } }
    $transcript = Join-Path $TestDrive 'transcript.txt'
    $started = Get-Date
    $scratch = Join-Path $TestDrive 'files'
    $null = New-Item -ItemType Directory $scratch
}
AfterAll {
    Get-PSSession | Remove-PSSession
    if ($lab) { Stop-Lab $lab }
}

Describe 'No key material leaks' -Tag Lab {
    # The relay's invariants after every test, whatever its own assertions said (tests/Lab: Assert-LabInvariant).
    BeforeEach { $script:invariantBefore = Get-LabInvariantState $lab }
    AfterEach { Assert-LabInvariant $lab $script:invariantBefore }

    It 'through any stream, the transcript, $Error, JSON, CliXml or Format-List, on success and failure' {
        $Error.Clear()
        $VerbosePreference = 'Continue'; $DebugPreference = 'Continue'; $InformationPreference = 'Continue'
        Start-Transcript -Path $transcript -IncludeInvocationHeader | Out-Null
        try {
            $objects = [System.Collections.Generic.List[object]]::new()
            $streams = & {
                $relayConfig = New-WireGuardConfig -For $relayPeer -Peer $homePeer
                $homeConfig = New-WireGuardConfig -For $homePeer -Peer $relayPeer
                $site = $homePeer | New-ApacheProxySite -ServerName $lab.SiteName -Port 3000
                $objects.AddRange([object[]]@($relayPeer, $homePeer, $relayConfig, $homeConfig, $site, (New-TunnelKeyPair)))
                # Success paths, every cmdlet, shown the ways users show things.
                $relayConfig | Install-WireGuardConfig -Session $vps -PassThru -Verbose -Debug
                $homeConfig | Install-WireGuardConfig -Session $box -Verbose -Debug
                $relayConfig | Install-WireGuardConfig -Session $vps -WhatIf -Verbose
                $site | Install-ApacheProxySite -Session $vps -Verbose -Debug
                $door = $homePeer | New-ApacheProxySite -ServerName door.example.test -Port 3000 -Credential $doorCredential -AllowFrom 203.0.113.0/24
                $objects.Add($door)
                $door | Install-ApacheProxySite -Session $vps -WhatIf -Verbose
                $door | Install-ApacheProxySite -Session $vps -PassThru -Verbose -Debug
                $door | Format-List * -Force | Out-String
                $relayPeer, $homePeer | Export-TunnelPeer (Join-Path $scratch 'public.json') -Verbose
                $relayPeer, $homePeer | Export-TunnelPeer (Join-Path $scratch 'secret.json') -IncludePrivateKey -Verbose
                Import-TunnelPeer (Join-Path $scratch 'secret.json') -Verbose
                $relayConfig | Export-WireGuardConfig (Join-Path $scratch 'wg0.conf') -Verbose
                Import-WireGuardConfig (Join-Path $scratch 'wg0.conf') -Verbose
                Get-Content -Raw (Join-Path $scratch 'wg0.conf') | ConvertFrom-WireGuardConfig -Verbose
                Test-TunnelConfig $relayPeer, $homePeer, $relayConfig, $homeConfig, $site -Verbose
                Get-TunnelStatus -Session $vps, $box -Verbose -Debug
                Test-TunnelPath $lab.SiteName -RelaySession $vps -HomeSession $box -DnsServer $a.Dns -Verbose -Debug
                Publish-HomeService $lab.SiteName 3000 -RelaySession $vps -HomeSession $box -PeerFile (Join-Path $scratch 'pub.json') -DnsServer $a.Dns -Verbose -WaitSeconds 15
                $relayPeer, $homePeer, $relayConfig | Format-List * | Out-String
                $relayPeer, $homePeer, $relayConfig | Format-Table * | Out-String
                $relayPeer, $homePeer, $relayConfig, $site | ConvertTo-Json -Depth 6
                # Failure paths: a bad key, a configtest failure, SSH refused, a wg error.
                New-TunnelPeer -Name bad -Role Home -Address 192.168.4.8/32 -PrivateKey ($secrets[0].Substring(0, 40) + 'A=') -ErrorAction Continue
                New-TunnelPeer -Name bad -Role Home -Address 192.168.4.8/32 -PrivateKey $secrets[0] -PublicKey $relayPeer.PublicKey.Replace('A', 'B') -ErrorAction Continue
                New-ApacheProxySite -ServerName broken.example.test -Backend http://192.168.4.2:3000/ -Https -CertificateFile /nonexistent/c.pem -CertificateKeyFile /nonexistent/k.pem |
                    Install-ApacheProxySite -Session $vps -Verbose -ErrorAction Continue
                New-WireGuardConfig -For $relayPeer -Peer $homePeer | Install-WireGuardConfig -Session $vps -InterfaceName wg1 -ErrorAction Continue -Verbose
                Test-TunnelPath $lab.SiteName -RelayHostName $a.Relay -UserName root -KeyFilePath /nonexistent/key -KnownHostsFile $lab.KnownHostsFile -DnsServer $a.Dns -TimeoutSeconds 5 -Verbose
            } *>&1 | Out-String
        }
        finally {
            Stop-Transcript | Out-Null
            $VerbosePreference = 'SilentlyContinue'; $DebugPreference = 'SilentlyContinue'
        }
        $streams.Length | Should -BeGreaterThan 1000 -Because 'the run must have produced output to search'
        Find-Secret $streams | Should -BeNullOrEmpty -Because 'no stream may carry a key'
        Find-Secret (Get-Content -Raw $transcript) | Should -BeNullOrEmpty -Because 'the transcript must not carry a key'
        $Error.Count | Should -BeGreaterThan 0 -Because 'the failure paths must have failed'
        Find-Secret (($Error | ForEach-Object { $_ | Format-List * -Force | Out-String; $_.Exception | Format-List * -Force | Out-String; "$($_.ErrorDetails)"; "$($_.TargetObject)" }) -join "`n") | Should -BeNullOrEmpty -Because '$Error must not carry a key'
        $xml = Join-Path $TestDrive 'objects.clixml'
        $objects | Export-Clixml -Path $xml -Depth 6
        Find-Secret (Get-Content -Raw $xml) | Should -BeNullOrEmpty -Because 'CliXml must not carry a key'
        Find-Secret ($objects | ConvertTo-Json -Depth 8) | Should -BeNullOrEmpty
        Find-Secret ($objects | Format-List * -Force | Out-String) | Should -BeNullOrEmpty
    }

    It 'on disk, only in the 0600 configs and the 0600 peer file asked for (and a door''s hash only in its 0640 htpasswd file)' {
        $htpasswd = "$($lab.Hosts.relay.Directory)/etc-apache2/hometunnel/door.example.test.htpasswd"
        Get-Content -Raw $htpasswd | Should -Match '^# Managed by HomeTunnel.*\nalice:\$2y\$' -Because 'the door was installed'
        Get-Content -Raw $htpasswd | Should -Not -Match $doorPassword
        (stat -c '%a %G' $htpasswd) | Should -Be '640 www-data'

        $allowed = @(
            "$($lab.Hosts.relay.Directory)/etc-wireguard/wg0.conf", "$($lab.Hosts.home.Directory)/etc-wireguard/wg0.conf",
            (Join-Path $scratch 'secret.json'), (Join-Path $scratch 'pub.json'), (Join-Path $scratch 'wg0.conf'), $transcript, $htpasswd
        )
        $roots = @($lab.Directory, $scratch, '/run/hometunnel', '/tmp', (Join-Path $HOME '.hometunnel')) | Where-Object { Test-Path $_ }
        $leaks = foreach ($root in $roots) {
            # Every file written since the test began (the rest of /tmp is other programs' business).
            # (Any wg-quick config the run installed is allowed too, when it is 0600 in etc-wireguard.)
            # Regular files only (find -type f): a FIFO (every dotnet process leaves clr-debug-pipe-* in /tmp) would block a read.
            @(find $root -xdev -type f -size -10M 2>$null) | Get-Item -Force -ErrorAction Ignore | Where-Object { $_.LastWriteTime -ge $started -and $_.FullName -notin $allowed } |
                Where-Object { -not ($_.DirectoryName -like '*/etc-wireguard' -and $_.Extension -eq '.conf' -and (stat -c '%a' $_.FullName) -eq '600') } | ForEach-Object {
                $text = Get-Content -Raw -LiteralPath $_.FullName -ErrorAction Ignore
                if ($text -and (Find-Secret $text)) { $_.FullName }
            }
        }
        @($leaks | Select-Object -Unique) | Should -BeNullOrEmpty
        foreach ($f in $allowed | Where-Object { $_ -notin $transcript, $htpasswd -and (Test-Path $_) }) {
            (stat -c '%a' $f) | Should -Be '600' -Because "$f holds keys"
        }
    }
}

Describe 'Passwords with odd bytes, and password hashes a hand wrote' -Tag Lab {
    # The relay's invariants after every test, whatever its own assertions said (tests/Lab: Assert-LabInvariant).
    BeforeEach { $script:invariantBefore = Get-LabInvariantState $lab }
    AfterEach { Assert-LabInvariant $lab $script:invariantBefore }
    BeforeAll {
        $hashDir = "$($lab.Hosts.relay.Directory)/etc-apache2/hometunnel"
        function Get-Visitor([string] $Name, [string[]] $CurlArgument = @()) {
            (Invoke-LabHttp $lab "http://$Name/" -CurlArgument (@('--resolve', "$($Name):80:$($a.Relay)") + $CurlArgument)).Status
        }
    }

    It 'refuses a password with <Case>, showing no part of it, and changes nothing on the relay' -TestCases @(
        @{ Case = 'a NUL inside'; Password = "odd-pass-a1`0tail-a1"; Needle = 'tail-a1' }
        @{ Case = 'a leading NUL (once the empty password)'; Password = "`0odd-pass-b2"; Needle = 'odd-pass-b2' }
        @{ Case = 'a DEL'; Password = "odd-pass-c3$([char]0x7f)tail-c3"; Needle = 'tail-c3' }
        @{ Case = 'a Unicode line separator'; Password = "odd-pass-d4$([char]0x2028)tail-d4"; Needle = 'tail-d4' }
    ) {
        $before = Get-ChildItem $hashDir -ErrorAction Ignore | ForEach-Object Name
        $cred = [pscredential]::new('alice', (ConvertTo-SecureString $Password -AsPlainText -Force))
        $out = & {
            $e = Get-ErrorRecord { $homePeer | New-ApacheProxySite -ServerName odd.example.test -Port 3000 -Credential $cred -Verbose -Debug }
            $e.FullyQualifiedErrorId | Should -BeLike 'BasicAuthPasswordInvalid,*'
            $e.CategoryInfo.Category | Should -Be 'InvalidArgument'
            $e | Format-List * -Force | Out-String
            $e.Exception | Format-List * -Force | Out-String
            $e = Get-ErrorRecord { Publish-HomeService odd.example.test 3000 -RelaySession $vps -HomeSession $box -PeerFile (Join-Path $scratch 'pub.json') -Credential $cred -DnsServer $a.Dns -WaitSeconds 0 }
            $e.FullyQualifiedErrorId | Should -BeLike 'BasicAuthPasswordInvalid,*'
            $e | Format-List * -Force | Out-String
        } *>&1 | Out-String
        $out | Should -Not -Match ([regex]::Escape($Needle))
        $out | Should -Not -Match 'odd-pass'
        Get-ChildItem $hashDir -ErrorAction Ignore | ForEach-Object Name | Should -Be $before
        Test-Path "$($lab.Hosts.relay.Directory)/etc-apache2/sites-available/odd.example.test.conf" | Should -BeFalse
    }

    It 'lets nobody in with the empty password or a wrong one, and the right visitor in' {
        $cred = [pscredential]::new('alice', (ConvertTo-SecureString 'Right-Pass-0e7b' -AsPlainText -Force))
        $door = $homePeer | New-ApacheProxySite -ServerName door2.example.test -Port 3000 -Credential $cred
        ($door | Install-ApacheProxySite -Session $vps).State | Should -Be 'Created'
        try {
            Get-Visitor door2.example.test | Should -Be '401'
            Get-Visitor door2.example.test @('-u', 'alice:') | Should -Be '401'
            Get-Visitor door2.example.test @('-u', ':') | Should -Be '401'
            Get-Visitor door2.example.test @('-u', 'alice:Right-Pass-0e7') | Should -Be '401'
            Get-Visitor door2.example.test @('-u', 'alice:Right-Pass-0e7b') | Should -Be '200'
        }
        finally { $null = $door | Uninstall-ApacheProxySite -Session $vps -Confirm:$false }
    }

    It 'never shows a hand-made htpasswd''s lines, whatever their hash form, in an error, a preview, a result or the transcript' {
        $hashes = [ordered]@{
            bcrypt = '$2y$05$c4WoMPo3SXsafkva.HHa6uXQZWr7oboPiC2bT/r7q1BB8I2s0BRqC'
            apr1   = '$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/'
            sha1   = '{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g='
            sha512 = '$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/'
            crypt  = 'rOc8Bn9yQ1xKQ'
            plain  = 'plaintext-pass-7c'
        }
        $null = New-Item -ItemType Directory -Force $hashDir
        $file = "$hashDir/door3.example.test.htpasswd"
        $text = ($hashes.GetEnumerator() | ForEach-Object { "$($_.Key):$($_.Value)" }) -join "`n"
        Set-Content -LiteralPath $file -Value $text -NoNewline
        $cred = [pscredential]::new('alice', (ConvertTo-SecureString 'Third-Pass-44d1' -AsPlainText -Force))
        $door = $homePeer | New-ApacheProxySite -ServerName door3.example.test -Port 3000 -Credential $cred
        $log = Join-Path $TestDrive 'hashes-transcript.txt'
        Start-Transcript -Path $log | Out-Null
        try {
            $out = & {
                $e = Get-ErrorRecord { $door | Install-ApacheProxySite -Session $vps -Verbose }
                $e.FullyQualifiedErrorId | Should -BeLike 'NotOwnedByHomeTunnel*'
                $e | Format-List * -Force | Out-String
                $door | Install-ApacheProxySite -Session $vps -Force -WhatIf -Verbose
                $r = $door | Install-ApacheProxySite -Session $vps -Force -PassThru -Verbose
                $r | Format-List * -Force | Out-String
                $r | ConvertTo-Json -Depth 6
            } *>&1 | Out-String
        }
        finally { Stop-Transcript | Out-Null }
        try {
            # -Force replaced the hand's file (it was read to decide, and shown to nobody).
            $out | Should -Match 'wrote /etc/apache2/hometunnel/door3\.example\.test\.htpasswd'
            (Get-Content -LiteralPath $file)[1] | Should -Match '^alice:\$2y\$'
            foreach ($h in $hashes.GetEnumerator()) {
                $needle = $h.Value.Substring([Math]::Max(0, $h.Value.Length - 12))
                $out | Should -Not -Match ([regex]::Escape($needle)) -Because "the $($h.Key) hash is a secret"
                Get-Content -Raw $log | Should -Not -Match ([regex]::Escape($needle)) -Because "the $($h.Key) hash is a secret in the transcript too"
            }
            Get-Visitor door3.example.test @('-u', 'alice:Third-Pass-44d1') | Should -Be '200'
            Get-Visitor door3.example.test @('-u', 'alice:plaintext-pass-7c') | Should -Be '401'
        }
        finally { $null = $door | Uninstall-ApacheProxySite -Session $vps -Confirm:$false }
    }
}
