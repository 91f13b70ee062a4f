# From two bare booted hosts to a published service, and back by themselves after reboots and power cuts.
# The relay and the home machine are systemd-nspawn containers running systemd inside the lab's namespaces,
# made from a Debian root that has only systemd and sshd (built once per machine, see tests/Lab). Their apt
# source is a repository served inside the lab; PowerShell comes through -PowerShellPackage.
BeforeAll {
    . $PSScriptRoot/Common.ps1
    Import-Module "$RepoRoot/tests/Lab/Lab.psm1" -Force
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    $lab = Start-Lab -Prefix htsd -Index 3 -Systemd
    $labSeconds = $clock.Elapsed.TotalSeconds
    $a = $lab.Addresses
    $known = Join-Path $lab.Directory 'user_known_hosts'
    $peerFile = Join-Path $lab.Directory 'peers.json'

    $init = @{ UserName = 'root'; KeyFilePath = $lab.KeyFile; KnownHostsPath = $known; PowerShellPackage = (Join-Path $lab.Assets 'pwsh-linux-x64.tar.gz') }
    function Initialize-Relay { Initialize-TunnelHost $a.Relay -Role Relay @init -ExpectedHostKeyFingerprint (Get-LabConsoleFingerprint $lab relay) @args }
    function Initialize-Home { Initialize-TunnelHost $a.HomeMgmt -Role Home @init -ExpectedHostKeyFingerprint (Get-LabConsoleFingerprint $lab home) @args }
    function Publish-LabService($RelaySession, $HomeSession) {
        Publish-HomeService $lab.SiteName 3000 -RelaySession $RelaySession -HomeSession $HomeSession -RelayEndpoint $a.Relay `
            -PeerFile $peerFile -DnsServer $a.Dns -WaitSeconds 60 -Confirm:$false
    }
    function Test-LabPath {
        Test-TunnelPath $lab.SiteName -RelayHostName $a.Relay -HomeHostName $a.HomeMgmt -UserName root -KeyFilePath $lab.KeyFile `
            -KnownHostsFile $known -DnsServer $a.Dns -TimeoutSeconds 10
    }
    function Get-HostFileHash([string] $HostName, [string[]] $Path) {
        foreach ($p in $Path) { "$p $((Get-FileHash -LiteralPath (Join-Path $lab.Hosts[$HostName].Root $p)).Hash)" }
    }
    # After a restart: no command typed; the path must pass and the visitor get a 200 within 60 s of both being up.
    function Wait-Recovered([string] $What) {
        $up = [System.Diagnostics.Stopwatch]::StartNew()
        Wait-LabCondition { (Invoke-LabHttp $lab "http://$($lab.SiteName)/").Status -eq '200' } "the visitor's 200 after $What" 60
        $visitorSeconds = $up.Elapsed.TotalSeconds
        $path = $null
        Wait-LabCondition { ($script:path = Test-LabPath).Status -eq 'Pass' } "Test-TunnelPath to pass after $What" ([Math]::Max(5, 60 - $up.Elapsed.TotalSeconds))
        [pscustomobject]@{ What = $What; VisitorSeconds = [Math]::Round($visitorSeconds, 1); PathSeconds = [Math]::Round($up.Elapsed.TotalSeconds, 1) }
    }
    $timings = [System.Collections.Generic.List[object]]::new()
}
AfterAll {
    Get-PSSession | Remove-PSSession
    if ($timings.Count) { $timings | Format-Table | Out-String | Write-Host }
    if ($lab) { Stop-Lab $lab }
}

Describe 'Initialize-TunnelHost on bare hosts' -Tag Lab {
    It 'starts from hosts with no PowerShell, no WireGuard and no Apache' {
        foreach ($h in 'relay', 'home') {
            $root = $lab.Hosts[$h].Root
            Test-Path "$root/usr/bin/pwsh" | Should -BeFalse
            Test-Path "$root/usr/bin/wg" | Should -BeFalse
            Test-Path "$root/usr/sbin/apache2" | Should -BeFalse
            Get-Content "$root/etc/ssh/sshd_config" | Should -Not -Match 'powershell'
        }
    }

    It 'has, on the relay, an nftables firewall that drops what it does not allow (as some VPS images do)' {
        $out = Invoke-LabHost $lab relay sh -c 'apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nftables' 2>&1
        $LASTEXITCODE | Should -Be 0 -Because ($out | Out-String)
        Set-Content -LiteralPath "$($lab.Hosts.relay.Root)/etc/nftables.conf" -Value @(
            '#!/usr/sbin/nft -f', 'flush ruleset', 'table inet filter {'
            '  chain input { type filter hook input priority filter; policy drop; ct state established,related accept; iif lo accept; tcp dport 22 accept; }'
            '}'
        )
        Invoke-LabHost $lab relay systemctl enable --now nftables 2>&1 | Out-Null
        Invoke-LabHost $lab relay nft list chain inet filter input | Out-String | Should -Match 'policy drop'
        Test-LabTcp $a.Relay 22 | Should -BeTrue
    }

    It 'refuses a host key that is not the expected one, and trusts nothing' {
        $e = Get-ErrorRecord { Initialize-TunnelHost $a.Relay -Role Relay @init -ExpectedHostKeyFingerprint 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }
        Assert-HomeTunnelError $e 'HostKeyMismatch' 'SecurityError' $a.Relay
        $e.Exception.Message | Should -Match ([regex]::Escape((Get-LabConsoleFingerprint $lab relay)))
        Test-Path $known | Should -BeFalse
        Test-Path "$($lab.Hosts.relay.Root)/usr/bin/pwsh" | Should -BeFalse
    }

    It 'refuses to trust an unseen key without a prompt to confirm it' {
        # A script (no one to ask) and no -ExpectedHostKeyFingerprint: the fingerprint is shown, nothing trusted.
        $e = Get-ErrorRecord { Initialize-TunnelHost $a.Relay -Role Relay @init }
        Assert-HomeTunnelError $e 'HostKeyNotConfirmed' 'SecurityError' $a.Relay
        $e.Exception.Message | Should -Match ([regex]::Escape((Get-LabConsoleFingerprint $lab relay)))
        Test-Path $known | Should -BeFalse
    }

    It 'shows the whole plan with -WhatIf, read through a temporary known_hosts, and changes nothing on either side' {
        $watched = 'etc/ssh/sshd_config', 'var/lib/dpkg/status', 'etc/nftables.conf'
        $before = Get-HostFileHash relay $watched
        $unitsBefore = @(Get-ChildItem -Name -Recurse "$($lab.Hosts.relay.Root)/etc/systemd/system")
        # What if: lines go to the host, so a transcript is what sees them.
        $transcript = Join-Path $lab.Directory 'whatif.txt'
        Start-Transcript -LiteralPath $transcript -UseMinimalHeader | Out-Null
        try { $out = Initialize-Relay -WhatIf } finally { Stop-Transcript | Out-Null }
        $out | Should -BeNullOrEmpty -Because 'a preview opens no session'
        $text = (Get-Content -Raw $transcript) -replace '\s+', ' '
        $text | Should -Match "What if: .*Trust host key $([regex]::Escape((Get-LabConsoleFingerprint $lab relay)))"
        # Every step, with what it changes: the packages, PowerShell, the sshd_config line, the firewall rules.
        $text | Should -Match 'What if: Performing the operation "install [^"]*\bapache2\b'
        $text | Should -Match 'What if: Performing the operation "install [^"]*\bwireguard-tools\b'
        $text | Should -Match 'What if: Performing the operation "install PowerShell from pwsh-linux-x64\.tar\.gz'
        $text | Should -Match "What if: Performing the operation `"add 'Subsystem powershell /usr/bin/pwsh -sshs -NoLogo -NoProfile' to /etc/ssh/sshd_config"
        $text | Should -Match 'What if: Performing the operation "open 51820/udp, 80/tcp, 443/tcp in nftables'
        (Get-HostFileHash relay $watched) | Should -Be $before
        @(Get-ChildItem -Name -Recurse "$($lab.Hosts.relay.Root)/etc/systemd/system") | Should -Be $unitsBefore
        Test-Path $known | Should -BeFalse -Because 'the user''s known_hosts is not written'
        @(Get-ChildItem -Directory ([IO.Path]::GetTempPath()) -Filter 'hometunnel-whatif-*') | Should -BeNullOrEmpty -Because 'the temporary known_hosts is gone'
    }

    It 'brings both to a published service a visitor reaches: two lines of the user''s script' {
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        $script:relay = Initialize-Relay
        $script:box = Initialize-Home
        $relay | Should -BeOfType System.Management.Automation.Runspaces.PSSession
        $relay.State | Should -Be 'Opened'
        $box.State | Should -Be 'Opened'
        $initSeconds = $clock.Elapsed.TotalSeconds
        Install-LabContainerService $lab
        $published = Publish-LabService $relay $box
        $published.Status | Should -Be 'Pass'
        Wait-LabCondition { (Invoke-LabHttp $lab "http://$($lab.SiteName)/").Status -eq '200' } 'the visitor''s first 200' 30
        $timings.Add([pscustomobject]@{ What = 'bare hosts to first 200 (Initialize x2 + Publish)'; VisitorSeconds = [Math]::Round($clock.Elapsed.TotalSeconds, 1); PathSeconds = [Math]::Round($initSeconds, 1) })
        (Invoke-LabHttp $lab "http://$($lab.SiteName)/").Body | Should -Match 'hometunnel-lab-home-service'
        Get-Content $known | Should -HaveCount 2
    }

    It 'left what a reboot needs enabled, and the sshd_config as sshd -t accepts it' {
        Invoke-LabHost $lab relay systemctl is-enabled apache2 | Should -Be 'enabled'
        Invoke-LabHost $lab relay systemctl is-enabled wg-quick@wg0 | Should -Be 'enabled'
        Invoke-LabHost $lab home systemctl is-enabled wg-quick@wg0 | Should -Be 'enabled'
        # The side that dials watches the tunnel, so a restarted relay is found in seconds; the relay does not.
        Invoke-LabHost $lab home systemctl is-active hometunnel-wg-watch@wg0.timer | Should -Be 'active'
        Invoke-LabHost $lab relay systemctl is-enabled hometunnel-wg-watch@wg0.timer 2>$null | Should -Not -Be 'enabled'
        Invoke-LabHost $lab relay sshd -t
        $LASTEXITCODE | Should -Be 0
        # The relay's firewall: HomeTunnel's three rules at the head of the input chain, the owner's rules untouched.
        $chain = Invoke-LabHost $lab relay nft list chain inet filter input | Out-String
        foreach ($rule in 'udp dport 51820 accept comment "HomeTunnel"', 'tcp dport 80 accept comment "HomeTunnel"', 'tcp dport 443 accept comment "HomeTunnel"', 'tcp dport 22 accept', 'policy drop') {
            $chain | Should -Match ([regex]::Escape($rule))
        }
        Invoke-LabHost $lab relay systemctl is-enabled hometunnel-firewall | Should -Be 'enabled'
        # Kept as one item per opening, which the loader puts back at every boot.
        @(Get-ChildItem -Name "$($lab.Hosts.relay.Root)/etc/hometunnel/openings.d") | Sort-Object | Should -Be @('tcp-443', 'tcp-80', 'udp-51820')
        # The home side's own fence on the tunnel, loaded at boot too.
        Invoke-LabHost $lab home systemctl is-enabled hometunnel-home-firewall | Should -Be 'enabled'
        Get-Content "$($lab.Hosts.relay.Root)/etc/ssh/sshd_config" | Select-String '^Subsystem powershell /usr/bin/pwsh ' | Should -HaveCount 1
    }

    It 'changes nothing when run again' {
        $files = 'etc/ssh/sshd_config', 'var/lib/dpkg/status', 'etc/wireguard/wg0.conf'
        $beforeRelay = Get-HostFileHash relay ($files + 'etc/apache2/sites-available/site.example.test.conf')
        $beforeHome = Get-HostFileHash home $files
        $verbose = @(Initialize-Relay -Verbose 4>&1) + @(Initialize-Home -Verbose 4>&1)
        $sessions = @($verbose | Where-Object { $_ -is [System.Management.Automation.Runspaces.PSSession] })
        $sessions | Should -HaveCount 2
        ($verbose | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message | Should -Not -Match '^Step '
        $again = Publish-LabService $sessions[0] $sessions[1]
        @($again.Changes.State | Select-Object -Unique) | Should -Be @('Unchanged')
        Get-HostFileHash relay ($files + 'etc/apache2/sites-available/site.example.test.conf') | Should -Be $beforeRelay
        Get-HostFileHash home $files | Should -Be $beforeHome
        Get-Content $known | Should -HaveCount 2
    }
}

Describe 'A port forward on a systemd relay' -Tag Lab {
    It 'carries TCP from the internet to home, and its boot unit is enabled' {
        $peers = Import-TunnelPeer $peerFile
        $homePeer = $peers | Where-Object Role -EQ Home
        $s = Initialize-Relay
        # A container's /proc/sys is read-only (a VPS's is not): the lab turns forwarding on from outside, as
        # the relay's own sysctl would; the boot unit's sysctl is best-effort for that reason.
        ip netns exec $lab.Hosts.relay.Namespace sysctl -qw net.ipv4.ip_forward=1 | Out-Null
        $r = $homePeer | New-TunnelPortForward -Protocol Tcp -PublicPort 8080 -Port 3000 | Install-TunnelPortForward -Session $s
        $r.State | Should -Be 'Created'
        Wait-LabCondition { (Invoke-LabHttp $lab "http://$($a.Relay):8080/").Status -eq '200' } 'the forwarded port' 20
        Invoke-LabHost $lab relay systemctl is-enabled hometunnel-forwards | Should -Be 'enabled'
    }
}

Describe 'A scheduled check on a systemd host' -Tag Lab {
    It 'runs from its timer for real, marks a failing run failed, and notifies the receiver' {
        $received = Join-Path $lab.Directory 'received.jsonl'
        $null = Start-LabProcess $lab inet 'receiver' @('python3', "$RepoRoot/tests/Lab/Receiver.py", $a.Dns, '8090', $received)
        Wait-LabCondition { Test-LabTcp $a.Dns 8090 } 'the receiver' 20
        # The module goes onto the home machine the way a user would copy it there.
        Copy-Item -Recurse $ModulePath "$($lab.Hosts.home.Root)/opt/HomeTunnel"
        $s = Initialize-Home
        $hook = "http://$($a.Dns):8090/hook/systemd-tok-5e1"
        $reg = Invoke-Command $s {
            Import-Module /opt/HomeTunnel/HomeTunnel.psd1
            Register-TunnelPathCheck nosuch.example.test @{ RelayAddress = $using:a.Relay; DnsServer = $using:a.Dns; TimeoutSeconds = 5 } -Name broken -IntervalMinutes 1 -NotifyUri $using:hook
        }
        $reg.Scheduler.ToString() | Should -Be 'Systemd'
        try {
            Wait-LabCondition { (Test-Path $received) -and @(Get-Content $received | ConvertFrom-Json | Where-Object path -EQ '/hook/systemd-tok-5e1').Count -gt 0 } 'the timer''s first notice' 150
            $notice = (Get-Content $received | ConvertFrom-Json | Where-Object path -EQ '/hook/systemd-tok-5e1' | Select-Object -First 1).body | ConvertFrom-Json
            $notice.event | Should -Be 'Down'
            $notice.failedHop | Should -Be 'Dns'
            # Exit code 1: systemd marks the run failed, where an OnFailure= unit would see it.
            Wait-LabCondition { "$(Invoke-LabHost $lab home systemctl show hometunnel-check-broken.service -p Result --value)" -eq 'exit-code' } 'the failed run''s result' 30
            Invoke-LabHost $lab home journalctl -u hometunnel-check-broken.service --no-pager | Out-String | Should -Not -Match 'systemd-tok'
        }
        finally { Invoke-Command $s { Unregister-TunnelPathCheck broken } | Out-Null }
    }
}

Describe 'A bad sshd_config never reaches a remote host' -Tag Lab {
    It 'is caught by sshd -t, and the old file is back byte for byte' {
        $root = $lab.Hosts.relay.Root
        $config = "$root/etc/ssh/sshd_config"
        # Back to a relay without the subsystem line, with an sshd that refuses any config carrying it (the fault).
        Set-Content -LiteralPath $config -Value (Get-Content $config | Where-Object { $_ -notmatch '^Subsystem powershell|^# Added by HomeTunnel' })
        Set-Content -LiteralPath "$root/usr/local/sbin/sshd" -Value @(
            '#!/bin/sh'
            'if [ "$1" = -t ] && grep -q "^Subsystem powershell" /etc/ssh/sshd_config; then echo "line 99: Bad configuration option: injected fault" >&2; exit 255; fi'
            'exec /usr/sbin/sshd "$@"'
        )
        chmod 755 "$root/usr/local/sbin/sshd"
        $before = (Get-FileHash $config).Hash
        try {
            $e = Get-ErrorRecord { Initialize-Relay }
            Assert-HomeTunnelError $e 'SshdConfigInvalid' 'InvalidOperation' $a.Relay
            $e.Exception.Message | Should -Match 'injected fault'
            (Get-FileHash $config).Hash | Should -Be $before
            @(Get-ChildItem "$root/etc/ssh" -Force -Filter '.sshd_config.hometunnel*') | Should -BeNullOrEmpty
        }
        finally { Remove-Item "$root/usr/local/sbin/sshd" -Force }
        # sshd still takes logins, and a run without the fault finishes the job.
        $s = Initialize-Relay
        $s.State | Should -Be 'Opened'
        Get-Content $config | Select-String '^Subsystem powershell ' | Should -HaveCount 1
    }
}

Describe 'After a reboot or a power cut, the path comes back by itself' -Tag Lab {
    BeforeAll { Get-PSSession | Remove-PSSession }

    It 'after <How> of the <HostName>' -ForEach @(
        @{ HostName = 'relay'; How = 'Reboot' }
        @{ HostName = 'home'; How = 'Reboot' }
        @{ HostName = 'relay'; How = 'PowerCut' }
        @{ HostName = 'home'; How = 'PowerCut' }
    ) {
        Restart-LabContainer $lab $HostName -How $How
        $t = Wait-Recovered "$How of the $HostName"
        # nftables loaded its own file at boot (flush ruleset); the relay's ports are open and the forward is back
        # because HomeTunnel's units ran after it.
        (Invoke-LabHost $lab relay nft list chain inet filter input | Select-String 'comment "HomeTunnel"') | Should -HaveCount 3
        Wait-LabCondition { (Invoke-LabHttp $lab "http://$($a.Relay):8080/").Status -eq '200' } "the forwarded port after $How of the $HostName" 30
        # The home firewall is back too: from the relay, the published port answers and the home's sshd does not.
        Invoke-LabHost $lab home nft list table inet hometunnel | Out-String | Should -Match 'hometunnel tcp-3000'
        Invoke-LabHost $lab relay timeout 3 bash -c "exec 3<>/dev/tcp/$($a.HomeTunnel)/3000"
        $LASTEXITCODE | Should -Be 0
        Invoke-LabHost $lab relay timeout 3 bash -c "exec 3<>/dev/tcp/$($a.HomeTunnel)/22"
        $LASTEXITCODE | Should -Not -Be 0 -Because 'the home machine''s sshd is not published'
        $timings.Add($t)
        $t.VisitorSeconds | Should -BeLessOrEqual 60
    }

    It 'names a freshly booted home''s tunnel as waiting for its first handshake, not as a failure' {
        # Keep the home side from reaching the relay, so the first handshake cannot come yet.
        Set-LabBlackhole $lab carrier -Traffic Forward
        try {
            Restart-LabContainer $lab home -How Reboot
            $r = Test-LabPath
            $tunnel = $r.Hops | Where-Object Hop -eq 'Tunnel'
            $tunnel.Status | Should -Be 'Warn'
            $tunnel.Detail | Should -Match 'home sees the relay: waiting for the first handshake \(wg0 up \d+ s\)'
            $tunnel.Remedy | Should -Match 'came up moments ago'
        }
        finally { Set-LabBlackhole $lab carrier -Off }
        $timings.Add((Wait-Recovered 'the carrier''s outage'))
    }
}
