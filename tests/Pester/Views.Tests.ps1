# Every output type's default view, at 80 and 120 columns, against its snapshot (tests/Pester/fixtures/views):
# what a user decides on must be on screen, and a changed view is a reviewed diff. HOMETUNNEL_UPDATE_SNAPSHOTS=1
# writes the snapshots instead (then read them before committing).
BeforeDiscovery {
    $script:Cases = foreach ($name in 'TunnelPeer', 'ApacheProxySite', 'TunnelPortForward', 'WireGuardConfig', 'TunnelDnsRecord',
        'TunnelKeyRotation', 'TunnelMtu', 'TunnelNatTimeout', 'TunnelPathCheckRegistration', 'TunnelConfigFinding') {
        foreach ($width in 80, 120) { @{ Name = $name; Width = $width } }
    }
}

BeforeAll {
    . $PSScriptRoot/Common.ps1
    $snapshots = Join-Path $PSScriptRoot 'fixtures/views'
    # Fixed keys, so the shown key prefixes are the same every run (never a real key of anyone's).
    $relayKey = 'YOuOUkqWLyrKzGfVuj6WfZ1m48DbBJxJ9ZCnJXiTTEE='
    $homeKey = 'gIpx0TSLBmMknE1O3RkTlLQJ1KlpbmUTxDfFlRvnJWw='
    $relay = New-TunnelPeer -Name relay -Role Relay -Address 192.168.4.1/24 -ListenPort 51820 -Endpoint vps.example.com -PrivateKey $relayKey
    $homePeer = New-TunnelPeer -Name home -Role Home -Address 192.168.4.2/32, fd00:4::2/128 -PrivateKey $homeKey
    $door = [pscredential]::new('alice', (ConvertTo-SecureString 'a-long-door-passphrase' -AsPlainText -Force))
    $objects = @{
        TunnelPeer = @($relay, $homePeer)
        ApacheProxySite = @(
            $homePeer | New-ApacheProxySite -ServerName photos.example.com -Port 2342 -Https
            $homePeer | New-ApacheProxySite -ServerName family.example.com -Port 3000 -AllowFrom 203.0.113.0/24 -Credential $door
            $homePeer | New-ApacheProxySite -ServerName app.example.com -Port 8080 -Path /app/ -ServerAlias www.app.example.com
        )
        TunnelPortForward = @(
            $homePeer | New-TunnelPortForward -Protocol Tcp -PublicPort 2222 -Port 22
            $homePeer | New-TunnelPortForward -Protocol Udp -PublicPort 27015-27030 -PreserveClientAddress
        )
        WireGuardConfig = @(New-WireGuardConfig -For $relay -Peer $homePeer; New-WireGuardConfig -For $homePeer -Peer $relay)
        TunnelDnsRecord = @(
            [HomeTunnel.DnsUpdate.TunnelDnsRecord]@{ Name = 'site.example.com'; Zone = 'example.com'; Server = '192.0.2.53'; State = 'Changed'; Values = @('203.0.113.1', '198.51.100.7'); Ttl = 60; Owned = $true }
            [HomeTunnel.DnsUpdate.TunnelDnsRecord]@{ Name = 'www.example.com'; Zone = 'example.com'; Server = '192.0.2.53'; State = 'Unchanged'; Values = @('site.example.com.'); Ttl = 300; Owned = $false }
        )
        TunnelKeyRotation = @([HomeTunnel.Cmdlets.TunnelKeyRotation]@{ PeerName = 'home'; InterfaceName = 'wg0'; OldPublicKey = $homePeer.PublicKey; NewPublicKey = $relay.PublicKey; PresharedKeyRotated = $true; Took = [timespan]::FromMilliseconds(4210); PeerFile = '/root/.hometunnel/peers.json' })
        TunnelMtu = @([HomeTunnel.Probes.TunnelMtu]@{ Relay = 'vps.example.com'; PathMtu = 1412; TunnelHomeToRelay = 1420; TunnelRelayToHome = 1420; InterfaceMtu = 1420; RecommendedMtu = 1352; Status = 'Warn'; Detail = 'the path carries 1412 bytes; the tunnel needs 1352 or less (set -Mtu 1352 on both ends)' })
        TunnelNatTimeout = @([HomeTunnel.Probes.TunnelNatTimeout]@{ Relay = 'vps.example.com'; IdleSurvivedSeconds = 15; IdleLostSeconds = 20; Keepalive = 25; RecommendedKeepalive = 12; Status = 'Warn'; Detail = 'the NATs forget an idle mapping after 15-20 s; PersistentKeepalive is 25 s: set PersistentKeepalive = 12 on the home side' })
        TunnelPathCheckRegistration = @([HomeTunnel.Cmdlets.TunnelPathCheckRegistration]@{ Name = 'site'; ServerName = 'site.example.com'; ServerNames = @('site.example.com', 'photos.example.com'); Scheduler = 'Systemd'; NotifyTargets = @('Ntfy https://ntfy.sh/…'); IntervalMinutes = 5; ScriptPath = '/etc/hometunnel/checks/site.ps1'; LogPath = '/var/log/hometunnel/site.jsonl'; CommandLine = '/usr/bin/pwsh -NoProfile -NonInteractive -File /etc/hometunnel/checks/site.ps1' })
        # A relay with no port or endpoint, and two homes on one address: errors and a warning to show.
        TunnelConfigFinding = @(Test-TunnelConfig (New-TunnelPeer -Name relay2 -Role Relay -Address 192.168.4.1/24 -PrivateKey $relayKey), $homePeer,
            (New-TunnelPeer -Name home2 -Role Home -Address 192.168.4.2/32 -PersistentKeepalive 0 -PrivateKey $homeKey) -WarningAction SilentlyContinue)
    }
}

Describe 'The default views' {
    It '<Name> at <Width> columns' -ForEach $Cases {
        $items = @($objects[$Name])
        $items | Should -Not -BeNullOrEmpty
        $text = ($items | Out-String -Width $Width) -replace '\x1b\[[0-9;]*m', ''
        $lines = @($text -split "`r?`n" | ForEach-Object TrimEnd)
        foreach ($l in $lines) { $l.Length | Should -BeLessOrEqual $Width -Because "every line fits: '$l'" }
        $shown = ($lines -join "`n").Trim("`n") + "`n"
        $file = Join-Path $snapshots "$Name.$Width.txt"
        if ($env:HOMETUNNEL_UPDATE_SNAPSHOTS -eq '1') {
            $null = New-Item -ItemType Directory -Force $snapshots
            [IO.File]::WriteAllText($file, $shown)
        }
        $shown | Should -BeExactly ([IO.File]::ReadAllText($file))
    }

    It 'shows what a user decides on: a site''s door, a forward''s ports and target, every address' {
        $sites = ($objects.ApacheProxySite | Out-String -Width 80)
        $sites | Should -Match 'photos\.example\.com .* open '
        $sites | Should -Match '203\.0\.113\.0/24 \+ pw alice'
        $sites | Should -Match 'app\.example\.com .* /app/ → 192\.168\.4\.'
        ($objects.ApacheProxySite | Out-String -Width 120) | Should -Match '/app/ → 192\.168\.4\.2:8080/ www\.app\.example\.com'
        $forwards = ($objects.TunnelPortForward | Out-String -Width 80)
        $forwards | Should -Match 'tcp\s+2222\s+192\.168\.4\.2:22\s+home\s+wg0\s+relay'
        $forwards | Should -Match 'udp .* visitor'
        $forwards | Should -Match 'udp\s+27015-27030\s+192\.168\.4\.2:27015-27030'
        $peers = $objects.TunnelPeer | Out-String -Width 80
        $peers | Should -Match '192\.168\.4\.2/32, fd00:4::2/128'
        $peers | Should -Match 'vps\.example\.com:51820'
        $peers | Should -Match 'PublicKey' -Because 'the key prefix fits at 80 columns'
        $peers | Should -Not -Match ([regex]::Escape($homeKey)) -Because 'a private key never shows'
        ($objects.TunnelPeer | Format-List * | Out-String -Width 120) | Should -Not -Match ([regex]::Escape($homeKey))
    }

    It 'has a view for every type a cmdlet says it returns' {
        $types = Get-Command -Module HomeTunnel | ForEach-Object { $_.OutputType.Type } | Where-Object { $_ -and $_.Namespace -like 'HomeTunnel*' } | Sort-Object FullName -Unique
        $viewed = @(Get-FormatData -TypeName ($types.FullName) | ForEach-Object TypeNames)
        foreach ($t in $types) { $viewed | Should -Contain $t.FullName -Because "$($t.FullName) is returned by a cmdlet" }
    }
}
