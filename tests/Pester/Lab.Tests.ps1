# The lab itself (tests/Lab): a real double-NAT network, the seed's setup done by hand through it,
# remoting over SSH into its hosts, HTTPS from a local ACME server, and a clean teardown.
BeforeAll {
    . $PSScriptRoot/Common.ps1
    Import-Module "$RepoRoot/tests/Lab/Lab.psm1" -Force
    $lab = Start-Lab -Prefix htlab -Index 1
    $a = $lab.Addresses
}
AfterAll {
    if ($lab) { Stop-Lab $lab }
}

Describe 'The lab network' -Tag Lab {
    It 'keeps the home service unreachable from the internet (the NATs hold)' {
        foreach ($target in "http://$($a.HomeLan):3000/", "http://$($a.RoomWan):3000/", "http://$($a.Carrier):3000/") {
            $r = Invoke-LabHttp $lab $target -CurlArgument '--connect-timeout', '2'
            $r.ExitCode | Should -Not -Be 0 -Because "$target must not answer from the internet"
        }
    }

    It 'lets the home machine reach the relay, and the home service answer at home' {
        (Invoke-LabHttp $lab "http://$($a.Relay)/" -FromHost home).Status | Should -Be '200'
        (Invoke-LabHttp $lab 'http://127.0.0.1:3000/' -FromHost home).Body | Should -Match 'hometunnel-lab-home-service'
    }

    It 'resolves the lab''s names through the lab DNS' {
        (Invoke-LabHost $lab client getent hosts $lab.SiteName) | Should -Match ([regex]::Escape($a.Relay))
    }

    It 'gives each host its own /etc/wireguard and /etc/apache2' {
        Invoke-LabHost $lab relay touch /etc/wireguard/only-on-relay
        Invoke-LabHost $lab home test -e /etc/wireguard/only-on-relay
        $LASTEXITCODE | Should -Not -Be 0
        Test-Path /etc/wireguard/only-on-relay | Should -BeFalse
        Invoke-LabHost $lab relay rm /etc/wireguard/only-on-relay
    }
}

Describe 'The seed''s setup, done by hand, works through both NATs' -Tag Lab {
    BeforeAll {
        $relayKey = (Invoke-LabHost $lab relay wg genkey)
        $homeKey = (Invoke-LabHost $lab home wg genkey)
        $relayPub = ($relayKey | wg pubkey)
        $homePub = ($homeKey | wg pubkey)
        $relayConf = "[Interface]`nPrivateKey = $relayKey`nAddress = 192.168.4.1/24`nListenPort = 51820`n`n[Peer]`nPublicKey = $homePub`nAllowedIPs = 192.168.4.2/32`n"
        $homeConf = "[Interface]`nPrivateKey = $homeKey`nAddress = 192.168.4.2/32`n`n[Peer]`nPublicKey = $relayPub`nAllowedIPs = 192.168.4.1/32`nEndpoint = $($a.Relay):51820`nPersistentKeepalive = 25`n"
        Set-Content "$($lab.Hosts.relay.Directory)/etc-wireguard/wgseed.conf" $relayConf -NoNewline
        Set-Content "$($lab.Hosts.home.Directory)/etc-wireguard/wgseed.conf" $homeConf -NoNewline
        chmod 600 "$($lab.Hosts.relay.Directory)/etc-wireguard/wgseed.conf" "$($lab.Hosts.home.Directory)/etc-wireguard/wgseed.conf"
        Invoke-LabHost $lab relay wg-quick up wgseed 2>&1 | Out-Null
        Invoke-LabHost $lab home wg-quick up wgseed 2>&1 | Out-Null

        $site = "<VirtualHost *:80>`n    ServerName $($lab.SiteName)`n    ProxyPass / http://192.168.4.2:3000/`n    ProxyPassReverse / http://192.168.4.2:3000/`n</VirtualHost>`n"
        Set-Content "$($lab.Hosts.relay.Directory)/etc-apache2/sites-available/seed.conf" $site
        Invoke-LabHost $lab relay a2enmod -q proxy proxy_http | Out-Null
        Invoke-LabHost $lab relay a2ensite -q seed | Out-Null
        Invoke-LabHost $lab relay apache2ctl graceful 2>&1 | Out-Null
    }
    AfterAll {
        Invoke-LabHost $lab relay a2dissite -q seed | Out-Null
        Invoke-LabHost $lab relay apache2ctl graceful 2>&1 | Out-Null
        Invoke-LabHost $lab home wg-quick down wgseed 2>&1 | Out-Null
        Invoke-LabHost $lab relay wg-quick down wgseed 2>&1 | Out-Null
    }

    It 'handshakes although only the home side knows an endpoint, and the relay sees the carrier''s address' {
        Wait-LabCondition { (Invoke-LabHost $lab home ping -c 1 -W 1 192.168.4.1) -match '1 received' } 'a ping through the tunnel' 10
        $dump = @(Invoke-LabHost $lab relay wg show wgseed dump)
        $peer = $dump[1] -split "`t"
        $peer[2] | Should -BeLike "$($a.Carrier):*" -Because 'the home side arrives through both NATs'
        [long]$peer[4] | Should -BeGreaterThan 0 -Because 'a handshake happened'
    }

    It 'serves the home service to the client through the relay' {
        Wait-LabCondition { (Invoke-LabHttp $lab "http://$($lab.SiteName)/").Status -eq '200' } 'the proxied site' 10
        $r = Invoke-LabHttp $lab "http://$($lab.SiteName)/hello"
        $r.Body | Should -Match 'hometunnel-lab-home-service'
        $r.Body | Should -Match "Host: $([regex]::Escape($lab.SiteName))|Host: 192.168.4.2:3000"
        $r.Body | Should -Match "X-Forwarded-For: $([regex]::Escape($a.Client))"
    }

    It 'answers another Host with the default site, not the home service' {
        $r = Invoke-LabHttp $lab "http://$($a.Relay)/" -CurlArgument '-H', 'Host: other.example.test'
        $r.Status | Should -Be '200'
        $r.Body | Should -Not -Match 'hometunnel-lab-home-service'
    }
}

Describe 'PowerShell remoting over SSH into the lab hosts' -Tag Lab {
    It 'opens a session into <Name> with host keys checked' -ForEach @(@{ Name = 'relay' }, @{ Name = 'home' }) {
        $session = New-LabSession $lab $Name
        try {
            $result = Invoke-Command $session { [pscustomobject]@{ User = (id -un); Addresses = (ip -br addr | Out-String) } }
            $result.User | Should -Be 'root'
            $expected = if ($Name -eq 'relay') { $a.Relay } else { $a.HomeLan }
            $result.Addresses | Should -Match ([regex]::Escape($expected))
        }
        finally { Remove-PSSession $session }
    }

    It 'refuses a host whose key is not known, at once and without a prompt' {
        $empty = Join-Path $lab.Directory 'empty_known_hosts'
        Set-Content $empty @()
        $options = Get-LabSshOption $lab
        $options.UserKnownHostsFile = $empty
        $watch = [Diagnostics.Stopwatch]::StartNew()
        { New-PSSession -HostName $a.Relay -UserName root -KeyFilePath $lab.KeyFile -Options $options -ErrorAction Stop } | Should -Throw
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 15
    }
}

Describe 'HTTPS with a certificate from the lab''s ACME server' -Tag Lab {
    It 'obtains a certificate through mod_md and serves it to the client' {
        $relayEtc = "$($lab.Hosts.relay.Directory)/etc-apache2"
        Set-Content "$relayEtc/sites-available/seed-tls.conf" (@(
                "MDomain $($lab.SiteName)"
                '<VirtualHost *:443>'
                "    ServerName $($lab.SiteName)"
                '    SSLEngine on'
                '    ProxyPass / http://127.0.0.1:9/'
                '</VirtualHost>'
            ) -join "`n")
        # mod_md's background job starts only when Apache starts with mod_md loaded: a graceful reload
        # that first loads the module leaves the domain waiting forever. So: module, full restart, then site.
        Invoke-LabHost $lab relay a2enmod -q md ssl proxy proxy_http | Out-Null
        Invoke-LabHost $lab relay apache2ctl stop 2>&1 | Out-Null
        Wait-LabCondition { -not (Test-Path "$($lab.Hosts.relay.Directory)/run-apache2/apache2.pid") } 'Apache to stop' 10
        Invoke-LabHost $lab relay apache2ctl start 2>&1 | Out-Null
        $LASTEXITCODE | Should -Be 0
        Invoke-LabHost $lab relay a2ensite -q seed-tls | Out-Null
        $test = Invoke-LabHost $lab relay apache2ctl configtest 2>&1
        $LASTEXITCODE | Should -Be 0 -Because "$test"
        Invoke-LabHost $lab relay apache2ctl graceful 2>&1 | Out-Null
        $log = "$($lab.Hosts.relay.Directory)/log-apache2/error.log"
        Wait-LabCondition { (Get-Content $log -Raw -ErrorAction Ignore) -match 'AH10059' } 'mod_md to obtain the certificate' 120
        Invoke-LabHost $lab relay apache2ctl graceful 2>&1 | Out-Null

        $roots = Join-Path $lab.Directory 'pebble-roots.pem'
        Invoke-LabHost $lab client curl -s --max-time 5 --cacert $lab.AcmeCaFile -o $roots "https://$($a.Dns):15000/roots/0"
        $LASTEXITCODE | Should -Be 0
        Wait-LabCondition {
            $r = Invoke-LabHttp $lab "https://$($lab.SiteName)/" -CurlArgument '--cacert', $roots
            $r.ExitCode -eq 0
        } 'Apache to serve the new certificate' 20
        $issuer = Invoke-LabHost $lab client bash -c "echo | openssl s_client -connect $($lab.SiteName):443 -servername $($lab.SiteName) 2>/dev/null | openssl x509 -noout -issuer"
        $issuer | Should -Match 'Pebble'
    }
}

Describe 'Stop-Lab' -Tag Lab {
    It 'leaves no namespace, link, process, mount or file behind, and a stale lab does not break the next start' {
        $second = Start-Lab -Prefix htgone -Index 2
        $pids = @(Get-LabProcessId $second.Prefix)
        $pids.Count | Should -BeGreaterThan 5
        # A crashed run: start again under the same prefix without stopping first.
        $second = Start-Lab -Prefix htgone -Index 2
        $pids += @(Get-LabProcessId $second.Prefix)
        Stop-Lab $second

        @(ip netns list | Where-Object { $_ -like 'htgone-*' }) | Should -HaveCount 0
        @(ip -o link show | Where-Object { $_ -match ': htgone' }) | Should -HaveCount 0
        @($pids | Where-Object { Test-LabProcessAlive $_ }) | Should -HaveCount 0
        (Get-Content /proc/self/mounts -Raw) | Should -Not -Match 'hometunnel-lab/htgone'
        Test-Path $second.Directory | Should -BeFalse
    }
}
