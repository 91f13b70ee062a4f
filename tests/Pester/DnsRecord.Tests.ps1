# Set-, Get- and Remove-TunnelDnsRecord against a real bind9 (an authoritative server taking RFC 2136 updates signed
# with TSIG) on a loopback port, and against servers that behave badly (tests/Lab/FakeDns.py): what the zone holds
# after each command, that nothing else in it moves, and that the key's secret appears in no stream or file.
BeforeAll {
    . $PSScriptRoot/Common.ps1
    $dir = Join-Path $TestDrive 'bind'
    $null = New-Item -ItemType Directory $dir
    function Get-FreePort {
        $l = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0); $l.Start(); $p = $l.LocalEndpoint.Port; $l.Stop(); $p
    }
    $port = Get-FreePort
    $server = "127.0.0.1:$port"
    $secret = [Convert]::ToBase64String([Security.Cryptography.RandomNumberGenerator]::GetBytes(32))
    $stranger = [Convert]::ToBase64String([Security.Cryptography.RandomNumberGenerator]::GetBytes(32))
    Set-Content -LiteralPath "$dir/zone.db" -Value @(
        '$TTL 300'
        '@ IN SOA ns.ha.example.test. hostmaster.ha.example.test. 1 3600 600 86400 5'
        '@ IN NS ns.ha.example.test.'
        'ns IN A 127.0.0.1'
        '@ IN MX 10 mail.ha.example.test.'
        'mail IN A 192.0.2.25'
        'www IN A 192.0.2.80'
        'note IN TXT "the owner''s own record"'
        'both IN A 192.0.2.90'
        'both IN TXT "a name with other records"'
    )
    Set-Content -LiteralPath "$dir/named.conf" -Value @(
        'options {'
        "    directory `"$dir`"; pid-file `"$dir/named.pid`"; session-keyfile `"$dir/session.key`";"
        "    listen-on port $port { 127.0.0.1; }; listen-on-v6 { none; };"
        '    recursion no; allow-query { any; }; allow-transfer { 127.0.0.1; }; dnssec-validation no; notify no;'
        '};'
        'controls { };'
        "key `"hometunnel`" { algorithm hmac-sha256; secret `"$secret`"; };"
        "key `"stranger`" { algorithm hmac-sha256; secret `"$stranger`"; };"
        "zone `"ha.example.test`" { type primary; file `"$dir/zone.db`"; allow-update { key `"hometunnel`"; }; };"
    )
    $named = Start-Process -FilePath /usr/sbin/named -ArgumentList '-g', '-4', '-c', "$dir/named.conf" -PassThru `
        -RedirectStandardOutput "$dir/named.out" -RedirectStandardError "$dir/named.log"
    $deadline = [DateTime]::UtcNow.AddSeconds(30)
    while (-not ((dig +short +time=1 +tries=1 -p $port '@127.0.0.1' ha.example.test SOA) -match 'hostmaster')) {
        if ([DateTime]::UtcNow -gt $deadline -or $named.HasExited) { throw "bind did not start: $(Get-Content -Raw "$dir/named.log")" }
        Start-Sleep -Milliseconds 100
    }
    $keyFile = Join-Path $TestDrive 'hometunnel.key'
    Set-Content -LiteralPath $keyFile -Value "key `"hometunnel`" {`n`talgorithm hmac-sha256;`n`tsecret `"$secret`";`n};"
    chmod 600 $keyFile
    $key = [pscredential]::new('hometunnel', (ConvertTo-SecureString $secret -AsPlainText -Force))
    $dns = @{ DnsServer = $server; DnsKeyFile = $keyFile }
    function Get-WrongKey([string] $Name, [string] $Secret) { [pscredential]::new($Name, (ConvertTo-SecureString $Secret -AsPlainText -Force)) }
    # The zone as bind serves it (a transfer), without the SOA, whose serial each update moves.
    function Get-Zone { @(dig +noall +answer -p $port '@127.0.0.1' ha.example.test AXFR | Where-Object { $_ -and $_ -notmatch '\sSOA\s' } | ForEach-Object { $_ -replace '\s+', ' ' } | Sort-Object -Unique) }
    function Get-Serial { [int](((dig +short -p $port '@127.0.0.1' ha.example.test SOA) -split ' ')[2]) }
    # The fake servers (tests/Lab/FakeDns.py), each on a port of its own.
    $fakes = [System.Collections.Generic.List[object]]::new()
    function Start-FakeDns([string] $Mode) {
        $p = Get-FreePort
        $log = Join-Path $TestDrive "fake-$Mode.log"
        $process = Start-Process -FilePath python3 -ArgumentList "$RepoRoot/tests/Lab/FakeDns.py", '127.0.0.1', $p, $Mode -PassThru -RedirectStandardOutput $log
        $fakes.Add($process)
        $until = [DateTime]::UtcNow.AddSeconds(20)
        while (-not (Select-String -LiteralPath $log -Pattern ready -Quiet -ErrorAction Ignore)) {
            if ([DateTime]::UtcNow -gt $until) { throw "FakeDns.py $Mode did not start" }
            Start-Sleep -Milliseconds 50
        }
        "127.0.0.1:$p"
    }
}
AfterAll {
    if ($named) { Stop-Process -Id $named.Id -Force -ErrorAction Ignore }
    foreach ($f in $fakes) { Stop-Process -Id $f.Id -Force -ErrorAction Ignore }
}

Describe 'Set-TunnelDnsRecord on a zone''s primary server' {
    It 'creates the A records with a short TTL and its mark, and nothing else in the zone moves' {
        $before = Get-Zone
        $r = Set-TunnelDnsRecord app.ha.example.test 203.0.113.17, 203.0.113.1 @dns
        $r.State | Should -Be 'Created'
        $r.Zone | Should -Be 'ha.example.test'
        $r.Values | Should -Be @('203.0.113.1', '203.0.113.17')
        $r.Ttl | Should -Be 60
        $r.Owned | Should -BeTrue
        $after = Get-Zone
        $added = @($after | Where-Object { $_ -notin $before })
        $added | Should -Be @(
            '_hometunnel.app.ha.example.test. 60 IN TXT "heritage=hometunnel"'
            'app.ha.example.test. 60 IN A 203.0.113.1'
            'app.ha.example.test. 60 IN A 203.0.113.17')
        @($before | Where-Object { $_ -notin $after }) | Should -BeNullOrEmpty
    }

    It 'says Unchanged and sends nothing when the records are already there' {
        $serial = Get-Serial
        (Set-TunnelDnsRecord app.ha.example.test 203.0.113.1, 203.0.113.17 @dns).State | Should -Be 'Unchanged'
        Get-Serial | Should -Be $serial
    }

    It 'replaces the whole set with what is given, and a credential is a key as the file is' {
        $r = Set-TunnelDnsRecord app.ha.example.test 203.0.113.33, 2001:db8::33 -DnsServer $server -DnsKey $key -Ttl 30
        $r.State | Should -Be 'Changed'
        $r.Before | Should -Be @('app.ha.example.test. 60 IN A 203.0.113.1', 'app.ha.example.test. 60 IN A 203.0.113.17')
        (Get-Zone) -match '^app\.' | Should -Be @('app.ha.example.test. 30 IN A 203.0.113.33', 'app.ha.example.test. 30 IN AAAA 2001:db8::33')
        (Get-TunnelDnsRecord app.ha.example.test -DnsServer $server).Values | Should -Be @('2001:db8::33', '203.0.113.33')
    }

    It 'previews with -WhatIf: the lines that go and come, and the zone stays as it was' {
        $zone = Get-Zone; $serial = Get-Serial
        $transcript = Join-Path $TestDrive 'whatif.txt'
        Start-Transcript -LiteralPath $transcript
        try { $out = Set-TunnelDnsRecord app.ha.example.test 203.0.113.34 @dns -WhatIf }
        finally { Stop-Transcript }
        $out | Should -BeNullOrEmpty
        $text = Get-Content -Raw $transcript
        $text | Should -Match ([regex]::Escape('- app.ha.example.test. 30 IN A 203.0.113.33'))
        $text | Should -Match ([regex]::Escape('- app.ha.example.test. 30 IN AAAA 2001:db8::33'))
        $text | Should -Match ([regex]::Escape('+ app.ha.example.test. 60 IN A 203.0.113.34'))
        Get-Zone | Should -Be $zone
        Get-Serial | Should -Be $serial
    }

    It 'points a name at a relay''s own name with a CNAME' {
        $r = Set-TunnelDnsRecord alias.ha.example.test -CName relay.example.test @dns
        $r.State | Should -Be 'Created'
        (Get-Zone) -match '^alias\.' | Should -Be @('alias.ha.example.test. 60 IN CNAME relay.example.test.')
    }

    It 'refuses a name whose records it did not write, and replaces them with -Force' {
        $zone = Get-Zone
        $e = Get-ErrorRecord { Set-TunnelDnsRecord www.ha.example.test 203.0.113.1 @dns }
        Assert-HomeTunnelError $e 'DnsRecordNotOwned' 'ResourceExists' 'www.ha.example.test'
        $e.Exception.Message | Should -Match '192\.0\.2\.80'
        Get-Zone | Should -Be $zone
        (Set-TunnelDnsRecord www.ha.example.test 203.0.113.1 @dns -Force).State | Should -Be 'Changed'
        (Get-Zone) -match '^www\.' | Should -Be @('www.ha.example.test. 60 IN A 203.0.113.1')
    }

    It 'keeps the other records of a name it is given (a TXT beside the A), and refuses a CNAME there before anything is sent' {
        (Set-TunnelDnsRecord both.ha.example.test 203.0.113.2 @dns -Force).State | Should -Be 'Changed'
        (Get-Zone) -match '^both\.' | Sort-Object { $_ -notmatch ' A ' } | Should -Be @('both.ha.example.test. 60 IN A 203.0.113.2', 'both.ha.example.test. 300 IN TXT "a name with other records"')
        $zone = Get-Zone
        # A server ignores a CNAME beside other records (RFC 2136 3.4.2.2) and would take the rest of the update.
        $e = Get-ErrorRecord { Set-TunnelDnsRecord both.ha.example.test -CName relay.example.test @dns }
        Assert-HomeTunnelError $e 'DnsCNameConflict' 'ResourceExists' 'both.ha.example.test'
        $e.Exception.Message | Should -Match 'TXT'
        Get-Zone | Should -Be $zone
    }
}

Describe 'Remove-TunnelDnsRecord' {
    It 'withdraws one address and keeps the others (a relay taken out)' {
        $null = Set-TunnelDnsRecord pool.ha.example.test 203.0.113.1, 203.0.113.17 @dns
        $r = Remove-TunnelDnsRecord pool.ha.example.test 203.0.113.17 @dns -Confirm:$false
        $r.State | Should -Be 'Changed'
        $r.Values | Should -Be @('203.0.113.1')
        (Get-Zone) -match 'pool\.' | Should -Be @('_hometunnel.pool.ha.example.test. 60 IN TXT "heritage=hometunnel"', 'pool.ha.example.test. 60 IN A 203.0.113.1')
    }

    It 'removes the name''s records and its mark, and nothing else' {
        $before = Get-Zone
        (Remove-TunnelDnsRecord pool.ha.example.test @dns -Confirm:$false).State | Should -Be 'Removed'
        $after = Get-Zone
        @($before | Where-Object { $_ -notin $after }) | Should -Be @('_hometunnel.pool.ha.example.test. 60 IN TXT "heritage=hometunnel"', 'pool.ha.example.test. 60 IN A 203.0.113.1')
        @($after | Where-Object { $_ -notin $before }) | Should -BeNullOrEmpty
        (Remove-TunnelDnsRecord pool.ha.example.test @dns -Confirm:$false).State | Should -Be 'Unchanged'
    }

    It 'leaves records it did not write unless -Force' {
        $zone = Get-Zone
        $e = Get-ErrorRecord { Remove-TunnelDnsRecord mail.ha.example.test @dns -Confirm:$false }
        Assert-HomeTunnelError $e 'DnsRecordNotOwned' 'ResourceExists' 'mail.ha.example.test'
        Get-Zone | Should -Be $zone
    }
}

Describe 'A server that refuses, a wrong key, a slow or a lying server' {
    BeforeAll {
        $wrongSecret = [Convert]::ToBase64String([Security.Cryptography.RandomNumberGenerator]::GetBytes(32))
    }

    It 'gives <Id> (<Category>) for <Case>, and the zone is as it was' -TestCases @(
        @{ Case = 'a key the zone does not allow to update it'; Id = 'DnsUpdateRefused'; Category = 'PermissionDenied'; Key = { Get-WrongKey stranger $stranger } }
        @{ Case = 'the right key name with a wrong secret'; Id = 'DnsKeyRejected'; Category = 'SecurityError'; Key = { Get-WrongKey hometunnel $wrongSecret } }
        @{ Case = 'a key the server does not know'; Id = 'DnsKeyRejected'; Category = 'SecurityError'; Key = { Get-WrongKey nobody $wrongSecret } }
    ) {
        $zone = Get-Zone; $serial = Get-Serial
        $e = Get-ErrorRecord { Set-TunnelDnsRecord app.ha.example.test 203.0.113.99 -DnsServer $server -DnsKey (& $Key) }
        Assert-HomeTunnelError $e $Id $Category 'app.ha.example.test'
        Get-Zone | Should -Be $zone
        Get-Serial | Should -Be $serial
    }

    It 'gives DnsServerTimeout after -TimeoutSeconds when the server never answers' {
        $silent = Start-FakeDns silent
        $e = Get-ErrorRecord { Set-TunnelDnsRecord app.ha.example.test 203.0.113.99 -DnsServer $silent -DnsKey $key -TimeoutSeconds 1 }
        Assert-HomeTunnelError $e 'DnsServerTimeout' 'OperationTimeout' $silent
    }

    It 'refuses a success the key did not sign (DnsAnswerNotSigned)' {
        $liar = Start-FakeDns unsigned
        $e = Get-ErrorRecord { Set-TunnelDnsRecord app.ha.example.test 203.0.113.99 -DnsServer $liar -DnsKey $key }
        Assert-HomeTunnelError $e 'DnsAnswerNotSigned' 'SecurityError' 'app.ha.example.test'
    }

    It 'gives DnsServerUnreachable for an answer that is no DNS message' {
        $garbage = Start-FakeDns garbage
        $e = Get-ErrorRecord { Get-TunnelDnsRecord app.ha.example.test -DnsServer $garbage -TimeoutSeconds 2 }
        $e.FullyQualifiedErrorId | Should -BeIn 'DnsServerUnreachable,HomeTunnel.Cmdlets.GetTunnelDnsRecordCommand', 'DnsServerTimeout,HomeTunnel.Cmdlets.GetTunnelDnsRecordCommand'
    }

    It 'gives DnsZoneNotFound for a name outside the server''s zones' {
        $e = Get-ErrorRecord { Set-TunnelDnsRecord app.elsewhere.test 203.0.113.1 @dns }
        Assert-HomeTunnelError $e 'DnsZoneNotFound' 'ObjectNotFound' 'app.elsewhere.test'
    }
}

Describe 'The TSIG key is a secret' {
    It 'refuses <Case> with <Id>, quoting none of it' -TestCases @(
        @{ Case = 'a key file others can read'; Id = 'DnsKeyFileTooOpen'; Mode = '644'; Text = $null }
        @{ Case = 'a key file that is not a key statement'; Id = 'DnsKeyFileInvalid'; Mode = '600'; Text = 'secret "c2VjcmV0LXRleHQtdGhhdC1tdXN0LW5vdC1zaG93"; PostUp = rm -rf /' }
        @{ Case = 'a secret that is not base64'; Id = 'DnsKeyFileInvalid'; Mode = '600'; Text = 'key "k" { algorithm hmac-sha256; secret "not base64 at all!!"; };' }
        @{ Case = 'an unknown algorithm'; Id = 'DnsKeyAlgorithmInvalid'; Mode = '600'; Text = 'key "k" { algorithm rot13; secret "c2VjcmV0LXRleHQtdGhhdC1tdXN0LW5vdC1zaG93"; };' }
    ) {
        $file = Join-Path $TestDrive "case-$([guid]::NewGuid().ToString('N')).key"
        Set-Content -LiteralPath $file -Value ($Text ?? (Get-Content -Raw $keyFile))
        chmod $Mode $file
        $serial = Get-Serial
        $e = Get-ErrorRecord { Set-TunnelDnsRecord app.ha.example.test 203.0.113.99 -DnsServer $server -DnsKeyFile $file }
        $e.FullyQualifiedErrorId | Should -BeLike "$Id,*"
        $e.TargetObject | Should -Be $file
        "$e $($e.Exception.Message)" | Should -Not -Match ([regex]::Escape($secret))
        "$e" | Should -Not -Match 'c2VjcmV0|rm -rf'
        Get-Serial | Should -Be $serial
    }

    It 'is in no stream, transcript, object, JSON or Clixml of a change, a refusal or a preview' {
        $transcript = Join-Path $TestDrive 'secret-transcript.txt'
        Start-Transcript -LiteralPath $transcript
        try {
            $out = @(
                Set-TunnelDnsRecord secret.ha.example.test 203.0.113.5 -DnsServer $server -DnsKey $key -Verbose -Debug 5>&1 4>&1 3>&1
                Set-TunnelDnsRecord secret.ha.example.test 203.0.113.6 -DnsServer $server -DnsKey $key -WhatIf -Verbose 4>&1
                Set-TunnelDnsRecord secret.ha.example.test 203.0.113.6 -DnsServer $server -DnsKey (Get-WrongKey hometunnel ([Convert]::ToBase64String([byte[]]::new(32)))) -ErrorAction SilentlyContinue -ErrorVariable failed -Verbose 4>&1
                Remove-TunnelDnsRecord secret.ha.example.test @dns -Confirm:$false -Verbose 4>&1
            )
        }
        finally { Stop-Transcript }
        $failed | Should -Not -BeNullOrEmpty
        $clixml = Join-Path $TestDrive 'out.xml'
        $out + $failed | Export-Clixml -LiteralPath $clixml -Depth 5
        $shown = ($out | Out-String) + ($out | ConvertTo-Json -Depth 5) + ($failed | Out-String) + (Get-Content -Raw $transcript) + (Get-Content -Raw $clixml) +
            (New-Object Management.Automation.PSCredential 'x', (ConvertTo-SecureString 'y' -AsPlainText -Force) | Out-String)
        $shown | Should -Not -Match ([regex]::Escape($secret))
        $shown | Should -Not -Match ([regex]::Escape(([Convert]::FromBase64String($secret) | ForEach-Object { $_.ToString('x2') }) -join ''))
    }
}

Describe 'A check that keeps its relay in the name''s records (Register-TunnelPathCheck -FailoverAddress)' {
    BeforeAll {
        $name = 'fo.ha.example.test'
        $log = Join-Path $TestDrive 'failover/check.jsonl'
        $dataPath = Join-Path $TestDrive 'failover.json'
        $plan = [HomeTunnel.Scheduling.TunnelPathCheckPlan]@{
            Name = 'fo'; ServerNames = [string[]]@($name); LogPath = $log; ModulePath = $ModulePath; ScriptPath = (Join-Path $TestDrive 'fo.ps1')
            Failover = [HomeTunnel.Scheduling.CheckFailover]@{ Address = '203.0.113.1'; DnsServer = $server; KeyFile = $keyFile; After = 3; RestoreAfter = 2 }
        }
        Set-Content -LiteralPath $dataPath -Value $plan.Data()
        $data = [HomeTunnel.Scheduling.CheckData]::Load($dataPath)
        $clock = [DateTimeOffset]::Parse('2026-12-06T10:00:00Z')
        # One scheduled run whose verdict for the name is $Status.
        function Invoke-Run([string] $Status) {
            $script:clock = $clock.AddMinutes(5)
            $r = [HomeTunnel.Scheduling.CheckRecord]@{ Check = 'fo'; ServerName = $name; Status = $Status; Time = $clock }
            $null = [HomeTunnel.Scheduling.CheckRunner]::Record($data, [HomeTunnel.Scheduling.CheckRecord[]]@($r), $clock, $null, $null, [Threading.CancellationToken]::None)
            (Get-TunnelDnsRecord $name -DnsServer $server).Values
        }
    }

    It 'keeps the key file''s path in the check''s data, never the key' {
        $text = Get-Content -Raw $dataPath
        $text | Should -Match ([regex]::Escape($keyFile))
        $text | Should -Not -Match ([regex]::Escape($secret))
        $data.Failover.Address | Should -Be '203.0.113.1'
    }

    It 'withdraws its relay after 3 failed runs in a row, puts it back after 2 passing ones, and logs both' {
        $null = Set-TunnelDnsRecord $name 203.0.113.1, 203.0.113.17 @dns
        Invoke-Run Fail | Should -Be @('203.0.113.1', '203.0.113.17')
        Invoke-Run Fail | Should -Be @('203.0.113.1', '203.0.113.17')
        Invoke-Run Fail | Should -Be @('203.0.113.17')
        Invoke-Run Fail | Should -Be @('203.0.113.17')
        Invoke-Run Pass | Should -Be @('203.0.113.17')
        Invoke-Run Pass | Should -Be @('203.0.113.1', '203.0.113.17')
        $lines = @(Get-Content $log | ConvertFrom-Json | Where-Object Type -EQ 'Failover')
        $lines.Action | Should -Be @('Withdraw', 'Restore')
        $lines[0].Detail | Should -Match 'withdrew 203\.0\.113\.1 .* after 3 failed runs'
        $lines[1].Withdrawn | Should -BeFalse
    }

    It 'never withdraws the name''s last address' {
        $null = Set-TunnelDnsRecord $name 203.0.113.1 @dns
        foreach ($i in 1..4) { Invoke-Run Fail | Should -Be @('203.0.113.1') }
        (Get-Content $log | ConvertFrom-Json | Where-Object Type -EQ 'Failover' | Select-Object -Last 1).Detail | Should -Match 'last address'
        $null = Invoke-Run Pass
    }

    It 'refuses an incomplete failover with FailoverIncomplete, and a key file others can read' {
        $e = Get-ErrorRecord { Register-TunnelPathCheck $name -FailoverAddress 203.0.113.1 -WhatIf }
        Assert-HomeTunnelError $e 'FailoverIncomplete' 'InvalidArgument' '203.0.113.1'
        $open = Join-Path $TestDrive 'open.key'; Copy-Item $keyFile $open; chmod 644 $open
        $e = Get-ErrorRecord { Register-TunnelPathCheck $name -FailoverAddress 203.0.113.1 -FailoverDnsServer $server -FailoverDnsKeyFile $open -WhatIf }
        Assert-HomeTunnelError $e 'DnsKeyFileTooOpen' 'SecurityError' $open
    }
}
