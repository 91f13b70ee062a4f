# ---------------------------------------------------------------- Port forwards (nftables, table ip hometunnel)

# One of HomeTunnel's nftables tables (the relay's forwards, the home machine's firewall): the request says
# which (Forwards/NftTable.cs); one rule file per item in its folder, a table file that replaces the table and
# includes them, a boot unit. Only that table is ever listed, loaded or deleted.

function Get-NftTableKeys([string] $Family, [string] $Name) {
    # Is HomeTunnel's table loaded, and which items does it hold: each rule's comment is "hometunnel <key> ...".
    if (-not (Test-Tool 'nft')) { return @{ Loaded = $false; Items = @() } }
    $r = Invoke-Native nft @('list', 'table', $Family, $Name) -AllowFailure
    if ($r.ExitCode -ne 0) { return @{ Loaded = $false; Items = @() } }
    @{ Loaded = $true; Items = @([System.Linq.Enumerable]::Distinct([string[]]@([regex]::Matches($r.Out, 'comment "hometunnel ([^\s"]+)') | ForEach-Object { $_.Groups[1].Value }))) }
}

function Get-RelayNeeds {
    # What the relay itself needs, as the host's own text; the module reads it (Forwards/RelayNeeds.cs) and refuses
    # a forward onto any of it. Of a wg-quick file only its ListenPort and AllowedIPs lines leave: never its keys.
    $ss = $null
    try { $ss = Invoke-Native ss @('-H', '-l', '-n', '-t', '-u', '-p') -AllowFailure } catch { $ss = $null }
    $sshd = ''
    foreach ($c in '/usr/sbin/sshd', '/usr/bin/sshd') {
        if (-not [System.IO.File]::Exists($c)) { continue }
        try { $r = Invoke-Native $c @('-T') -AllowFailure } catch { continue }
        if ($r.ExitCode -eq 0) { $sshd = (@($r.Out -split "`n" | Where-Object { $_ -match '^(port|listenaddress) ' }) -join "`n"); break }
    }
    $ports = Read-HostFile '/etc/apache2/ports.conf'
    # The shape of Hosts/Contract/NftTableFacts.cs's RelayNeedsText.
    @{
        Tunnel = (Get-WgPeerText)
        SsOk = $null -ne $ss -and $ss.ExitCode -eq 0; Ss = $(if ($ss) { $ss.Out } else { '' }); Sshd = $sshd
        ApacheListen = $(if ($ports) { (@($ports -split "`n" | Where-Object { $_ -match '^\s*Listen\s' }) -join "`n") } else { '' })
    }
}

function Get-WgPeerText {
    # The host's tunnels as its own text: live ports and peers' AllowedIPs (wg show all), and of each wg-quick file
    # only its ListenPort and AllowedIPs lines (never its keys). The module parses it (Forwards/RelayNeeds.cs).
    $listen = [System.Collections.Generic.List[string]]::new(); $allowed = [System.Collections.Generic.List[string]]::new()
    if (Test-Tool wg) {
        # One dump for every interface; its key columns (private, preshared) are dropped here, unread.
        foreach ($line in (Invoke-Native wg @('show', 'all', 'dump') -AllowFailure).Out -split "`n") {
            $f = $line -split "`t"
            if ($f.Count -eq 5) { $listen.Add("$($f[0])`t$($f[3])") }
            elseif ($f.Count -ge 9) { $allowed.Add("$($f[0])`t$($f[1])`t$($f[4] -replace ',', ' ')") }
        }
    }
    $wgListen = $listen -join "`n"; $wgAllowed = $allowed -join "`n"
    $wgFiles = @{}
    if ([System.IO.Directory]::Exists('/etc/wireguard')) {
        foreach ($f in [System.IO.Directory]::GetFiles('/etc/wireguard', '*.conf')) {
            $text = Read-HostFile $f
            if ($null -eq $text) { continue }
            $wgFiles[[System.IO.Path]::GetFileNameWithoutExtension($f)] = (@($text -split "`n" | Where-Object { $_ -match '^\s*(ListenPort|AllowedIPs)\s*=' }) -join "`n")
        }
    }
    @{ WgListen = $wgListen; WgAllowed = $wgAllowed; WgFiles = $wgFiles }
}

function Get-NftTableFacts($Req) {
    $t = $Req.Table
    $nft = Test-Tool 'nft'
    $files = @{}
    foreach ($p in $Req.Paths) { $files[$p] = Read-HostFile $p }
    $existing = [System.Collections.Generic.List[string]]::new()
    if ([System.IO.Directory]::Exists($t.Folder)) { foreach ($f in [System.IO.Directory]::GetFiles($t.Folder, '*.nft')) { $existing.Add([System.IO.Path]::GetFileNameWithoutExtension($f)) } }
    # Uninstalling everything: the files of every item there is, to back up and to check they are ours.
    if ($Req.All) { foreach ($k in $existing) { $p = "$($t.Folder)/$k.nft"; $files[$p] = Read-HostFile $p } }
    $table = Get-NftTableKeys $t.Family $t.Name
    $live = [string[]]@($table.Items); $loaded = $table.Loaded
    $systemd = Test-Systemd
    # The shape of Hosts/Contract/NftTableFacts.cs.
    @{
        Nft = $nft; Files = $files; Existing = $existing; Live = $live; TableLoaded = $loaded
        IpForward = $(if ($t.IpForward) { try { [System.IO.File]::ReadAllText('/proc/sys/net/ipv4/ip_forward').Trim() } catch { '' } } else { '' })
        Systemd = $systemd
        UnitEnabled = $systemd -and [System.IO.File]::Exists("/etc/systemd/system/multi-user.target.wants/$($t.UnitName)")
        Relay = $(if ($Req.RelayFacts) { Get-RelayNeeds } else { $null })
    }
}

function Get-NftTableFingerprint($F) {
    $parts = [System.Collections.Generic.List[string]]::new()
    foreach ($k in (Get-OrdinalSorted @($F.Files.Keys))) { $parts.Add("$k=$($F.Files[$k])") }
    $parts.Add(((Get-OrdinalSorted @($F.Existing)) -join ',')); $parts.Add(((Get-OrdinalSorted @($F.Live)) -join ','))
    $parts.Add("$($F.TableLoaded)|$($F.IpForward)|$($F.UnitEnabled)")
    Get-Fingerprint $parts.ToArray()
}

function Invoke-NftTableApply($Req, $Plan) {
    $t = $Req.Table
    $tablePath = $t.TablePath
    try {
        foreach ($d in '/etc/hometunnel', $t.Folder) { if (-not [System.IO.Directory]::Exists($d)) { Invoke-Native mkdir @('-p', '-m', '0755', $d) | Out-Null } }
        foreach ($path in @($Plan.Writes.Keys)) { Write-HostFileAtomic $path $Plan.Writes[$path] '0644'; $script:Actions.Add("wrote $path") }
        foreach ($path in @($Plan.Removes)) { Remove-HostFile $path; $script:Actions.Add("removed $path") }
        if ($Plan.DropTable) {
            if ($Plan.DisableUnit) { Invoke-Native systemctl @('disable', $t.UnitName) -AllowFailure | Out-Null; $script:Actions.Add("systemctl disable $($t.UnitName -replace '\.service$', '')") }
            Invoke-Native nft @('delete', 'table', $t.Family, $t.Name) -AllowFailure | Out-Null
            $script:Actions.Add("nft delete table $($t.Family) $($t.Name)")
        }
        if ($Plan.Reload) {
            $check = Invoke-Native nft @('-c', '-f', $tablePath) -AllowFailure
            if ($check.ExitCode -ne 0) { throw (New-AgentError 'NftRejected' "nft refused the table $($t.Family) $($t.Name); the previous files were put back. $($check.Err)" "nft -c -f $tablePath" $check.Err) }
            if ($Plan.IpForward) { Invoke-Native sysctl @('-q', '-w', 'net.ipv4.ip_forward=1') | Out-Null; $script:Actions.Add('sysctl net.ipv4.ip_forward=1') }
            Invoke-Native nft @('-f', $tablePath) | Out-Null
            $script:Actions.Add("nft -f $tablePath")
        }
        if ($Plan.EnableUnit) {
            Invoke-Native systemctl @('daemon-reload') | Out-Null
            Invoke-Native systemctl @('enable', $t.UnitName) | Out-Null
            $script:Actions.Add("systemctl enable $($t.UnitName -replace '\.service$', '')")
        }
    }
    catch {
        foreach ($path in @($Plan.Backup.Keys)) {
            $old = $Plan.Backup[$path]
            if ($null -eq $old) { Remove-HostFile $path } else { Write-HostFileAtomic $path $old '0644' }
        }
        if ($null -ne $Plan.Backup[$tablePath]) { Invoke-Native nft @('-f', $tablePath) -AllowFailure | Out-Null }
        $script:Actions.Add('rolled back')
        throw
    }
    if ($Req.Uninstall) { 'Removed' } elseif (@($Plan.Writes.Keys | Where-Object { $_ -like "$($t.Folder)/*" -and $null -eq $Plan.Backup[$_] }).Count -gt 0) { 'Created' } else { 'Changed' }
}

