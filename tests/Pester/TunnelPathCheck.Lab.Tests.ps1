# Register-TunnelPathCheck for real: the cron entry it writes is run as cron would run it, against the lab.
# The child pwsh runs in its own mount namespace with /etc and /var/log overlaid, so the machine's own
# cron and log folders are never touched.
BeforeAll {
    . $PSScriptRoot/Common.ps1
    Import-Module "$RepoRoot/tests/Lab/Lab.psm1" -Force
    $lab = Start-Lab -Prefix htcron -Index 8
    $a = $lab.Addresses
    $vps = New-LabSession $lab relay
    $box = New-LabSession $lab home
    $null = Publish-HomeService $lab.SiteName 3000 -RelaySession $vps -HomeSession $box -PeerFile (Join-Path $TestDrive 'peers.json') -DnsServer $a.Dns

    function Invoke-InOverlay([string] $Script) {
        # Runs a pwsh script in a private mount namespace whose /etc and /var/log writes land in a scratch folder.
        $scratch = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        foreach ($d in 'etc-up', 'etc-work', 'log-up', 'log-work') { $null = New-Item -ItemType Directory -Path (Join-Path $scratch $d) }
        $file = Join-Path $scratch 'run.ps1'
        Set-Content -LiteralPath $file -Value $Script
        $pwsh = (@(Get-PwshCommand) | ForEach-Object { "'$_'" }) -join ' '
        $sh = "mount -t overlay overlay -o lowerdir=/etc,upperdir=$scratch/etc-up,workdir=$scratch/etc-work /etc && " +
            "mount -t overlay overlay -o lowerdir=/var/log,upperdir=$scratch/log-up,workdir=$scratch/log-work /var/log && " +
            "exec $pwsh -NoProfile -NonInteractive -File '$file'"
        $out = unshare -m --propagation private sh -c $sh 2>&1
        [pscustomobject]@{ Output = ($out | Out-String); Scratch = $scratch }
    }
}
AfterAll {
    Get-PSSession | Remove-PSSession
    if ($lab) { Stop-Lab $lab }
}

Describe 'Register-TunnelPathCheck with cron' -Tag Lab {
    It 'writes a cron entry whose command logs a Pass as one JSON line and exits 0; Unregister removes it' {
        $r = Invoke-InOverlay @"
Import-Module '$ModulePath'
`$reg = Register-TunnelPathCheck $($lab.SiteName) @{ RelayHostName = '$($a.Relay)'; UserName = 'root'; KeyFilePath = '$($lab.KeyFile)'; KnownHostsFile = '$($lab.KnownHostsFile)'; HomeHostName = '$($a.HomeMgmt)'; DnsServer = '$($a.Dns)' } -Scheduler Cron -IntervalMinutes 5
`$line = (Get-Content "/etc/cron.d/hometunnel-check-site_example_test") -match 'HomeTunnel check'
"CRON=`$line"
`$command = (`$line -split ' ', 7)[6] -replace ' >/dev/null 2>&1 # HomeTunnel check .*$', ''
sh -c `$command
"EXIT=`$LASTEXITCODE"
"LOG=`$(Get-Content `$reg.LogPath -Raw)"
Unregister-TunnelPathCheck `$reg.Name -Scheduler Cron
"GONE=`$(-not (Test-Path /etc/cron.d/hometunnel-check-site_example_test) -and -not (Test-Path `$reg.ScriptPath))"
"@
        $r.Output | Should -Match '(?m)^CRON=\*/5 \* \* \* \* root '
        $r.Output | Should -Match '(?m)^EXIT=0\s*$'
        $json = (($r.Output -split "`n") | Where-Object { $_ -like 'LOG=*' }).Substring(4) | ConvertFrom-Json
        $json.Status | Should -Be 'Pass' -Because $r.Output
        $json.ExitCode | Should -Be 0
        $json.Hops | Should -HaveCount 7
        ($json.Hops | Where-Object Hop -EQ 'Tunnel').Detail | Should -Match 'home sees the relay'
        $r.Output | Should -Match '(?m)^GONE=True'
        Test-Path /etc/cron.d/hometunnel-check-site_example_test | Should -BeFalse -Because 'the host''s /etc was overlaid'
    }

    It 'exits 1 and logs the failing hop when the path fails' {
        $r = Invoke-InOverlay @"
Import-Module '$ModulePath'
`$reg = Register-TunnelPathCheck nosuch.example.test @{ RelayAddress = '$($a.Relay)'; DnsServer = '$($a.Dns)'; TimeoutSeconds = 5 } -Scheduler Cron
& sh -c ((`$reg.CommandLine))
"EXIT=`$LASTEXITCODE"
"LOG=`$(Get-Content `$reg.LogPath -Raw)"
"@
        $r.Output | Should -Match '(?m)^EXIT=1\s*$'
        $json = (($r.Output -split "`n") | Where-Object { $_ -like 'LOG=*' }).Substring(4) | ConvertFrom-Json
        $json.Status | Should -Be 'Fail'
        $json.FailedHop | Should -Be 'Dns'
        $json.ExitCode | Should -Be 1
    }
}
