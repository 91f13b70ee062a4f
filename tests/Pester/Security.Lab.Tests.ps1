# The host-side hostile cases, against the lab's real relay and home machine: files HomeTunnel did not
# write, a relay whose Apache is down, errors that would quote another file, and the user's own session.
BeforeAll {
    . $PSScriptRoot/LabSeed.ps1 -Prefix htown -Index 14 -Install
    $script:Relay = $lab.Hosts.relay.Directory
    $script:Private = $relayPeer.PrivateKey.RevealBase64()
    # Everything a user would see or keep: every stream, what -WhatIf writes to the host (a transcript sees
    # it), and the errors with their ids, targets and details.
    function Get-AllStreams([scriptblock] $Block) {
        $Error.Clear()
        $transcript = Join-Path $lab.Directory "streams-$([Guid]::NewGuid().ToString('N')).txt"
        Start-Transcript -LiteralPath $transcript -UseMinimalHeader | Out-Null
        try { $out = & $Block *>&1 | Out-String -Width 400 }
        finally { Stop-Transcript | Out-Null }
        $out + (Get-Content -Raw $transcript) + ($Error | ForEach-Object { "$($_.FullyQualifiedErrorId) $_ $($_.TargetObject) $($_.ErrorDetails)" } | Out-String -Width 400)
    }
}
AfterAll {
    Get-PSSession | Remove-PSSession
    if ($lab) { Stop-Lab $lab }
}

Describe 'HomeTunnel owns only what it wrote' -Tag Lab {
    # The relay's invariants after every test, whatever its own assertions said (tests/Lab: Assert-LabInvariant).
    BeforeEach { $script:invariantBefore = Get-LabInvariantState $lab }
    AfterEach { Assert-LabInvariant $lab $script:invariantBefore }

    It 'leaves Debian''s default site alone: its name is no site''s, and its file is never removed without -Force' {
        $default = "$Relay/etc-apache2/sites-available/000-default.conf"
        Test-Path $default | Should -BeTrue
        $before = Get-LabStateHash $lab relay
        $record = Get-ErrorRecord { $homePeer | New-ApacheProxySite -ServerName 000-default -Port 3000 }
        Assert-HomeTunnelError $record 'ServerNameReserved' 'InvalidArgument' '000-default'
        $record2 = Get-ErrorRecord { Uninstall-ApacheProxySite 000-default -Session $vps -Confirm:$false }
        Assert-HomeTunnelError $record2 'NotOwnedByHomeTunnel' 'ResourceExists'
        Get-LabStateHash $lab relay | Should -Be $before
    }

    It 'leaves a hand-written wg1.conf alone, and with -Force shows what is lost (keys redacted)' {
        $hand = "[Interface]`nprivatekey=$Private`nListenPort = 51999`n"
        Set-Content -LiteralPath "$Relay/etc-wireguard/wg1.conf" -Value $hand -NoNewline
        try {
            $before = Get-LabStateHash $lab relay
            $record = Get-ErrorRecord { $relayConfig | Install-WireGuardConfig -Session $vps -InterfaceName wg1 }
            Assert-HomeTunnelError $record 'NotOwnedByHomeTunnel' 'ResourceExists'
            Get-ErrorRecord { Uninstall-WireGuardConfig -InterfaceName wg1 -Session $vps -Confirm:$false } | Should -Not -BeNullOrEmpty
            Get-LabStateHash $lab relay | Should -Be $before
            $all = Get-AllStreams { $relayConfig | Install-WireGuardConfig -Session $vps -InterfaceName wg1 -Force -WhatIf -Verbose }
            $all | Should -Match 'privatekey=\(redacted\)'
            $all | Should -Not -Match ([regex]::Escape($Private))
            Get-LabStateHash $lab relay | Should -Be $before
        }
        finally { Remove-Item -LiteralPath "$Relay/etc-wireguard/wg1.conf" -ErrorAction Ignore }
    }

    It 'leaves a hand-made site alone that already serves the name: nothing is installed over it' {
        $etc = "$Relay/etc-apache2"
        Set-Content -LiteralPath "$etc/sites-available/hand.conf" -Value "<VirtualHost *:80>`n    ServerName hand.example.test`n    ServerAlias taken.example.test`n    ProxyPass / http://192.168.4.2:3000/`n</VirtualHost>"
        New-Item -ItemType SymbolicLink -Path "$etc/sites-enabled/hand.conf" -Target '../sites-available/hand.conf' | Out-Null
        try {
            $before = Get-LabStateHash $lab relay
            $taken = $homePeer | New-ApacheProxySite -ServerName TAKEN.example.test -Port 3000
            $record = Get-ErrorRecord { $taken | Install-ApacheProxySite -Session $vps }
            Assert-HomeTunnelError $record 'ServerNameTaken' 'ResourceExists'
            "$record" | Should -Match 'hand.conf'
            Get-LabStateHash $lab relay | Should -Be $before
        }
        finally { Remove-Item -LiteralPath "$etc/sites-enabled/hand.conf", "$etc/sites-available/hand.conf" -Force -ErrorAction Ignore }
    }

    It 'does not follow a link where its file should be: the link is not ours, and its target is never shown' {
        $secret = "$($lab.Directory)/secret-target"
        Set-Content -LiteralPath $secret -Value 'SECRETHASH-IN-TARGET'
        New-Item -ItemType SymbolicLink -Path "$Relay/etc-wireguard/wg2.conf" -Target $secret | Out-Null
        try {
            $before = Get-LabStateHash $lab relay
            $record = Get-ErrorRecord { $relayConfig | Install-WireGuardConfig -Session $vps -InterfaceName wg2 }
            Assert-HomeTunnelError $record 'NotOwnedByHomeTunnel' 'ResourceExists'
            $all = Get-AllStreams { $relayConfig | Install-WireGuardConfig -Session $vps -InterfaceName wg2 -Force -WhatIf }
            $all | Should -Match 'symbolic link'
            $all | Should -Not -Match 'SECRETHASH'
            Get-LabStateHash $lab relay | Should -Be $before
            Get-Content -Raw $secret | Should -Match 'SECRETHASH-IN-TARGET'
        }
        finally { Remove-Item -LiteralPath "$Relay/etc-wireguard/wg2.conf" -Force -ErrorAction Ignore }
    }

    It 'never shows a line of another file in an error, even when the user forces a site that reads one' {
        $shadowLike = "$($lab.Directory)/shadow-like"
        Set-Content -LiteralPath $shadowLike -Value 'root:$y$j9T$SECRETHASH:19000:0:99999:7:::'
        $text = "<VirtualHost *:80>`n    ServerName leak.example.test`n    Include $shadowLike`n    ProxyPass / http://192.168.4.2:3000/`n</VirtualHost>`n"
        (Get-ErrorRecord { ConvertFrom-ApacheProxySite $text }).FullyQualifiedErrorId | Should -BeLike 'ApacheReadsFile:Include:*'
        $forced = ConvertFrom-ApacheProxySite $text -AllowDirective Include
        $before = Get-LabStateHash $lab relay
        $all = Get-AllStreams { $forced | Install-ApacheProxySite -Session $vps -ErrorAction Continue }
        $all | Should -Match 'ConfigTestFailed'
        $all | Should -Not -Match 'SECRETHASH'
        $all | Should -Match 'not shown'
        Get-LabStateHash $lab relay | Should -Be $before
        (Invoke-LabHttp $lab "http://$($lab.SiteName)/").Status | Should -Be '200'
    }

    It 'hands back no file for a check but a site file: a key, a link to one, a folder, a FIFO and a device stay on the relay' {
        $shadowLike = "$($lab.Directory)/shadow-like-probe"
        Set-Content -LiteralPath $shadowLike -Value 'root:$y$j9T$SECRETHASH:19000:0:99999:7:::'
        $link = "$Relay/etc-apache2/sites-enabled/zz-link.conf"
        New-Item -ItemType SymbolicLink -Path $link -Target $shadowLike | Out-Null
        $fifo = "$Relay/etc-apache2/sites-enabled/zz-fifo.conf"
        mkfifo $fifo
        try {
            $ask = [HomeTunnel.Hosts.AgentRequest]::SiteFiles([string[]]@('/etc/apache2/sites-enabled/zz-link.conf', $shadowLike, '/etc/apache2', 'relative.conf',
                    "/etc/apache2/sites-enabled/$($lab.SiteName).conf", '/etc/apache2/sites-enabled/zz-fifo.conf', '/dev/zero'))
            $json = [HomeTunnel.Hosts.AgentCall]::RunJsonAsync($vps.Runspace, $ask, 'relay', [Threading.CancellationToken]::None).GetAwaiter().GetResult()
            $json | Should -Not -Match 'SECRETHASH'
            $files = [HomeTunnel.Hosts.Contract.AgentContract]::SiteFiles([HomeTunnel.Hosts.AgentAnswer]::Parse($json, 'relay').Body).Files
            $files.Count | Should -Be 7
            # A FIFO would hang a read and a device never end one: both are known without opening them.
            $files[5].Refused | Should -Match 'not a regular file \(fifo'
            $files[6].Refused | Should -Match 'not a regular file \(character special file'
            @($files[5..6].Text | Where-Object { $null -ne $_ }).Count | Should -Be 0
            $files[0].Refused | Should -Be 'no <VirtualHost> section in it'
            $files[1].Refused | Should -Be 'no <VirtualHost> section in it'
            $files[2].Refused | Should -Match 'not a regular file'
            $files[3].Refused | Should -Be 'not an absolute path'
            @($files[0..3].Text | Where-Object { $null -ne $_ }).Count | Should -Be 0
            $files[4].Text | Should -Match "ServerName $([regex]::Escape($lab.SiteName))"
        }
        finally { Remove-Item -LiteralPath $link, $fifo -Force -ErrorAction Ignore }
    }
}

Describe 'Nothing is Unchanged on a host that does not work' -Tag Lab {
    # The relay's invariants after every test, whatever its own assertions said (tests/Lab: Assert-LabInvariant).
    BeforeEach { $script:invariantBefore = Get-LabInvariantState $lab }
    AfterEach { Assert-LabInvariant $lab $script:invariantBefore }

    It 'brings a stopped Apache back on a re-run of the same install' {
        $pidFile = "$Relay/run-apache2/apache2.pid"
        $old = [int](Get-Content $pidFile)
        Invoke-LabHost $lab relay apache2ctl stop | Out-Null
        Wait-LabCondition { -not (Test-LabProcessAlive $old) } 'Apache to stop' 15
        $r = $site | Install-ApacheProxySite -Session $vps
        $r.State | Should -Not -Be 'Unchanged'
        $r.Actions | Should -Contain 'apache2ctl start'
        Wait-LabCondition { Test-Path $pidFile } 'Apache''s pid file' 15
        $lab.Pids.Add([int](Get-Content $pidFile))
        Wait-LabCondition { (Invoke-LabHttp $lab "http://$($lab.SiteName)/").Status -eq '200' } 'the site again' 15
        ($site | Install-ApacheProxySite -Session $vps).State | Should -Be 'Unchanged'
    }
}

Describe 'The user''s session is left as it was' -Tag Lab {
    # The relay's invariants after every test, whatever its own assertions said (tests/Lab: Assert-LabInvariant).
    BeforeEach { $script:invariantBefore = Get-LabInvariantState $lab }
    AfterEach { Assert-LabInvariant $lab $script:invariantBefore }

    It 'keeps preferences, strict mode, variables and functions of the remote session unchanged' {
        $probe = {
            [pscustomobject]@{
                Eap = "$ErrorActionPreference"
                Functions = @(Get-ChildItem function: | ForEach-Object Name | Sort-Object) -join ','
                Variables = @(Get-Variable | ForEach-Object Name | Sort-Object) -join ','
                Strict = try { $null = $undefinedVariable; 'off' } catch { 'on' }
            }
        }
        # A session no HomeTunnel command has used yet (the earlier tests' session would hide what the first call leaves).
        $fresh = New-LabSession $lab relay
        try {
            $before = Invoke-Command $fresh $probe
            $null = $relayConfig | Install-WireGuardConfig -Session $fresh
            $null = $site | Install-ApacheProxySite -Session $fresh -WhatIf
            $null = Get-TunnelStatus -Session $fresh
            $after = Invoke-Command $fresh $probe
            $after.Eap | Should -Be $before.Eap
            $after.Strict | Should -Be $before.Strict
            $after.Functions | Should -Be $before.Functions
            $after.Variables | Should -Be $before.Variables
            # The agent's own state (format 2 ran it as a script, and its $script: variables landed here).
            $after.Variables -split ',' | Should -Not -Contain 'IsRoot'
            $after.Variables -split ',' | Should -Not -Contain 'Actions'
        }
        finally { Remove-PSSession $fresh }
    }
}

Describe 'Ctrl+C stops a host cmdlet at once, and the host ends in the old state or the new one' -Tag Lab {
    # The relay's invariants after every test, whatever its own assertions said (tests/Lab: Assert-LabInvariant).
    BeforeEach { $script:invariantBefore = Get-LabInvariantState $lab }
    AfterEach { Assert-LabInvariant $lab $script:invariantBefore }

    It 'returns within seconds while the apply waits for the host lock, and the worker then finishes the change' {
        $third = New-TunnelPeer -Name home3 -Role Home -Address 192.168.4.4/32
        $new = New-WireGuardConfig -For $relayPeer -Peer $homePeer, $third
        $file = Join-Path $lab.Directory 'cancel.conf'
        [IO.File]::WriteAllText($file, $new.RevealText())
        chmod 600 $file
        $oldText = $relayConfig.RevealText()
        $script = Join-Path $lab.Directory 'cancel.ps1'
        $options = Get-LabSshOption $lab
        Set-Content $script @"
Import-Module '$ModulePath'
`$vps = New-PSSession -HostName $($a.Relay) -UserName root -KeyFilePath '$($lab.KeyFile)' -Options @{ UserKnownHostsFile = '$($options.UserKnownHostsFile)'; GlobalKnownHostsFile = '/dev/null'; StrictHostKeyChecking = 'yes'; BatchMode = 'yes' }
'STARTED'
Import-WireGuardConfig '$file' | Install-WireGuardConfig -Session `$vps
'NOT-STOPPED'
"@
        # Another apply holds the host lock: the worker started for this one waits (up to 120 s) behind it.
        # -o: the lock is flock's own, not its child's, so ending flock (by PID, with its tree) frees it.
        # (The relay's /run/lock and /run/hometunnel are its own folders in the lab: run-lock, run-hometunnel.)
        $lock = "$Relay/run-lock/hometunnel.lock"
        $runDir = "$Relay/run-hometunnel"
        $holder = Start-Process flock -ArgumentList '-o', $lock, 'sleep', '300' -PassThru
        $lab.Pids.Add($holder.Id)
        try {
            Wait-LabCondition { flock -n $lock true; $LASTEXITCODE -ne 0 } 'the lock holder' 10
            # Ready when a worker has taken this request (a .busy file that was not there before) and waits for the
            # lock behind the holder.
            $before = @(Get-ChildItem $runDir -Filter 'request-*.busy' -ErrorAction Ignore | ForEach-Object Name)
            $r = Invoke-LabCtrlC -ScriptPath $script -Ready { @(Get-ChildItem $runDir -Filter 'request-*.busy' -ErrorAction Ignore | Where-Object Name -notin $before).Count -gt 0 }
            $r.Ready | Should -BeTrue -Because $r.Output
            $r.ExitedMs | Should -Not -BeNullOrEmpty -Because "the client must end after Ctrl+C; it wrote: $($r.Output)"
            # Not a speed claim: the bound only tells "cancelled" (seconds, a busy machine's pwsh exit included) from
            # "waited for the lock" (120 s).
            $r.ExitedMs | Should -BeLessThan 60000 -Because 'Ctrl+C cancels the pending call at once (the lock would hold it for 120 s)'
            $r.Output | Should -Not -Match 'NOT-STOPPED'
        }
        finally { $holder.Kill($true) }
        # The detached worker goes on alone: it takes the lock and applies the whole change.
        $conf = "$Relay/etc-wireguard/wg0.conf"
        Wait-LabCondition { (Get-Content -Raw $conf) -ceq $new.RevealText() -and ((Invoke-LabHost $lab relay wg show wg0 peers) -join ' ').Contains($third.PublicKey) } 'the worker to finish the change' 60
        ($relayConfig | Install-WireGuardConfig -Session $vps).State | Should -Be 'Changed'
        (Get-Content -Raw $conf) | Should -BeExactly $oldText
    }
}

Describe 'Ctrl+C during Test-TunnelPath' -Tag Lab {
    # The relay's invariants after every test, whatever its own assertions said (tests/Lab: Assert-LabInvariant).
    BeforeEach { $script:invariantBefore = Get-LabInvariantState $lab }
    AfterEach { Assert-LabInvariant $lab $script:invariantBefore }

    It 'returns within seconds while every probe waits on a relay that drops everything' {
        $script = Join-Path $lab.Directory 'cancel-path.ps1'
        Set-Content $script @"
Import-Module '$ModulePath'
'STARTED'
Test-TunnelPath $($lab.SiteName) -RelayAddress $($a.Relay) -DnsServer $($a.Dns) -TimeoutSeconds 60
'NOT-STOPPED'
"@
        Set-LabBlackhole $lab relay -Traffic All
        try {
            # Ready when the check's connection to the relay is waiting for an answer that never comes.
            $r = Invoke-LabCtrlC -ScriptPath $script -Ready { [bool](ss -Htn state syn-sent "dst $($a.Relay)") }
            $r.Ready | Should -BeTrue -Because $r.Output
            $r.ExitedMs | Should -Not -BeNullOrEmpty
            # Not a speed claim: the bound only tells "cancelled" (seconds, a busy machine's pwsh exit included) from
            # "waited for the deadline" (60 s).
            $r.ExitedMs | Should -BeLessThan 30000 -Because 'Ctrl+C ends the probes at once (the deadline is 60 s)'
            $r.Output | Should -Not -Match 'NOT-STOPPED'
        }
        finally { Set-LabBlackhole $lab relay -Off }
    }
}

