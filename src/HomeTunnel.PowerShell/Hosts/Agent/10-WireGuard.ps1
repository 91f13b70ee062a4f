# ---------------------------------------------------------------- WireGuard

function Read-WgDump([string] $If) {
    # Public facts only: 'wg show <if> dump' starts with the private key, which is dropped as the text is
    # split and never kept. $null when the interface is not up (with wg's words in $script:WgError).
    $r = Invoke-Native wg @('show', $If, 'dump') -AllowFailure
    if ($r.ExitCode -ne 0) { $script:WgError = $r.Err; return $null }
    # Plain loops: per-peer cmdlet pipelines would make a change cost grow with the peers.
    $lines = $r.Out.Split("`n", [System.StringSplitOptions]::RemoveEmptyEntries)
    $r = $null
    $head = $lines[0] -split "`t"
    $rows = [System.Collections.Generic.List[string[]]]::new()
    for ($i = 1; $i -lt $lines.Count; $i++) { $rows.Add(($lines[$i] -split "`t")) }
    @{ PublicKey = $head[1]; ListenPort = $head[2]; Rows = $rows }
}

function Get-WgLive([string] $If) {
    $dump = Read-WgDump $If
    if ($null -eq $dump) { return $null }
    $peers = @{}
    foreach ($f in $dump.Rows) { $peers[$f[0]] = @{ AllowedIPs = (ConvertTo-IpList $f[3].Split(',')); Keepalive = $f[7] } }
    @{ ListenPort = $dump.ListenPort; Peers = $peers }
}

function ConvertTo-IpList([string[]] $Items) {
    # A canonical text for a set of AllowedIPs: sorted, without wg's '(none)'.
    $list = [System.Collections.Generic.List[string]]::new()
    foreach ($x in $Items) { if ($x -and $x -ne '(none)') { $list.Add($x) } }
    $list.Sort([System.StringComparer]::Ordinal)
    $list -join ','
}

function Get-WireGuardFacts($Req) {
    $if = $Req.InterfaceName
    $path = "/etc/wireguard/$if.conf"
    $live = Get-WgLive $if
    # The shape of Hosts/Contract/WireGuardFacts.cs, every member every time (a list stays a list with one item or none).
    $peers = [System.Collections.Generic.List[object]]::new()
    if ($live) { foreach ($k in $live.Peers.Keys) { $peers.Add(@{ PublicKey = $k; AllowedIPs = $live.Peers[$k].AllowedIPs }) } }
    @{ Path = $path; Current = (Read-HostFile $path); Up = ($null -ne $live); ListenPort = $(if ($live) { "$($live.ListenPort)" } else { '' }); Peers = $peers; Boot = (Get-WgBootFacts $if $Req.BootUnits) }
}

function Get-WgBootFacts([string] $If, [string[]] $Units) {
    # .NET only (on the no-op path): is wg-quick@ wanted at boot, is HomeTunnel's watch on, what its unit files hold.
    if (-not (Test-Systemd)) { return @{ Systemd = $false; Enabled = $false; Watching = $false; Units = @{} } }
    $texts = @{}
    foreach ($u in $Units) { $texts[$u] = Read-HostFile $u }
    @{
        Systemd  = $true
        Enabled  = [System.IO.File]::Exists("/etc/systemd/system/multi-user.target.wants/wg-quick@$If.service")
        Watching = [System.IO.File]::Exists("/etc/systemd/system/timers.target.wants/hometunnel-wg-watch@$If.timer")
        Units    = $texts
    }
}

function Set-WgBoot([string] $If, $Boot, [switch] $Uninstall) {
    if (-not $Boot.Changed) { return }
    $timer = "hometunnel-wg-watch@$If.timer"
    if ($Uninstall -or -not $Boot.Watch) {
        if ($Boot.Watching) { Invoke-Native systemctl @('disable', '--now', $timer) -AllowFailure | Out-Null; $script:Actions.Add("systemctl disable --now $timer") }
        if ($Uninstall) { return }
    }
    if ($Boot.Enable) { Invoke-Native systemctl @('enable', "wg-quick@$If") | Out-Null; $script:Actions.Add("systemctl enable wg-quick@$If") }
    if ($Boot.Watch) {
        foreach ($path in @($Boot.Units.Keys)) {
            $dir = [System.IO.Path]::GetDirectoryName($path)
            if (-not [System.IO.Directory]::Exists($dir)) { Invoke-Native mkdir @('-p', $dir) | Out-Null }
            Write-HostFileAtomic $path $Boot.Units[$path] '0644'; $script:Actions.Add("wrote $path")
        }
        if ($Boot.Units.Count -gt 0) { Invoke-Native systemctl @('daemon-reload') | Out-Null }
        if (-not $Boot.Watching -or $Boot.Units.Count -gt 0) {
            Invoke-Native systemctl @('enable', '--now', $timer) | Out-Null; $script:Actions.Add("systemctl enable --now $timer")
        }
    }
}

function Get-WireGuardFingerprint($F) {
    $peers = [System.Collections.Generic.List[string]]::new()
    foreach ($p in $F.Peers) { $peers.Add("$($p.PublicKey)=$($p.AllowedIPs)") }
    $peers.Sort([System.StringComparer]::Ordinal)
    $b = $F.Boot
    $boot = if ($b.Systemd) { "$($b.Enabled)|$($b.Watching)|" + (@(foreach ($k in (Get-OrdinalSorted @($b.Units.Keys))) { "$k=$($b.Units[$k])" }) -join '|') } else { 'none' }
    Get-Fingerprint (@($F.Path, "$($null -eq $F.Current)", "$($F.Current)", "$($F.Up)", $F.ListenPort, $boot) + $peers)
}

function Sync-WgAddresses([string] $If, [string[]] $Addresses, [string[]] $Routes) {
    # What 'wg syncconf' leaves alone: the interface's addresses, and a route for each AllowedIPs entry
    # that is not already reached through the interface (wg-quick's own rule).
    foreach ($family in '-4', '-6') {
        $have = @((Invoke-Native ip @($family, '-o', 'addr', 'show', 'dev', $If)).Out -split "`n" | Where-Object { $_ } | ForEach-Object { ($_ -split '\s+')[3] })
        $want = @($Addresses | Where-Object { ($family -eq '-6') -eq $_.Contains(':') })
        foreach ($a in $want | Where-Object { $_ -notin $have }) { Invoke-Native ip @($family, 'addr', 'add', $a, 'dev', $If) | Out-Null; $script:Actions.Add("ip addr add $a") }
        foreach ($a in $have | Where-Object { $_ -notin $want -and -not $_.StartsWith('fe80:') }) { Invoke-Native ip @($family, 'addr', 'del', $a, 'dev', $If) | Out-Null; $script:Actions.Add("ip addr del $a") }
        $wantRoutes = @($Routes | Where-Object { ($family -eq '-6') -eq $_.Contains(':') })
        # One read of the interface's routes, then in memory: a route per AllowedIPs entry that no route on
        # the interface covers yet (wg-quick's rule), without one 'ip route get' per peer.
        $hostBits = if ($family -eq '-6') { '/128' } else { '/32' }
        $onDev = @((Invoke-Native ip @($family, '-o', 'route', 'show', 'dev', $If)).Out -split "`n" | Where-Object { $_ } | ForEach-Object {
                $d = ($_ -split '\s+')[0]
                $net = if ($d -eq 'default') { if ($family -eq '-6') { '::/0' } else { '0.0.0.0/0' } } elseif ($d.Contains('/')) { $d } else { "$d$hostBits" }
                [pscustomobject]@{ Net = [System.Net.IPNetwork]::Parse($net); Kernel = $_ -match 'proto kernel' }
            })
        $exact = [System.Collections.Generic.HashSet[string]]::new([string[]]@($onDev | ForEach-Object { $_.Net.ToString() }))
        $wide = @($onDev | Where-Object { $_.Net.PrefixLength -lt [int]$hostBits.Substring(1) })
        foreach ($r in $wantRoutes) {
            $wantNet = [System.Net.IPNetwork]::Parse($r)
            $covered = $exact.Contains($wantNet.ToString())
            foreach ($w in $wide) { if (-not $covered -and $w.Net.PrefixLength -le $wantNet.PrefixLength -and $w.Net.Contains($wantNet.BaseAddress)) { $covered = $true } }
            if (-not $covered) { Invoke-Native ip @($family, 'route', 'add', $r, 'dev', $If) | Out-Null; $script:Actions.Add("ip route add $r") }
        }
        $wantSet = [System.Collections.Generic.HashSet[string]]::new([string[]]@($wantRoutes | ForEach-Object { [System.Net.IPNetwork]::Parse($_).ToString() }))
        foreach ($d in $onDev | Where-Object { -not $_.Kernel -and -not $wantSet.Contains($_.Net.ToString()) }) {
            Invoke-Native ip @($family, 'route', 'del', $d.Net.ToString(), 'dev', $If) -AllowFailure | Out-Null; $script:Actions.Add("ip route del $($d.Net)")
        }
    }
}

function Assert-WgListenPort([string] $If, $Port) {
    # wireguard-go can come up on a random port when the configured one is taken, and wg-quick still says
    # yes: a relay nobody can reach would be reported Created. Such an interface goes down again, and the
    # apply fails (its catch puts the old file back).
    if (-not $Port) { return }
    $live = "$((Invoke-Native wg @('show', $If, 'listen-port') -AllowFailure).Out)".Trim()
    if ($live -eq "$Port") { return }
    if (Test-Systemd) { Invoke-Native systemctl @('disable', '--now', "wg-quick@$If") -AllowFailure | Out-Null }
    $null = Start-DetachedCommand wg-quick @('down', $If)
    throw (New-AgentError 'WgQuickUpFailed' "wg-quick up $If came up listening on port $live, not $($Port): the port is taken by another program; the interface was taken down again." "wg-quick up $If" "listen-port $live")
}

function Invoke-WireGuardApply($Req, $Plan) {
    $if = $Req.InterfaceName
    $path = $Plan.Path
    if ($Req.Uninstall) {
        if ($Plan.Up) {
            if (Test-Systemd) { Invoke-Native systemctl @('disable', '--now', "wg-quick@$if") -AllowFailure | Out-Null }
            $r = Start-DetachedCommand wg-quick @('down', $if)
            if ($r.ExitCode -ne 0 -and (Get-WgLive $if)) { throw (New-AgentError 'WgQuickDownFailed' "wg-quick down $if failed." "wg-quick down $if" $r.Err) }
            $script:Actions.Add("wg-quick down $if")
        }
        if ($null -ne $Plan.Current) { Remove-HostFile $path; $script:Actions.Add("removed $path") }
        Set-WgBoot $if $Plan.Boot -Uninstall
        return 'Removed'
    }
    if (-not [System.IO.Directory]::Exists('/etc/wireguard')) { Invoke-Native mkdir @('-p', '-m', '0700', '/etc/wireguard') | Out-Null }
    if ($Plan.Restart) {
        # The interface's routing changes (Table, the return route's hooks): down with the old file, so its own
        # PostDown undoes what its PostUp did; up again with the new one below.
        $r = Start-DetachedCommand wg-quick @('down', $if)
        if ($r.ExitCode -ne 0 -and (Get-WgLive $if)) { throw (New-AgentError 'WgQuickDownFailed' "wg-quick down $if failed." "wg-quick down $if" $r.Err) }
    }
    if ($Plan.FileChanged) {
        Write-HostFileAtomic $path $Req.Text '0600'
        $script:Actions.Add("wrote $path")
    }
    try {
        if (-not $Plan.Up) {
            if (Test-Systemd) {
                Invoke-Native systemctl @('enable', '--now', "wg-quick@$if") | Out-Null
                $script:Actions.Add("systemctl enable --now wg-quick@$if")
            }
            else {
                $r = Start-DetachedCommand wg-quick @('up', $if)
                if ($r.ExitCode -ne 0) { throw (New-AgentError 'WgQuickUpFailed' "wg-quick up $if failed." "wg-quick up $if" $r.Err) }
                $script:Actions.Add("wg-quick up $if")
            }
            Assert-WgListenPort $if $Req.ListenPort
        }
        elseif ($Plan.Restart) {
            $r = Start-DetachedCommand wg-quick @('up', $if)
            if ($r.ExitCode -ne 0) { throw (New-AgentError 'WgQuickUpFailed' "wg-quick up $if failed." "wg-quick up $if" $r.Err) }
            $script:Actions.Add("wg-quick down $if; wg-quick up $if")
            Assert-WgListenPort $if $Req.ListenPort
        }
        elseif ($Plan.LiveChanged) {
            $stripped = [System.IO.Path]::Combine($script:RunDir, "$if-$([guid]::NewGuid().ToString('N')).conf")
            Write-HostFileAtomic $stripped $Req.StrippedText '0600'
            try { Invoke-Native wg @('syncconf', $if, $stripped) | Out-Null }
            finally { Remove-HostFile $stripped }
            $script:Actions.Add("wg syncconf $if")
            Sync-WgAddresses $if $Req.Addresses $Req.Routes
        }
        if ($Plan.Mtu) {
            # A new MTU line on an interface that is up: set on the live interface too (wg-quick reads it only at up).
            Invoke-Native ip @('link', 'set', 'dev', $if, 'mtu', [string][int]$Plan.Mtu) | Out-Null
            $script:Actions.Add("ip link set dev $if mtu $([int]$Plan.Mtu)")
        }
        if (-not $Plan.Up -and (Test-Systemd)) { $Plan.Boot.Enable = $false }   # enable --now did it
        Set-WgBoot $if $Plan.Boot
    }
    catch {
        # Put the old file back byte for byte: the next restart must not find a file that failed.
        if ($Plan.FileChanged) {
            if ($null -eq $Plan.Current) { Remove-HostFile $path } else { Write-HostFileAtomic $path $Plan.Current '0600' }
            $script:Actions.Add("restored $path")
            # A restart that failed half-way: the old tunnel comes back up.
            if ($Plan.Restart -and $null -ne $Plan.Current -and -not (Get-WgLive $if)) { $null = Start-DetachedCommand wg-quick @('up', $if); $script:Actions.Add("wg-quick up $if (the old config)") }
        }
        throw
    }
    if ($null -eq $Plan.Current) { 'Created' } else { 'Changed' }
}

