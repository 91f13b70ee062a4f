# Port forwards on the lab's real relay: TCP and UDP from the internet-side client, through nftables DNAT in
# HomeTunnel's own table and the tunnel, to the home machine behind both NATs.
BeforeAll {
    . $PSScriptRoot/LabSeed.ps1 -Prefix htfwd -Index 0 -Install
    # A UDP echo on the home machine: answers each datagram with it and the sender's address.
    $echo = Join-Path $lab.Directory 'udp-echo.py'
    Set-Content -LiteralPath $echo -Value @(
        'import socket'
        's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)'
        's.bind(("0.0.0.0", 7777))'
        'while True:'
        '    data, peer = s.recvfrom(2048)'
        '    s.sendto(data + b" from " + peer[0].encode(), peer)'
    )
    $null = Start-LabProcess $lab home 'udp-echo' @('python3', $echo)
    Wait-LabCondition { (Invoke-LabHost $lab home ss -Hlun 'sport = :7777') -match '7777' } 'the UDP echo' 20
    function Send-LabUdp([int] $Port, [string] $Text = 'ping') {
        $code = "import socket; s = socket.socket(2, 2); s.settimeout(2); s.sendto(b'$Text', ('$($a.Relay)', $Port)); print(s.recvfrom(2048)[0].decode())"
        "$(Invoke-LabHost $lab client python3 -c $code 2>&1)"
    }
    $tcp = $homePeer | New-TunnelPortForward -Protocol Tcp -PublicPort 8080 -Port 3000
    $udp = $homePeer | New-TunnelPortForward -Protocol Udp -PublicPort 5353 -Port 7777
    # The home side is fenced (its config's install): each forward's home port is opened to the relay, as Publish does.
    $null = $site, $tcp, $udp, ($homePeer | New-TunnelPortForward -Protocol Tcp -PublicPort 2222 -Port 22), ($homePeer | New-TunnelPortForward -Protocol Tcp -PublicPort 8090 -Port 3999) |
        Install-TunnelHomeFirewall -Session $box -RelayAddress 192.168.4.1
    # A table of the relay's owner, which HomeTunnel must never touch.
    Invoke-LabHost $lab relay nft add table inet owner
    Invoke-LabHost $lab relay nft add chain inet owner input '{ type filter hook input priority 0; policy accept; }'
    Invoke-LabHost $lab relay nft add rule inet owner input tcp dport 9 counter accept
    $ownerBefore = Invoke-LabHost $lab relay nft list table inet owner | Out-String
}
AfterAll {
    Get-PSSession | Remove-PSSession
    if ($lab) { Stop-Lab $lab }
}

Describe 'Install-TunnelPortForward on the lab relay' -Tag Lab {
    # The relay's invariants after every test, whatever its own assertions said (tests/Lab: Assert-LabInvariant).
    BeforeEach { $script:invariantBefore = Get-LabInvariantState $lab }
    AfterEach { Assert-LabInvariant $lab $script:invariantBefore }

    It 'shows the change with -WhatIf and makes none' {
        $out = $tcp, $udp | Install-TunnelPortForward -Session $vps -WhatIf
        $out | Should -BeNullOrEmpty
        Invoke-LabHost $lab relay nft list table ip hometunnel 2>$null
        $LASTEXITCODE | Should -Not -Be 0
        Test-Path "$($lab.Hosts.relay.Directory)/etc-hometunnel/forwards.d/tcp-8080.nft" | Should -BeFalse
    }

    It 'forwards TCP and UDP from the internet to the home machine, which sees the relay''s tunnel address' {
        $r = $tcp, $udp | Install-TunnelPortForward -Session $vps
        $r.State | Should -Be 'Created'
        $web = Invoke-LabHttp $lab "http://$($a.Relay):8080/forwarded"
        $web.Status | Should -Be '200'
        $web.Body | Should -Match 'hometunnel-lab-home-service'
        $web.Body | Should -Match '(?m)^Remote: 192\.168\.4\.1\r?$'
        Send-LabUdp 5353 | Should -Be 'ping from 192.168.4.1'
    }

    It 'takes ssh -p 2222 from the internet to the home machine''s sshd, which sees the relay''s tunnel address' {
        # The home machine's sshd, listening on its tunnel address too (the lab's own listens on management only).
        $dir = $lab.Hosts.home.Directory
        $config = Join-Path $dir 'sshd_config_tunnel'
        (Get-Content (Join-Path $dir 'sshd_config')) -replace '^ListenAddress .*', "ListenAddress $($a.HomeTunnel)" -replace '^PidFile .*', "PidFile $dir/sshd-tunnel.pid" |
            Set-Content -LiteralPath $config
        $null = Start-LabProcess $lab home 'sshd-tunnel' @('/usr/sbin/sshd', '-D', '-e', '-f', $config)
        Wait-LabCondition { (Invoke-LabHost $lab home ss -Hltn "src $($a.HomeTunnel) and sport = :22") -match 'LISTEN' } 'sshd on the tunnel address' 20
        $ssh = $homePeer | New-TunnelPortForward -Protocol Tcp -PublicPort 2222 -Port 22
        ($ssh | Install-TunnelPortForward -Session $vps).State | Should -Be 'Created'
        # The visitor trusts the home machine's own host key for [relay]:2222: the answer comes from home, not the relay.
        $known = Join-Path $lab.Directory 'known_hosts_2222'
        Set-Content -LiteralPath $known -Value "[$($a.Relay)]:2222 $((Get-Content "$dir/ssh_host_ed25519_key.pub").Split(' ')[0..1] -join ' ')"
        $out = Invoke-LabHost $lab client ssh -p 2222 -i $lab.KeyFile -o BatchMode=yes -o "UserKnownHostsFile=$known" -o GlobalKnownHostsFile=/dev/null "root@$($a.Relay)" 'echo "client=${SSH_CLIENT%% *}"; ip -4 -o addr show dev wg0' 2>&1
        $LASTEXITCODE | Should -Be 0 -Because "$out"
        "$out" | Should -Match 'client=192\.168\.4\.1\b'
        "$out" | Should -Match 'inet 192\.168\.4\.2/32'
        ($ssh | Uninstall-TunnelPortForward -Session $vps -Confirm:$false).State | Should -Be 'Removed'
    }

    It 'changes nothing when applied again, and never touches another table' {
        ($tcp, $udp | Install-TunnelPortForward -Session $vps).State | Should -Be 'Unchanged'
        Invoke-LabHost $lab relay nft list table inet owner | Out-String | Should -Be $ownerBefore
    }

    It 'is not Unchanged when the table is gone (a flush, a reboot without the unit): it loads it again' {
        Invoke-LabHost $lab relay nft delete table ip hometunnel
        Send-LabUdp 5353 | Should -Not -Be 'ping from 192.168.4.1'
        $r = $tcp, $udp | Install-TunnelPortForward -Session $vps
        $r.State | Should -Be 'Changed'
        $r.Actions | Should -Contain 'nft -f /etc/hometunnel/forwards.nft'
        Send-LabUdp 5353 | Should -Be 'ping from 192.168.4.1'
    }

    It 'is checked by Test-TunnelPath -Forward: one Forward hop each, TCP by a connection, UDP by a request and its answer' {
        $r = Test-TunnelPath $lab.SiteName -RelaySession $vps -HomeSession $box -DnsServer $a.Dns -Forward $tcp, $udp -UdpRequest 'ping'
        $r.Status | Should -Be 'Pass' -Because ($r.ToTable())
        $hops = @($r.Hops | Where-Object Hop -EQ 'Forward')
        $hops | Should -HaveCount 2
        $hops.Detail | Should -Be @('tcp 8080 -> 192.168.4.2:3000: connects through the relay', 'udp 5353 -> 192.168.4.2:7777: answers through the relay')
        # A forward that is not there fails its hop, with the remedy to install it.
        $missing = $homePeer | New-TunnelPortForward -Protocol Udp -PublicPort 5354 -Port 7777
        $r = Test-TunnelPath $lab.SiteName -RelaySession $vps -HomeSession $box -DnsServer $a.Dns -Forward $missing -TimeoutSeconds 5
        $r.FailedHop | Should -Be 'Forward'
        $r.Remedy | Should -Match 'Install-TunnelPortForward'
        ($r.Hops | Where-Object Hop -EQ 'Forward').Detail | Should -Match 'the relay has no rule for udp-5354'
        # Loaded, but nothing listens at home: the relay's own connection says so, and the remedy is the service.
        $dead = $homePeer | New-TunnelPortForward -Protocol Tcp -PublicPort 8090 -Port 3999
        $null = $dead | Install-TunnelPortForward -Session $vps
        try {
            $r = Test-TunnelPath $lab.SiteName -RelaySession $vps -HomeSession $box -DnsServer $a.Dns -Forward $dead -TimeoutSeconds 10
            ($r.Hops | Where-Object Hop -EQ 'Forward').Detail | Should -Match 'the rule is loaded, but the relay cannot reach 192\.168\.4\.2:3999 either'
            $r.Remedy | Should -Match 'Start the service on the home machine'
        }
        finally { $null = $dead | Uninstall-TunnelPortForward -Session $vps -Confirm:$false }
    }

    It 'lets through only the connections it forwards between the tunnel and the outside' {
        $rules = Invoke-LabHost $lab relay nft list chain ip hometunnel forward | Out-String
        $rules | Should -Match 'ct status dnat accept'
        $rules | Should -Match 'iifname @tunnels drop'
        # The segment size of a forwarded connection fits the tunnel's MTU, announced in its SYN and SYN-ACK.
        $rules | Should -Match 'tcp flags syn / syn,rst tcp option maxseg size set rt mtu'
        Invoke-LabHost $lab relay nft list set ip hometunnel tunnels | Out-String | Should -Match '"wg0"'
    }

    It 'refuses to replace a forward file it did not write' {
        Invoke-LabHost $lab relay sh -c 'printf "add rule ip hometunnel prerouting tcp dport 2000 accept\n" > /etc/hometunnel/forwards.d/tcp-2000.nft'
        $foreign = $homePeer | New-TunnelPortForward -Protocol Tcp -PublicPort 2000
        $e = Get-ErrorRecord { $foreign | Install-TunnelPortForward -Session $vps }
        $e.FullyQualifiedErrorId | Should -BeLike 'NotOwnedByHomeTunnel*'
        Invoke-LabHost $lab relay cat /etc/hometunnel/forwards.d/tcp-2000.nft | Should -Be 'add rule ip hometunnel prerouting tcp dport 2000 accept'
        Invoke-LabHost $lab relay rm /etc/hometunnel/forwards.d/tcp-2000.nft
    }

    It 'removes one forward and keeps the other; with the last, the table goes' {
        (Uninstall-TunnelPortForward -Protocol Tcp -PublicPort 8080 -Session $vps -Confirm:$false).State | Should -Be 'Removed'
        (Invoke-LabHttp $lab "http://$($a.Relay):8080/").Status | Should -Not -Be '200'
        Send-LabUdp 5353 | Should -Be 'ping from 192.168.4.1'
        ($udp | Uninstall-TunnelPortForward -Session $vps -Confirm:$false).State | Should -Be 'Removed'
        Invoke-LabHost $lab relay nft list table ip hometunnel 2>$null
        $LASTEXITCODE | Should -Not -Be 0
        Invoke-LabHost $lab relay ls /etc/hometunnel/forwards.d | Should -BeNullOrEmpty
        Invoke-LabHost $lab relay nft list table inet owner | Out-String | Should -Be $ownerBefore
        # The site through Apache still works: nothing else on the relay changed.
        (Invoke-LabHttp $lab "http://$($lab.SiteName)/").Status | Should -Be '200'
    }
}
