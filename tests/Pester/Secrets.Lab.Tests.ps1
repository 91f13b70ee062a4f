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
