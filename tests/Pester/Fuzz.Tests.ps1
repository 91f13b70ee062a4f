# Generated and mutated inputs for every parser, seeded and reproducible (HOMETUNNEL_FUZZ_SEED and
# HOMETUNNEL_FUZZ_COUNT change them). Each input ends as a HomeTunnelException with its own id, or as a
# valid object whose rendering parses back to the same text. An id ending in "Unreadable" is a crash the
# parser caught: it fails the run and names the seed and the input's number to replay it.
BeforeAll {
    . $PSScriptRoot/Common.ps1
    $script:Seed = if ($env:HOMETUNNEL_FUZZ_SEED) { [int] $env:HOMETUNNEL_FUZZ_SEED } else { 20261201 }
    $script:Count = if ($env:HOMETUNNEL_FUZZ_COUNT) { [int] $env:HOMETUNNEL_FUZZ_COUNT } else { 10000 }

    $relay = New-TunnelPeer -Name relay -Role Relay -Address 192.168.4.1/24 -ListenPort 51820 -Endpoint vps.example.test
    $homePeer = New-TunnelPeer -Name home -Role Home -Address 192.168.4.2/32 -PresharedKey
    $script:WgCorpus = @(
        (New-WireGuardConfig -For $relay -Peer $homePeer).RevealText()
        (New-WireGuardConfig -For $homePeer -Peer $relay).RevealText()
        "[Interface]`nPrivateKey = $($relay.PrivateKey.RevealBase64())`nAddress = 192.168.4.1/24, fd00::1/64`nListenPort = 51820`nMTU = 1420`nDNS = 192.0.2.53`nTable = off`nFwMark = 0x1`n[Peer]`nPublicKey = $($homePeer.PublicKey)`nAllowedIPs = 192.168.4.2/32`nPersistentKeepalive = off`nEndpoint = [2001:db8::1]:51820`n"
    )
    $script:ApacheCorpus = @(
        ($homePeer | New-ApacheProxySite -ServerName a.example.test -Port 3000).Text
        ($homePeer | New-ApacheProxySite -ServerName site.example.test -ServerAlias www.site.example.test -Port 3000 -Https).Text
        (Get-Content -Raw (Join-Path $PSScriptRoot 'fixtures/seed-sites.conf'))
        "<VirtualHost *:80>`n    ServerName b.example.test`n    Header set X `"a b`"`n    <Location /x>`n        Require ip 10.0.0.0/8`n    </Location>`n    RewriteRule ^/(.*) http://192.168.4.2:3000/`$1 [P]`n    ProxyPass / http://192.168.4.2:3000/ retry=0`n</VirtualHost>`n"
    )
    $dir = Join-Path ([IO.Path]::GetTempPath()) "ht-fuzz-$([Guid]::NewGuid().ToString('N'))"
    $null = New-Item -ItemType Directory $dir
    $relay, $homePeer | Export-TunnelPeer -Path (Join-Path $dir 'p.json') -IncludePrivateKey
    $relay | Export-TunnelPeer -Path (Join-Path $dir 'q.json')
    $script:PeerCorpus = @((Get-Content -Raw (Join-Path $dir 'p.json')), (Get-Content -Raw (Join-Path $dir 'q.json')))
    Remove-Item -Recurse $dir

    $script:Pieces = @(
        '=', '#', '[', ']', '<', '>', '"', "'", '\', "`n", "`r", "`t", ' ', ',', '/', ':', '%', '|', '{', '}', '$', '*',
        [string][char]0x2019, [string][char]0x2018, [string][char]0x201C, [string][char]0, [string][char]0xFEFF, [string][char]0x7F, 'é', '0', '9', 'x',
        '[Peer]', '[Interface]', 'PostUp = id', 'postup=id', 'SaveConfig = true', 'PrivateKey = ', 'PublicKey = ', 'AllowedIPs = 0.0.0.0/0',
        'Endpoint = ', 'ListenPort = 99999', 'Address = 300.1.1.1/33', '# Name = ', "`n[Peer]`nPublicKey = AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=`n",
        '<VirtualHost *:80>', '</VirtualHost>', '<IfModule x>', '</IfModule>', 'ProxyRequests On', 'LoadModule x /x.so', 'Include /etc/shadow',
        'CustomLog "|/bin/sh" c', 'ProxyPass / http://127.0.0.1/', 'ServerName 192.0.2.1', 'ServerName ', 'RewriteRule ^ http://x/ [P]', "\`n",
        'null', 'true', '1e999', '-1', '"Role":"Home"', '"role":7', '[]', '{}', '"peers":null', '"formatVersion":1', '"address":"::/0"', '"name":"a\n"'
    )

    function Get-Mutation([System.Random] $Random, [string[]] $Corpus) {
        $text = $Corpus[$Random.Next($Corpus.Count)]
        $ops = 1 + $Random.Next(4)
        for ($k = 0; $k -lt $ops; $k++) {
            $at = if ($text.Length) { $Random.Next($text.Length + 1) } else { 0 }
            switch ($Random.Next(6)) {
                0 { $text = $text.Insert($at, $Pieces[$Random.Next($Pieces.Count)]) }
                1 { if ($text.Length -gt 0) { $n = [Math]::Min($text.Length - [Math]::Min($at, $text.Length - 1), 1 + $Random.Next(12)); $from = [Math]::Min($at, $text.Length - 1); $text = $text.Remove($from, [Math]::Max(0, [Math]::Min($n, $text.Length - $from))) } }
                2 { $lines = [System.Collections.Generic.List[string]]::new([string[]]$text.Split("`n")); $i = $Random.Next($lines.Count); $lines.Insert($Random.Next($lines.Count + 1), $lines[$i]); $text = $lines -join "`n" }
                3 { $lines = $text.Split("`n"); $i = $Random.Next($lines.Length); $j = $Random.Next($lines.Length); $t = $lines[$i]; $lines[$i] = $lines[$j]; $lines[$j] = $t; $text = $lines -join "`n" }
                4 { $text = $text.Substring(0, $at) }
                5 { $lines = $text.Split("`n"); $i = $Random.Next($lines.Length); $lines[$i] = $lines[$i].ToUpperInvariant(); $text = $lines -join "`n" }
            }
        }
        $text
    }

    # Runs one parser over Count inputs; returns the failures (a crash, or an object that does not round-trip).
    function Invoke-Fuzz([int] $Offset, [string[]] $Corpus, [scriptblock] $Parse, [scriptblock] $RoundTrip) {
        $random = [System.Random]::new($Seed + $Offset)
        $failures = [System.Collections.Generic.List[string]]::new()
        $outcomes = @{ Valid = 0; Refused = 0 }
        for ($n = 0; $n -lt $Count; $n++) {
            $text = Get-Mutation $random $Corpus
            try {
                $parsed = & $Parse $text
            }
            catch {
                $e = $_.Exception
                while ($e -and $e -isnot [HomeTunnel.HomeTunnelException] -and $e.InnerException) { $e = $e.InnerException }
                if ($e -isnot [HomeTunnel.HomeTunnelException] -or $e.ErrorId -like '*Unreadable') {
                    $failures.Add("seed $($Seed + $Offset) input $($n): $($_.Exception.GetBaseException().GetType().Name): $($_.Exception.GetBaseException().Message)")
                }
                elseif ($e.Kind -notin [HomeTunnel.ErrorKind]::GetValues([HomeTunnel.ErrorKind])) {
                    $failures.Add("seed $($Seed + $Offset) input $($n): no category")
                }
                $outcomes.Refused++
                continue
            }
            $outcomes.Valid++
            try {
                $problem = & $RoundTrip $parsed
                if ($problem) { $failures.Add("seed $($Seed + $Offset) input $($n): $problem") }
            }
            catch { $failures.Add("seed $($Seed + $Offset) input $($n): round trip threw $($_.Exception.GetBaseException().Message)") }
        }
        Write-Host "  $Count inputs: $($outcomes.Valid) valid, $($outcomes.Refused) refused"
        , $failures
    }
}

Describe 'Fuzzing the parsers' {
    It 'wg-quick text: every input is refused with an id or round-trips' {
        $failures = Invoke-Fuzz 1 $WgCorpus { param($t) [HomeTunnel.WireGuard.WireGuardConfigParser]::Parse($t) } {
            param($c)
            $again = [HomeTunnel.WireGuard.WireGuardConfigParser]::Parse($c.RevealText())
            if ($again.RevealText() -cne $c.RevealText()) { 'rendering does not parse back to the same text' }
        }
        $failures | Select-Object -First 5 | Should -BeNullOrEmpty
    }

    It 'Apache text: every input is refused with an id or round-trips' {
        $failures = Invoke-Fuzz 2 $ApacheCorpus { param($t) [HomeTunnel.Apache.ApacheSiteParser]::Parse($t, $null, $null) } {
            param($sites)
            foreach ($s in $sites) {
                $again = [HomeTunnel.Apache.ApacheSiteParser]::Parse($s.Text, $null, $s.AllowedDirectives)
                if ($again.Count -ne 1 -or $again[0].Text -cne $s.Text) { return "site $($s.ServerName) does not parse back to the same text:`n$($s.Text)`n---`n$($again[0].Text)" }
            }
        }
        $failures | Select-Object -First 5 | Should -BeNullOrEmpty
    }

    It 'peer files: every input is refused with an id or round-trips' {
        $failures = Invoke-Fuzz 3 $PeerCorpus { param($t) [HomeTunnel.WireGuard.TunnelPeerFile]::Read($t, 'fuzz.json') } {
            param($peers)
            $text = [HomeTunnel.WireGuard.TunnelPeerFile]::Write([HomeTunnel.WireGuard.TunnelPeer[]] @($peers | Where-Object { $_ }), $true)
            $again = [HomeTunnel.WireGuard.TunnelPeerFile]::Write([HomeTunnel.WireGuard.TunnelPeerFile]::Read($text, 'again.json'), $true)
            if ($again -cne $text) { 'the peer file does not read back to the same text' }
        }
        $failures | Select-Object -First 5 | Should -BeNullOrEmpty
    }
}

Describe 'Fuzzing what hosts send back' {
    BeforeAll {
        $script:SsCorpus = @(
            "tcp   LISTEN 0      128          0.0.0.0:22        0.0.0.0:*    users:((`"sshd`",pid=512,fd=3))`ntcp   LISTEN 0      511                *:80              *:*    users:((`"apache2`",pid=700,fd=4))`nudp   UNCONN 0      0            0.0.0.0:51820     0.0.0.0:*`ntcp   LISTEN 0      4096       [::1]:631       [::]:*"
            "port 22`nlistenaddress 0.0.0.0:22`nlistenaddress [::]:2222"
            "wg0`t51820`nwg1`t0"
            "wg0`tAbCd=`t192.168.4.2/32 fd00::2/128`nwg1`tEf=`t(none)"
        )
        $script:ProbeCorpus = @(
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl`n# Host x found: line 3`n@revoked x ssh-rsa AAAAB3NzaC1yc2E=`nx ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTY="
            "ID=debian`nID_LIKE=`"ubuntu debian`"`nVERSION_ID=`"12`"`nPRETTY_NAME=`"Debian GNU/Linux 12 (bookworm)`""
        )
    }

    It 'relay facts (ss, sshd -T, wg): every input is read as facts, with no control character in what they show' {
        $failures = Invoke-Fuzz 4 $SsCorpus {
            param($t)
            $files = [System.Collections.Generic.Dictionary[string, string]]::new(); $files['wg0'] = $t
            [HomeTunnel.Forwards.RelayNeeds]::From([HomeTunnel.Hosts.Contract.RelayNeedsText]::new([HomeTunnel.Hosts.Contract.TunnelPeerText]::new($t, $t, $files), $true, $t, $t, $t))
        } {
            param($needs)
            if ($needs.Ports | Where-Object { $_.Port -lt 1 -or $_.Port -gt 65535 -or ($_.Who.ToCharArray() | Where-Object { [HomeTunnel.HostText]::IsControl($_) }) }) { 'a port out of range or a control character in who uses it' }
        }
        $failures | Select-Object -First 5 | Should -BeNullOrEmpty
    }

    It 'known_hosts lines, key scans and os-release: every input is read, with no control character in what is shown' {
        $failures = Invoke-Fuzz 5 $ProbeCorpus {
            param($t)
            @([HomeTunnel.Bootstrap.HostKeyTrust]::ParseKnown($t)) + @([HomeTunnel.Bootstrap.HostKeyTrust]::ParseScan($t)) + @([HomeTunnel.Bootstrap.OsRelease]::Parse($t))
        } {
            param($all)
            foreach ($o in $all) {
                if ($o -is [HomeTunnel.Bootstrap.OsRelease] -and ($o.PrettyName.ToCharArray() | Where-Object { [HomeTunnel.HostText]::IsControl($_) })) { return 'a control character in the pretty name' }
            }
        }
        $failures | Select-Object -First 5 | Should -BeNullOrEmpty
    }

    It 'a forward''s file on the relay (Unpublish reads it back): read as the same forward, or as no forward' {
        $homeAt = [ipaddress]'192.168.4.2'
        $corpus = @(
            [HomeTunnel.Forwards.TunnelPortForward]::Create('Tcp', '2222', '22', $homeAt, 'home', 'wg0', $false).PublishedBy('a.example.test').Text
            [HomeTunnel.Forwards.TunnelPortForward]::Create('Udp', '27015-27030', '27015-27030', $homeAt, 'home', 'wg1', $true).Text
        )
        $failures = Invoke-Fuzz 6 $corpus { param($t) , @([HomeTunnel.Forwards.TunnelPortForward]::FromFile($t)) } {
            param($found)
            foreach ($f in $found | Where-Object { $_ }) {
                $again = [HomeTunnel.Forwards.TunnelPortForward]::FromFile($f.Text)
                if ($again.Text -cne $f.Text) { return 'the forward read back does not render the same file' }
                if ($f.PublishedWith -and $f.PublishedWith -notmatch '\A[a-z0-9.-]+\z') { return "a service name that is no name: $($f.PublishedWith)" }
                if ($null -ne [HomeTunnel.Apache.BackendPolicy]::NotInTunnel($f.Address)) { return "a destination no forward may have: $($f.Address)" }
            }
        }
        $failures | Select-Object -First 5 | Should -BeNullOrEmpty
    }
}
