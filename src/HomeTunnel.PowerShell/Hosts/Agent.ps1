# HomeTunnel's agent: the one script that runs on a host (through a PSSession, or in a local runspace).
# It needs nothing but pwsh and the host's own tools. Secrets arrive as arguments, never in script text;
# what it sends back is raw, and the module redacts it before anyone sees it (Hosts/Redaction.cs).
#
#   The agent gathers facts and acts; the module decides. A change takes two calls:
#   Facts: read-only; the files as the host has them, the live interface, the enabled sites and modules,
#   with a fingerprint of them. The module plans from these (Hosts/WireGuardPlanner.cs, ApachePlanner.cs).
#   Apply: the module's plan and the fingerprint it was made from. The request goes to a detached worker
#   (its own session, stdio on a file), so a dropped SSH connection cannot stop an apply half-way; the
#   worker takes the host lock, reads the facts again, applies the plan if they are the same, and answers
#   'Stale' with the new facts if not (the module plans again). It rolls back on failure.
param(
    [hashtable] $Request,
    [string] $Serve
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

# The no-op path (plan, compare, answer) uses .NET and the engine's own cmdlets only: loading the
# Management and Utility modules into a fresh remote runspace costs more than a whole no-op apply.
$script:IsRoot = [Environment]::UserName -eq 'root'
$script:RunDir = if ($script:IsRoot) { '/run/hometunnel' } else { [System.IO.Path]::Combine($HOME, '.hometunnel', 'run') }
$script:Actions = [System.Collections.Generic.List[string]]::new()
$script:WgError = ''

function New-AgentError([string] $Id, [string] $Message, [string] $Command = '', [string] $Stderr = '') {
    $e = [System.Exception]::new($Message)
    $e.Data['HomeTunnelErrorId'] = $Id
    $e.Data['Command'] = $Command
    $e.Data['Stderr'] = $Stderr
    $e
}

function Invoke-Native {
    # Runs a command with an argument list (no shell, no string joining), through sudo -n when not root.
    param([string] $Command, [string[]] $Arguments = @(), [switch] $AllowFailure, [string] $InputText)
    $psi = [System.Diagnostics.ProcessStartInfo]::new()
    if ($script:IsRoot) { $psi.FileName = $Command } else { $psi.FileName = 'sudo'; $psi.ArgumentList.Add('-n'); $psi.ArgumentList.Add($Command) }
    foreach ($a in $Arguments) { $psi.ArgumentList.Add($a) }
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi.RedirectStandardInput = $true
    $psi.UseShellExecute = $false
    $p = [System.Diagnostics.Process]::Start($psi)
    if ($InputText) { $p.StandardInput.Write($InputText) }
    $p.StandardInput.Close()
    $errTask = $p.StandardError.ReadToEndAsync()
    $out = $p.StandardOutput.ReadToEnd()
    $p.WaitForExit()
    $result = [pscustomobject]@{ ExitCode = $p.ExitCode; Out = $out; Err = $errTask.Result }
    if ($p.ExitCode -ne 0 -and -not $AllowFailure) {
        throw (New-AgentError 'CommandFailed' "'$Command $($Arguments -join ' ')' failed with exit code $($p.ExitCode)." "$Command $($Arguments -join ' ')" ($result.Err + $result.Out))
    }
    $result
}

function Start-DetachedCommand {
    param([string] $Command, [string[]] $Arguments)
    $log = Join-Path $script:RunDir "native-$([guid]::NewGuid().ToString('N')).log"
    $wrapper = @('-c', 'log="$1"; shift; exec "$@" </dev/null >"$log" 2>&1', 'hometunnel', $log, $Command) + $Arguments
    $r = Invoke-Native 'sh' $wrapper -AllowFailure
    $text = if (Test-Path $log) { Get-Content -Raw $log } else { '' }
    Remove-Item $log -ErrorAction Ignore
    [pscustomobject]@{ ExitCode = $r.ExitCode; Out = $text; Err = $text }
}

# What a file is, without opening it (a FIFO would hang a read, a device be read without end): pwsh's own lstat
# (UnixStat) in this process; as a user who cannot read the folder, stat through sudo. At most 4 MiB is read.
$script:MaxFileBytes = 4MB
function Get-HostFileKind([string] $Path, [switch] $FollowLink) {
    $p = $Path
    if ($FollowLink) {
        try { $t = [System.IO.File]::ResolveLinkTarget($Path, $true); if ($t) { $p = $t.FullName } } catch { return $null }
    }
    $item = try { Get-Item -LiteralPath $p -Force -ErrorAction Stop } catch [System.Management.Automation.ItemNotFoundException] { return $null } catch { $null }
    if ($item -and $item.PSObject.Properties['UnixStat'] -and $item.UnixStat) {
        return @{ Kind = "$($item.UnixStat.ItemType)"; Size = [long]$item.UnixStat.Size }
    }
    $r = Invoke-Native stat @('-c', '%F|%s', '--', $p) -AllowFailure
    if ($r.ExitCode -ne 0) { return $null }
    $f = $r.Out.Trim() -split '\|', 2
    @{ Kind = $(if ($f[0] -in 'regular file', 'regular empty file') { 'File' } else { $f[0] }); Size = [long]$f[1] }
}

function Read-HostFile([string] $Path, [switch] $FollowLink) {
    # A file HomeTunnel would write is read without following a link: the link's target may be any file of
    # the host (/etc/shadow), and is not ours to show. (The probe follows sites-enabled's links: Apache does.)
    $info = [System.IO.FileInfo]::new($Path)
    if (-not $FollowLink -and $info.LinkTarget) { return "(a symbolic link to $($info.LinkTarget))" }
    $kind = Get-HostFileKind $Path -FollowLink:$FollowLink
    if ($null -eq $kind) { return $null }
    if ($kind.Kind -ne 'File') { return "(not a regular file: $($kind.Kind))" }
    if ($kind.Size -gt $script:MaxFileBytes) { return "(over 4 MiB, not read)" }
    if ($script:IsRoot) { return [System.IO.File]::ReadAllText($Path) }
    $r = Invoke-Native cat @($Path) -AllowFailure
    if ($r.ExitCode -eq 0) { $r.Out } else { $null }
}

function Write-HostFileAtomic([string] $Path, [string] $Text, [string] $Mode, [string] $Group = '') {
    # Staged beside the target, flushed, renamed over it: a reader sees the old file or the new one.
    $dir = Split-Path $Path -Parent
    $stage = Join-Path $dir ".$(Split-Path $Path -Leaf).hometunnel-$([guid]::NewGuid().ToString('N'))"
    if ($script:IsRoot) {
        $options = [System.IO.FileStreamOptions]::new()
        $options.Mode = 'CreateNew'; $options.Access = 'Write'
        $options.UnixCreateMode = [System.IO.UnixFileMode]([Convert]::ToInt32($Mode, 8))
        # A failed write (a full disk) must not leave the staged file behind.
        try {
            $fs = [System.IO.FileStream]::new($stage, $options)
            try {
                $bytes = [System.Text.UTF8Encoding]::new($false).GetBytes($Text)
                $fs.Write($bytes, 0, $bytes.Length)
                $fs.Flush($true)
            }
            finally { $fs.Dispose() }
            # A group (www-data reads an htpasswd file) is set on the staged file: the target is never readable by more.
            if ($Group) { Invoke-Native chgrp @($Group, $stage) | Out-Null }
            [System.IO.File]::Move($stage, $Path, $true)
        }
        catch {
            Remove-Item -LiteralPath $stage -Force -ErrorAction Ignore
            throw (New-AgentError 'FileWriteFailed' "Could not write $($Path): $($_.Exception.GetBaseException().Message) The file on the host is unchanged." "write $Path" '')
        }
    }
    else {
        $tmp = Join-Path $script:RunDir ([guid]::NewGuid().ToString('N'))
        [System.IO.File]::WriteAllText($tmp, $Text)
        try {
            Invoke-Native install @('-m', $Mode, '-o', 'root', '-g', $(if ($Group) { $Group } else { 'root' }), $tmp, $stage) | Out-Null
            Invoke-Native mv @('-f', $stage, $Path) | Out-Null
        }
        catch {
            Invoke-Native rm @('-f', $stage) -AllowFailure | Out-Null
            throw
        }
        finally { Remove-Item $tmp -ErrorAction Ignore }
    }
}

function Remove-HostFile([string] $Path) {
    if ($script:IsRoot) { Remove-Item -LiteralPath $Path -Force -ErrorAction Ignore } else { Invoke-Native rm @('-f', $Path) | Out-Null }
}

# .NET only: it is asked on the no-op path, where loading the Management module for Test-Path costs more than the rest.
function Test-Systemd { [System.IO.Directory]::Exists('/run/systemd/system') }

# Whether a program is on PATH, by the file system alone (command discovery costs a fresh runspace tens of ms).
function Test-Tool([string] $Name) {
    foreach ($d in "$env:PATH".Split(':')) { if ($d -and [System.IO.File]::Exists("$d/$Name")) { return $true } }
    $false
}

function Get-Fingerprint([string[]] $Parts) {
    # What a plan was made from, in one value: the worker applies only if the host still looks the same.
    $bytes = [System.Text.Encoding]::UTF8.GetBytes(($Parts -join "`0"))
    [System.Convert]::ToHexString([System.Security.Cryptography.SHA256]::HashData($bytes))
}

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
    $peers = if ($live) { @(foreach ($k in $live.Peers.Keys) { @{ PublicKey = $k; AllowedIPs = $live.Peers[$k].AllowedIPs } }) } else { @() }
    @{ Path = $path; Current = (Read-HostFile $path); Up = ($null -ne $live); ListenPort = $(if ($live) { "$($live.ListenPort)" } else { '' }); Peers = $peers; Boot = (Get-WgBootFacts $if $Req.BootUnits) }
}

function Get-WgBootFacts([string] $If, [string[]] $Units) {
    # .NET only (on the no-op path): is wg-quick@ wanted at boot, is HomeTunnel's watch on, what its unit files hold.
    if (-not (Test-Systemd)) { return @{ Systemd = $false } }
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
    $boot = if ($b.Systemd) { "$($b.Enabled)|$($b.Watching)|" + (@($b.Units.Keys | Sort-Object | ForEach-Object { "$_=$($b.Units[$_])" }) -join '|') } else { 'none' }
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
    if (-not (Test-Path /etc/wireguard)) { Invoke-Native mkdir @('-p', '-m', '0700', '/etc/wireguard') | Out-Null }
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
            $stripped = Join-Path $script:RunDir "$if-$([guid]::NewGuid().ToString('N')).conf"
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

# ---------------------------------------------------------------- Apache

function Test-ApacheRunning {
    # .NET only: this is on the no-op path, where loading the Management module would cost more than the rest.
    $pidFile = '/run/apache2/apache2.pid'
    if (-not [System.IO.File]::Exists($pidFile)) { return $false }
    $text = try { [System.IO.File]::ReadAllText($pidFile).Trim() } catch { '' }
    $text -match '^\d+$' -and [System.IO.Directory]::Exists("/proc/$text")
}

function Test-ApacheAtBoot {
    # On systemd: is apache2.service wanted at boot? (.NET only, like Test-ApacheRunning.) Elsewhere: not ours to say.
    if (-not (Test-Systemd)) { return $null }
    [System.IO.File]::Exists('/etc/systemd/system/multi-user.target.wants/apache2.service')
}

function Test-ApacheConfig {
    $r = Invoke-Native apache2ctl @('configtest') -AllowFailure
    [pscustomobject]@{ Ok = $r.ExitCode -eq 0; Output = ($r.Err + $r.Out).Trim() }
}

function Get-EnabledSiteNames([string] $Etc, [string[]] $Except) {
    # Which names the other enabled sites serve: only names leave the host, never a file's text.
    foreach ($file in [System.IO.Directory]::GetFiles("$Etc/sites-enabled")) {
        if ([System.IO.Path]::GetFileName($file) -in $Except) { continue }
        $text = try { [System.IO.File]::ReadAllText($file) } catch { '' }
        $names = foreach ($m in [regex]::Matches($text, '(?im)^[ \t]*Server(?:Name|Alias)[ \t]+([^\r\n#]+)')) {
            foreach ($n in ($m.Groups[1].Value -split '\s+')) { $bare = ($n.Trim('"', "'") -replace ':\d+$', '').TrimEnd('.'); if ($bare) { $bare } }
        }
        @{ File = $file; Names = @($names) }
    }
}

function Get-ApacheFacts($Req) {
    $etc = '/etc/apache2'
    $sites = foreach ($s in $Req.Sites) {
        $available = "$etc/sites-available/$($s.FileName)"
        $enabledPath = "$etc/sites-enabled/$($s.FileName)"
        $enabled = [System.IO.File]::Exists($enabledPath)
        @{
            FileName = $s.FileName; Path = $available; Current = (Read-HostFile $available); Enabled = $enabled
            EnabledTarget = $(if ($enabled) { "$([System.IO.FileInfo]::new($enabledPath).LinkTarget)" } else { '' })
            PasswordCurrent = $(if ($s.PasswordPath) { Read-HostFile $s.PasswordPath } else { $null })
        }
    }
    $modules = @(foreach ($f in [System.IO.Directory]::GetFiles("$etc/mods-enabled", '*.load')) { [System.IO.Path]::GetFileNameWithoutExtension($f) })
    @{
        Sites = @($sites); Modules = $modules; Running = (Test-ApacheRunning); AtBoot = (Test-ApacheAtBoot)
        Tunnel = $(if (-not $Req.Uninstall) { Get-WgPeerText } else { $null })
        OtherSites = @(Get-EnabledSiteNames $etc @($Req.Sites | ForEach-Object { $_.FileName }))
    }
}

function Get-ApacheFingerprint($F) {
    $parts = [System.Collections.Generic.List[string]]::new()
    foreach ($s in $F.Sites) { $parts.Add("$($s.Path)|$($null -eq $s.Current)|$($s.Current)|$($s.Enabled)|$($s.EnabledTarget)|$($null -eq $s.PasswordCurrent)|$($s.PasswordCurrent)") }
    $modules = [string[]]@($F.Modules); [System.Array]::Sort($modules, [System.StringComparer]::Ordinal)
    $parts.Add($modules -join ','); $parts.Add("$($F.Running)|$($F.AtBoot)")
    foreach ($o in $F.OtherSites) { $parts.Add("$($o.File)=$($o.Names -join ',')") }
    Get-Fingerprint $parts.ToArray()
}

function Set-SitePasswordFile($Site) {
    # The htpasswd file behind a site's door: 0640 root:www-data (Apache's workers read it per request).
    # The plan holds only a bcrypt hash; the actions name the file, never its content.
    if (-not $Site.PasswordChanged) { return }
    if ($null -eq $Site.PasswordText) {
        Remove-HostFile $Site.PasswordPath; $script:Actions.Add("removed $($Site.PasswordPath)")
        return
    }
    $dir = Split-Path $Site.PasswordPath -Parent
    if (-not [System.IO.Directory]::Exists($dir)) { Invoke-Native install @('-d', '-m', '0755', '-o', 'root', '-g', 'root', $dir) | Out-Null }
    Write-HostFileAtomic $Site.PasswordPath $Site.PasswordText '0640' 'www-data'
    $script:Actions.Add("wrote $($Site.PasswordPath)")
}

function Invoke-ApacheApply($Req, $Plan) {
    $before = Test-ApacheConfig
    if (-not $before.Ok) {
        throw (New-AgentError 'ApacheConfigBroken' "The host's Apache config is already broken; nothing was changed. Fix it first: $($before.Output)" 'apache2ctl configtest' $before.Output)
    }
    $enabledModules = [System.Collections.Generic.List[string]]::new()
    $touched = [System.Collections.Generic.List[object]]::new()
    # a2enmod also enables dependencies (ssl brings socache_shmcb): remember the folder, not just our list.
    $modsBefore = @(Get-ChildItem -Name /etc/apache2/mods-enabled)
    try {
        foreach ($site in @($Plan.Sites | Where-Object { $_.Changed })) {
            $touched.Add($site)
            if ($Req.Uninstall) {
                if ($site.Enabled) { Invoke-Native a2dissite @('-q', $site.FileName) | Out-Null; $script:Actions.Add("a2dissite $($site.FileName)") }
                if ($null -ne $site.Current) { Remove-HostFile $site.Path; $script:Actions.Add("removed $($site.Path)") }
                Set-SitePasswordFile $site
                continue
            }
            Set-SitePasswordFile $site
            foreach ($m in $site.MissingModules | Where-Object { $_ -notin $enabledModules }) {
                Invoke-Native a2enmod @('-q', $m) | Out-Null
                $enabledModules.Add($m); $script:Actions.Add("a2enmod $m")
            }
            $want = ($Req.Sites | Where-Object { $_.FileName -eq $site.FileName }).Text
            if ($site.Current -cne $want) { Write-HostFileAtomic $site.Path $want '0644'; $script:Actions.Add("wrote $($site.Path)") }
            if (-not $site.Enabled) { Invoke-Native a2ensite @('-q', $site.FileName) | Out-Null; $script:Actions.Add("a2ensite $($site.FileName)") }
        }
        $after = Test-ApacheConfig
        if (-not $after.Ok) {
            throw (New-AgentError 'ConfigTestFailed' "apache2ctl configtest failed with the new site; the previous files and enabled state were put back. $($after.Output)" 'apache2ctl configtest' $after.Output)
        }
    }
    catch {
        foreach ($site in $touched) {
            $name = $site.FileName
            if ($null -eq $site.Current) { Remove-HostFile $site.Path } else { Write-HostFileAtomic $site.Path $site.Current '0644' }
            if ($site.PasswordChanged) {
                if ($null -eq $site.PasswordCurrent) { Remove-HostFile $site.PasswordPath } else { Write-HostFileAtomic $site.PasswordPath $site.PasswordCurrent '0640' 'www-data' }
            }
            $isEnabled = Test-Path -LiteralPath "/etc/apache2/sites-enabled/$name"
            if ($site.Enabled -and -not $isEnabled) { Invoke-Native a2ensite @('-q', $name) -AllowFailure | Out-Null }
            if (-not $site.Enabled -and $isEnabled) { Invoke-Native a2dissite @('-q', $name) -AllowFailure | Out-Null }
        }
        $added = @(Get-ChildItem -Name /etc/apache2/mods-enabled | Where-Object { $_ -notin $modsBefore })
        foreach ($m in @($added | Where-Object { $_ -like '*.load' } | ForEach-Object { $_ -replace '\.load$', '' })) { Invoke-Native a2dismod @('-q', '-f', $m) -AllowFailure | Out-Null }
        foreach ($f in @(Get-ChildItem -Name /etc/apache2/mods-enabled | Where-Object { $_ -notin $modsBefore })) { Remove-HostFile "/etc/apache2/mods-enabled/$f" }
        $script:Actions.Add('rolled back')
        throw
    }
    # mod_md's certificate job starts only when Apache starts with mod_md loaded: a graceful reload that
    # first loads it never runs it. Newly loading md therefore takes a full restart, once.
    $pidFile = '/run/apache2/apache2.pid'
    $running = Test-ApacheRunning
    if ($enabledModules -contains 'md' -and $running) {
        Invoke-Native apache2ctl @('stop') | Out-Null
        $deadline = [DateTime]::UtcNow.AddSeconds(15)
        while ((Test-Path $pidFile) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
        Invoke-Native apache2ctl @('start') | Out-Null
        $script:Actions.Add('apache2ctl stop/start (mod_md newly loaded)')
    }
    elseif ($running) {
        Invoke-Native apache2ctl @('graceful') | Out-Null
        $script:Actions.Add('apache2ctl graceful')
    }
    else {
        Invoke-Native apache2ctl @('start') | Out-Null
        $script:Actions.Add('apache2ctl start')
    }
    if (-not $Req.Uninstall -and $Plan.AtBoot -eq $false) {
        Invoke-Native systemctl @('enable', 'apache2') | Out-Null
        $script:Actions.Add('systemctl enable apache2')
    }
    if ($Req.Uninstall) { 'Removed' } elseif ($touched.Count -gt 0 -and @($touched | Where-Object { $null -eq $_.Current }).Count -eq $touched.Count) { 'Created' } else { 'Changed' }
}

# ---------------------------------------------------------------- Port forwards (nftables, table ip hometunnel)

# One of HomeTunnel's nftables tables (the relay's forwards, the home machine's firewall): the request says
# which (Forwards/NftTable.cs); one rule file per item in its folder, a table file that replaces the table and
# includes them, a boot unit. Only that table is ever listed, loaded or deleted.

function Get-NftTableKeys([string] $Family, [string] $Name) {
    # Is HomeTunnel's table loaded, and which items does it hold: each rule's comment is "hometunnel <key> ...".
    if (-not (Get-Command nft -CommandType Application -ErrorAction Ignore)) { return @{ Loaded = $false; Items = @() } }
    $r = Invoke-Native nft @('list', 'table', $Family, $Name) -AllowFailure
    if ($r.ExitCode -ne 0) { return @{ Loaded = $false; Items = @() } }
    @{ Loaded = $true; Items = @([regex]::Matches($r.Out, 'comment "hometunnel ([^\s"]+)') | ForEach-Object { $_.Groups[1].Value } | Select-Object -Unique) }
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
    $facts = Get-WgPeerText
    $facts.SsOk = $null -ne $ss -and $ss.ExitCode -eq 0; $facts.Ss = $(if ($ss) { $ss.Out } else { '' }); $facts.Sshd = $sshd
    $facts.ApacheListen = $(if ($ports) { (@($ports -split "`n" | Where-Object { $_ -match '^\s*Listen\s' }) -join "`n") } else { '' })
    $facts
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
    $nft = [bool](Get-Command nft -CommandType Application -ErrorAction Ignore)
    $files = @{}
    foreach ($p in $Req.Paths) { $files[$p] = Read-HostFile $p }
    $existing = if ([System.IO.Directory]::Exists($t.Folder)) { @(foreach ($f in [System.IO.Directory]::GetFiles($t.Folder, '*.nft')) { [System.IO.Path]::GetFileNameWithoutExtension($f) }) } else { @() }
    # Uninstalling everything: the files of every item there is, to back up and to check they are ours.
    if ($Req.All) { foreach ($k in $existing) { $p = "$($t.Folder)/$k.nft"; $files[$p] = Read-HostFile $p } }
    $table = Get-NftTableKeys $t.Family $t.Name
    $live = $table.Items; $loaded = $table.Loaded
    $systemd = Test-Systemd
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
    foreach ($k in @($F.Files.Keys | Sort-Object)) { $parts.Add("$k=$($F.Files[$k])") }
    $parts.Add((@($F.Existing | Sort-Object) -join ',')); $parts.Add((@($F.Live | Sort-Object) -join ','))
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

# ---------------------------------------------------------------- Status (read-only)

function Get-WgStatus($Req) {
    $if = $Req.InterfaceName
    $dump = Read-WgDump $if
    if ($null -eq $dump) {
        throw (New-AgentError 'InterfaceNotFound' "Interface $if is not up on this host." "wg show $if dump" $script:WgError)
    }
    # The config file goes back as a fact: the module reads the peers' names from it with its own parser.
    $peers = foreach ($f in $dump.Rows) {
        @{ PublicKey = $f[0]; Endpoint = $f[2]; AllowedIPs = $f[3]; LatestHandshake = $f[4]; RxBytes = $f[5]; TxBytes = $f[6]; Keepalive = $f[7] }
    }
    $config = Read-HostFile "/etc/wireguard/$if.conf"
    @{ PublicKey = $dump.PublicKey; ListenPort = $dump.ListenPort; Peers = @($peers); Config = $config; UpSeconds = (Get-InterfaceUpSeconds $if); Resolved = (Resolve-EndpointName $config) }
}

function Resolve-EndpointName([string] $Config) {
    # What this host's resolver says now for each endpoint the file names by DNS (a relay that moved resolves
    # elsewhere than the live endpoint): a few names at most, each bounded to 3 s.
    $resolved = @{}
    if (-not $Config) { return $resolved }
    foreach ($m in [regex]::Matches($Config, '(?m)^[ \t]*Endpoint[ \t]*=[ \t]*([A-Za-z0-9.-]*[A-Za-z][A-Za-z0-9.-]*):[0-9]{1,5}[ \t]*$') | Select-Object -First 8) {
        $name = $m.Groups[1].Value
        if ($resolved.ContainsKey($name)) { continue }
        $task = [System.Net.Dns]::GetHostAddressesAsync($name)
        $resolved[$name] = try { if ($task.Wait(3000)) { @($task.Result | ForEach-Object { $_.ToString() }) } else { @() } } catch { @() }
    }
    $resolved
}

function Get-InterfaceUpSeconds([string] $If) {
    # How long the interface has been up: wireguard-go's socket is made when it starts; a kernel interface
    # leaves no such trace, so the time since boot bounds it from above.
    $sock = "/run/wireguard/$If.sock"
    if ([System.IO.File]::Exists($sock)) { return [long]([DateTime]::UtcNow - [System.IO.File]::GetLastWriteTimeUtc($sock)).TotalSeconds }
    try { [long][double]::Parse(([System.IO.File]::ReadAllText('/proc/uptime') -split ' ')[0], [cultureinfo]::InvariantCulture) } catch { $null }
}

# ---------------------------------------------------------------- Probe (read-only, for Test-TunnelPath)

function Test-TcpConnect([string] $HostName, [int] $Port, [int] $TimeoutMilliseconds) {
    $client = [System.Net.Sockets.TcpClient]::new()
    try {
        $task = $client.ConnectAsync($HostName, $Port)
        if (-not $task.Wait($TimeoutMilliseconds)) { return "no answer within $($TimeoutMilliseconds) ms" }
        ''
    }
    catch { $_.Exception.GetBaseException().Message }
    finally { $client.Dispose() }
}

function Get-RelayProbe($Req) {
    # What the relay knows about the names a check covers: is Apache running, which enabled VirtualHost serves
    # each name (apache2ctl -S, once), that site's file, whether its backend answers (once per backend), and
    # the tunnel's public state (once). One call however many names.
    $names = if ($Req.ContainsKey('ServerNames') -and $Req.ServerNames) { @($Req.ServerNames) } else { @($Req.ServerName) }
    $running = Test-ApacheRunning
    $s = Invoke-Native apache2ctl @('-S') -AllowFailure
    $listing = ($s.Out + $s.Err).Trim()
    # name (lower case) -> the VirtualHosts that serve it, from one reading of the listing
    $served = @{}
    $last = $null
    foreach ($line in $listing -split "`n") {
        if ($line -match '^\s*port\s+(\d+)\s+namevhost\s+(\S+)\s+\((.+):\d+\)') { $last = @{ Port = $Matches[1]; File = $Matches[3]; Name = $Matches[2] }; $key = $last.Name.ToLowerInvariant() }
        elseif ($line -match '^\s*\S+:(\d+)\s+(\S+)\s+\((.+):\d+\)') { $last = @{ Port = $Matches[1]; File = $Matches[3]; Name = $Matches[2] }; $key = $last.Name.ToLowerInvariant() }
        elseif ($line -match '^\s*alias\s+(\S+)' -and $last) { $key = $Matches[1].ToLowerInvariant() }
        else { continue }
        if (-not $served.ContainsKey($key)) { $served[$key] = [System.Collections.Generic.List[object]]::new() }
        $served[$key].Add(@{ Port = $last.Port; File = $last.File })
    }
    $texts = @{}; $answers = @{}
    $perName = @{}
    foreach ($name in $names) {
        $vhosts = @(if ($served.ContainsKey($name.ToLowerInvariant())) { $served[$name.ToLowerInvariant()] })
        $file = @($vhosts | Where-Object { $_.File } | ForEach-Object { $_.File }) | Select-Object -First 1
        $text = $null
        if ($file) { if (-not $texts.ContainsKey($file)) { $texts[$file] = Read-HostFile $file -FollowLink }; $text = $texts[$file] }
        $backend = $null; $backendError = $null
        if ($text -and $text -match '(?im)^\s*ProxyPass\s+\S+\s+(https?)://(\[[^\]]+\]|[^\s/:]+)(?::(\d+))?') {
            $port = if ($Matches[3]) { [int]$Matches[3] } elseif ($Matches[1] -eq 'https') { 443 } else { 80 }
            $addr = $Matches[2].Trim('[', ']')
            $backend = "$($Matches[1])://$($Matches[2]):$port/"
            $k = "$addr|$port"
            if (-not $answers.ContainsKey($k)) { $answers[$k] = Test-TcpConnect $addr $port ([int]$Req.ConnectTimeoutMilliseconds) }
            $backendError = $answers[$k]
        }
        $perName[$name] = @{ VirtualHosts = $vhosts; SiteFile = $file; SiteText = $text; Backend = $backend; BackendError = $backendError }
    }
    $wg = $null; $wgError = $null
    try { $wg = Get-WgStatus $Req } catch { $wgError = $_.Exception.Message }
    # The relay's half of a forward check: which forwards HomeTunnel's table holds, and whether each TCP home port answers from here.
    $forwards = $null
    if (@($Req.Forwards).Count -gt 0) {
        $live = (Get-NftTableKeys 'ip' 'hometunnel').Items
        $answers = @{}
        foreach ($f in $Req.Forwards) { $answers[$f.Key] = if ($f.Tcp) { Test-TcpConnect $f.Address ([int]$f.Port) ([int]$Req.ConnectTimeoutMilliseconds) } else { $null } }
        $forwards = @{ Live = $live; Answers = $answers }
    }
    @{
        Forwards = $forwards; Names = $perName
        ApacheRunning = $running; ApacheListingOk = $s.ExitCode -eq 0; ApacheListing = $listing
        WireGuard = $wg; WireGuardError = $wgError; Now = [DateTimeOffset]::UtcNow.ToUnixTimeSeconds()
    }
}

function Get-HomeProbe($Req) {
    $wg = $null; $wgError = $null
    try { $wg = Get-WgStatus $Req } catch { $wgError = $_.Exception.Message }
    # HomeTunnel's firewall on the tunnel, if any: which ports it opens (a published port it closes is the HomeService hop's remedy).
    $table = Get-NftTableKeys 'inet' 'hometunnel'
    $firewall = @{ Loaded = $table.Loaded; Openings = $table.Items }
    @{ WireGuard = $wg; WireGuardError = $wgError; Firewall = $firewall; Now = [DateTimeOffset]::UtcNow.ToUnixTimeSeconds() }
}

function Get-ManagedFiles($Req) {
    # The files HomeTunnel wrote in one folder (its marker on the first line), for Get-ApacheProxySite,
    # Get-WireGuardConfig and Unpublish-HomeService (the relay's forwards). A wg-quick file leaves the host without
    # its private and preshared keys.
    $dir, $like = switch ($Req.What) { 'Sites' { '/etc/apache2/sites-available', '*.conf' } 'Forwards' { '/etc/hometunnel/forwards.d', '*.nft' } default { '/etc/wireguard', '*.conf' } }
    $names = try { @([System.IO.Directory]::GetFiles($dir, $like) | ForEach-Object { [System.IO.Path]::GetFileName($_) }) }
    catch [System.UnauthorizedAccessException] { @((Invoke-Native sh @('-c', "ls -1 $dir") -AllowFailure).Out -split "`n" | Where-Object { $_ -like $like }) }
    catch { @() }
    $files = foreach ($n in $names | Sort-Object) {
        $path = "$dir/$n"
        $text = Read-HostFile $path
        if ($null -eq $text -or -not $text.StartsWith('# Managed by HomeTunnel')) { continue }
        if ($Req.What -eq 'Sites') {
            @{ Path = $path; Text = $text; Enabled = [System.IO.File]::Exists("/etc/apache2/sites-enabled/$n") }
        }
        elseif ($Req.What -eq 'Forwards') { @{ Path = $path; Text = $text } }
        else {
            $clean = ($text -split "`n" | Where-Object { $_ -notmatch '(?i)^\s*(private|preshared)[\s_-]*key\s*=' }) -join "`n"
            @{ Path = $path; Text = $clean; Up = [System.IO.Directory]::Exists("/sys/class/net/$($n -replace '\.conf$', '')") }
        }
    }
    @{ State = 'Read'; Files = @($files) }
}

# ---------------------------------------------------------------- key rotation (live steps, Update-TunnelPeerKey)

function Get-WgColumn([string] $If, [string] $What, [string] $Key) {
    # One peer's value from 'wg show <if> <what>' (latest-handshakes, allowed-ips, preshared-keys).
    foreach ($line in (Invoke-Native wg @('show', $If, $What)).Out -split "`n") {
        $f = $line -split "`t", 2
        if ($f.Count -eq 2 -and $f[0] -eq $Key) { return $f[1].Trim() }
    }
    $null
}

function Send-TunnelKick([string] $If, [string] $Key) {
    # One datagram into the tunnel to the peer (port 9, discard): WireGuard shakes hands when it has data to send.
    $allowed = "$(Get-WgColumn $If 'allowed-ips' $Key)" -split '[ ,]' | Where-Object { $_ -match '^[0-9.]+/' } | Select-Object -First 1
    if (-not $allowed) { return }
    $udp = [System.Net.Sockets.UdpClient]::new()
    try { $null = $udp.Send([byte[]](104, 116), 2, ($allowed -split '/')[0], 9) } catch { } finally { $udp.Dispose() }
}

function Invoke-RelayRotation($Req) {
    # The relay's half. Add: the new key as a second peer with no AllowedIPs (the old one still carries the home's
    # addresses, so nothing moves yet). Await: once the new peer has shaken hands, its AllowedIPs move over in the same
    # 'wg set' that removes the old peer; with no handshake by the deadline, the new peer goes and the old stays.
    $if = $Req.InterfaceName; $old = $Req.OldKey; $new = $Req.NewKey
    if ($Req.Step -eq 'Add') {
        $psk = if ($Req.PresharedKey) { $Req.PresharedKey } else { '' }
        Invoke-Native wg @('set', $if, 'peer', $new, 'preshared-key', $(if ($psk) { '/dev/stdin' } else { '/dev/null' })) -InputText $psk | Out-Null
        return @{ State = 'Read'; Rotation = @{ Step = 'Added' } }
    }
    $allowed = Get-WgColumn $if 'allowed-ips' $old
    $deadline = [DateTime]::UtcNow.AddSeconds([int]$Req.WaitSeconds)
    while ([DateTime]::UtcNow -lt $deadline) {
        $hs = Get-WgColumn $if 'latest-handshakes' $new
        if ($hs -and $hs -ne '0') {
            $list = (("$allowed" -split '[ ,]') | Where-Object { $_ -and $_ -ne '(none)' }) -join ','
            Invoke-Native wg @('set', $if, 'peer', $new, 'allowed-ips', $list, 'peer', $old, 'remove') | Out-Null
            return @{ State = 'Read'; Rotation = @{ Step = 'Rotated'; AllowedIPs = $list } }
        }
        Start-Sleep -Milliseconds 10
    }
    Invoke-Native wg @('set', $if, 'peer', $new, 'remove') -AllowFailure | Out-Null
    @{ State = 'Read'; Rotation = @{ Step = 'TimedOut' } }
}

function Invoke-HomeRotation($Req) {
    # The home half: the relay peer's new preshared key, then the new private key (which ends the old sessions),
    # a datagram so the handshake comes at once, and the wait for it. With no handshake by the deadline, the old
    # keys go back (they never left this host) and the old session is shaken hands again.
    $if = $Req.InterfaceName; $relay = $Req.RelayKey
    $oldPrivate = (Invoke-Native wg @('show', $if, 'private-key')).Out.Trim()
    $oldPsk = Get-WgColumn $if 'preshared-keys' $relay
    $since = [DateTimeOffset]::UtcNow.ToUnixTimeSeconds()
    $psk = if ($Req.PresharedKey) { $Req.PresharedKey } else { '' }
    Invoke-Native wg @('set', $if, 'peer', $relay, 'preshared-key', $(if ($psk) { '/dev/stdin' } else { '/dev/null' })) -InputText $psk | Out-Null
    Invoke-Native wg @('set', $if, 'private-key', '/dev/stdin') -InputText $Req.PrivateKey | Out-Null
    $deadline = [DateTime]::UtcNow.AddSeconds([int]$Req.WaitSeconds)
    $kick = [DateTime]::MinValue
    while ([DateTime]::UtcNow -lt $deadline) {
        if ([DateTime]::UtcNow -ge $kick) { Send-TunnelKick $if $relay; $kick = [DateTime]::UtcNow.AddSeconds(1) }
        $hs = Get-WgColumn $if 'latest-handshakes' $relay
        if ($hs -and [long]$hs -ge $since) { return @{ State = 'Read'; Rotation = @{ Step = 'Rotated' } } }
        Start-Sleep -Milliseconds 10
    }
    Invoke-Native wg @('set', $if, 'peer', $relay, 'preshared-key', $(if ($oldPsk -and $oldPsk -ne '(none)') { '/dev/stdin' } else { '/dev/null' })) -InputText $(if ($oldPsk -and $oldPsk -ne '(none)') { $oldPsk } else { '' }) -AllowFailure | Out-Null
    Invoke-Native wg @('set', $if, 'private-key', '/dev/stdin') -InputText $oldPrivate -AllowFailure | Out-Null
    Send-TunnelKick $if $relay
    @{ State = 'Read'; Rotation = @{ Step = 'TimedOut' } }
}

# ---------------------------------------------------------------- NAT idle timeout (Measure-TunnelNat)

function Invoke-NatProbeRelay($Req) {
    # The relay's half: one UDP port per idle time. A home datagram is answered at once (the flow is two-way, as
    # WireGuard's is), then, after its idle time, three late datagrams go to the address it came from: the home half
    # hears them only if the NATs in between still hold the mapping.
    $probes = @(for ($i = 0; $i -lt @($Req.Ports).Count; $i++) {
            $client = [System.Net.Sockets.UdpClient]::new([System.Net.IPEndPoint]::new([System.Net.IPAddress]::Any, [int]@($Req.Ports)[$i]))
            [pscustomobject]@{ Port = [int]@($Req.Ports)[$i]; Idle = [int]@($Req.Idle)[$i]; Client = $client; From = $null; Due = $null; Sent = $false }
        })
    try {
        $deadline = [DateTime]::UtcNow.AddSeconds([int]$Req.ListenSeconds + (@($Req.Idle) | Measure-Object -Maximum).Maximum)
        while ([DateTime]::UtcNow -lt $deadline -and @($probes | Where-Object { -not $_.Sent }).Count) {
            foreach ($p in $probes) {
                while ($p.Client.Available -gt 0) {
                    $from = [System.Net.IPEndPoint]::new([System.Net.IPAddress]::Any, 0)
                    $null = $p.Client.Receive([ref]$from)
                    if (-not $p.From) { $p.From = $from; $p.Due = [DateTime]::UtcNow.AddSeconds($p.Idle) }
                    $null = $p.Client.Send([byte[]](97, 99, 107), 3, $from)
                }
                if ($p.Due -and -not $p.Sent -and [DateTime]::UtcNow -ge $p.Due) {
                    for ($k = 0; $k -lt 3; $k++) { $null = $p.Client.Send([byte[]](108, 97, 116, 101), 4, $p.From) }
                    $p.Sent = $true
                }
            }
            Start-Sleep -Milliseconds 20
        }
    }
    finally { foreach ($p in $probes) { $p.Client.Dispose() } }
    @{ State = 'Read'; Nat = @($probes | ForEach-Object { @{ Port = $_.Port; Idle = $_.Idle; Heard = [bool]$_.From; Sent = $_.Sent } }) }
}

function Invoke-NatProbeHome($Req) {
    # The home half: a datagram to each of the relay's probe ports (again each second until answered), then silence,
    # then whether the relay's late datagrams arrive.
    $relay = [System.Net.IPAddress]::Parse([string]$Req.RelayAddress)
    $probes = @(for ($i = 0; $i -lt @($Req.Ports).Count; $i++) {
            $client = [System.Net.Sockets.UdpClient]::new(0)
            [pscustomobject]@{ To = [System.Net.IPEndPoint]::new($relay, [int]@($Req.Ports)[$i]); Idle = [int]@($Req.Idle)[$i]; Client = $client; Acked = $null; Hello = [DateTime]::MinValue; Late = $false; Done = $false }
        })
    try {
        $listen = [int]$Req.ListenSeconds
        $deadline = [DateTime]::UtcNow.AddSeconds($listen + (@($Req.Idle) | Measure-Object -Maximum).Maximum + 5)
        while ([DateTime]::UtcNow -lt $deadline -and @($probes | Where-Object { -not $_.Done }).Count) {
            $now = [DateTime]::UtcNow
            foreach ($p in $probes | Where-Object { -not $_.Done }) {
                if (-not $p.Acked -and $now -ge $p.Hello.AddSeconds(1)) { $null = $p.Client.Send([byte[]](104, 105), 2, $p.To); $p.Hello = $now }
                while ($p.Client.Available -gt 0) {
                    $from = [System.Net.IPEndPoint]::new([System.Net.IPAddress]::Any, 0)
                    $data = $p.Client.Receive([ref]$from)
                    if (-not $from.Address.Equals($relay)) { continue }
                    if ($data.Length -eq 3 -and -not $p.Acked) { $p.Acked = $now }
                    elseif ($data.Length -eq 4) { $p.Late = $true; $p.Done = $true }
                }
                # Unanswered for the listen time, or the late datagrams overdue by 5 s: this probe is over.
                if (-not $p.Acked -and $p.Hello -ne [DateTime]::MinValue -and $now -ge $deadline.AddSeconds(-($p.Idle + 5))) { $p.Done = $true }
                if ($p.Acked -and $now -ge $p.Acked.AddSeconds($p.Idle + 5)) { $p.Done = $true }
            }
            Start-Sleep -Milliseconds 20
        }
    }
    finally { foreach ($p in $probes) { $p.Client.Dispose() } }
    @{ State = 'Read'; Nat = @($probes | ForEach-Object { @{ Port = $_.To.Port; Idle = $_.Idle; Acked = [bool]$_.Acked; Late = $_.Late } }) }
}

# ---------------------------------------------------------------- MTU (Measure-TunnelMtu)

function Test-DfPing([string] $Address, [int] $Size) {
    # One ICMP echo of $Size bytes on the wire (IPv4: 28 of headers) that no router may fragment: 'ok'; 'big:<mtu>'
    # when a router or this host said it is too big and for which MTU ('big' without one); 'lost' with no answer in 1 s.
    $r = Invoke-Native ping @('-n', '-M', 'do', '-s', "$($Size - 28)", '-c', '1', '-W', '1', $Address) -AllowFailure
    if ($r.ExitCode -eq 0) { return 'ok' }
    $said = "$($r.Out)$($r.Err)"
    if ($said -match '(?i)mtu ?= ?([0-9]{3,5})') { return "big:$($Matches[1])" }
    if ($said -match '(?i)frag needed|message too long') { return 'big' }
    'lost'
}

function Find-LargestPacket([string] $Address, [int] $Low, [int] $High) {
    # The largest packet (bytes on the wire) that crosses to $Address whole, between $Low and $High; 0 when not even
    # $Low does. The full size first; an MTU a router names is tried next, else bisection. A lost echo is asked once
    # more, so one drop does not read as a smaller MTU.
    $ok = $Low - 1; $fails = $High + 1; $next = $High
    while ($fails - $ok -gt 1) {
        $n = if ($next) { $next } else { [int][Math]::Floor(($ok + $fails) / 2) }
        $next = $null
        $r = Test-DfPing $Address $n
        if ($r -eq 'lost') { $r = Test-DfPing $Address $n }
        if ($r -eq 'ok') { $ok = $n; continue }
        $fails = $n
        if ($r -match '^big:([0-9]+)$' -and [int]$Matches[1] -gt $ok -and [int]$Matches[1] -lt $n) { $next = [int]$Matches[1] }
    }
    if ($ok -lt $Low) { 0 } else { $ok }
}

function Invoke-MtuProbe($Req) {
    $found = @{}
    foreach ($t in @($Req.Targets)) {
        if ("$($t.Address)" -notmatch '^[0-9]{1,3}(\.[0-9]{1,3}){3}$') { throw (New-AgentError 'AddressInvalid' "'$($t.Address)' is not an IPv4 address to probe.") }
        $found[[string]$t.Name] = Find-LargestPacket ([string]$t.Address) ([int]$t.Low) ([int]$t.High)
    }
    $mtu = try { [int]([System.IO.File]::ReadAllText("/sys/class/net/$($Req.InterfaceName)/mtu").Trim()) } catch { 0 }
    @{ State = 'Read'; Mtu = @{ Found = $found; InterfaceMtu = $mtu } }
}

# ---------------------------------------------------------------- driver

# ---------------------------------------------------------------- dispatch

# One row per kind of change, keyed by the request's Kind: a new kind is a row, not a branch.
$script:Changes = @{
    WireGuard = @{
        Facts       = { param($Req) Get-WireGuardFacts $Req }
        Fingerprint = { param($Facts) Get-WireGuardFingerprint $Facts }
        Apply       = { param($Req, $Plan) Invoke-WireGuardApply $Req $Plan }
    }
    Forward   = @{
        Facts       = { param($Req) Get-NftTableFacts $Req }
        Fingerprint = { param($Facts) Get-NftTableFingerprint $Facts }
        Apply       = { param($Req, $Plan) Invoke-NftTableApply $Req $Plan }
    }
    HomeFirewall = @{
        Facts       = { param($Req) Get-NftTableFacts $Req }
        Fingerprint = { param($Facts) Get-NftTableFingerprint $Facts }
        Apply       = { param($Req, $Plan) Invoke-NftTableApply $Req $Plan }
    }
    Apache    = @{
        Facts       = { param($Req) Get-ApacheFacts $Req }
        Fingerprint = { param($Facts) Get-ApacheFingerprint $Facts }
        Apply       = { param($Req, $Plan) Invoke-ApacheApply $Req $Plan }
    }
}
$script:Reads = @{
    Status     = { param($Req) @{ State = 'Read'; Status = (Get-WgStatus $Req); Now = [DateTimeOffset]::UtcNow.ToUnixTimeSeconds() } }
    RelayProbe = { param($Req) @{ State = 'Read'; Probe = (Get-RelayProbe $Req) } }
    HomeProbe  = { param($Req) @{ State = 'Read'; Probe = (Get-HomeProbe $Req) } }
    Profile    = { param($Req) @{ State = 'Read'; Profile = (Get-HostProfile) } }
    Managed    = { param($Req) Get-ManagedFiles $Req }
}

function Get-Change($Req) {
    $change = $script:Changes[[string]$Req.Kind]
    if (-not $change) { throw (New-AgentError 'UnknownRequestKind' "This agent does not know requests of kind '$($Req.Kind)'.") }
    $change
}

function Get-HostProfile {
    # The facts that make a platform: OS, init system, web server layout, package manager, WireGuard flavour.
    $os = @{}
    if ([System.IO.File]::Exists('/etc/os-release')) {
        foreach ($l in [System.IO.File]::ReadAllLines('/etc/os-release')) { if ($l -match '^([A-Z_]+)=(.*)$') { $os[$Matches[1]] = $Matches[2].Trim('"', "'") } }
    }
    $pm = foreach ($c in 'apt-get', 'dnf', 'yum', 'apk', 'zypper', 'pacman') { if ([System.IO.File]::Exists("/usr/bin/$c") -or [System.IO.File]::Exists("/sbin/$c")) { $c; break } }
    @{
        OsId = "$($os['ID'])"; OsLike = "$($os['ID_LIKE'])"; OsVersion = "$($os['VERSION_ID'])"
        Init = if (Test-Systemd) { 'systemd' } elseif ([System.IO.File]::Exists('/sbin/openrc-run')) { 'openrc' } else { 'none' }
        WebServer = if ([System.IO.Directory]::Exists('/etc/apache2')) { 'apache2' } elseif ([System.IO.Directory]::Exists('/etc/httpd')) { 'httpd' } else { 'none' }
        PackageManager = "$pm"
        WireGuard = if ([System.IO.Directory]::Exists('/sys/module/wireguard')) { 'kernel' } elseif ([System.IO.File]::Exists('/usr/bin/wireguard-go')) { 'userspace' } else { 'none' }
    }
}

function Enter-HostLock {
    # One apply at a time per host: an exclusive lock (flock) on a file, waited for up to the timeout.
    $lockDir = if ($script:IsRoot) { '/run/lock' } else { $script:RunDir }
    $deadline = [DateTime]::UtcNow.AddSeconds(120)
    while ($true) {
        try { return [System.IO.File]::Open("$lockDir/hometunnel.lock", 'OpenOrCreate', 'ReadWrite', 'None') }
        catch [System.IO.IOException] {
            if ([DateTime]::UtcNow -gt $deadline) { throw (New-AgentError 'HostBusy' 'Another HomeTunnel apply held the host lock for 120 s.') }
            Start-Sleep -Milliseconds 100
        }
    }
}

function Invoke-Worker($Req) {
    $lock = Enter-HostLock
    try {
        $change = Get-Change $Req
        $facts = & $change.Facts $Req
        $fingerprint = & $change.Fingerprint $facts
        if ($fingerprint -ne $Req.Fingerprint) {
            # Another apply (or a person) changed the host since the module planned: it plans again.
            return @{ State = 'Stale'; Facts = $facts; Fingerprint = $fingerprint; Actions = @() }
        }
        $state = & $change.Apply $Req $Req.Plan
        @{ State = $state; Actions = @($script:Actions) }
    }
    finally { $lock.Dispose() }
}

function Get-PwshCommand {
    $path = [Environment]::ProcessPath
    if ((Split-Path $path -Leaf) -in 'dotnet', 'dotnet.exe') { return @($path, [System.Reflection.Assembly]::GetEntryAssembly().Location) }
    @($path)
}

# ---------------------------------------------------------------- the worker (detached, kept warm)
#
# An apply runs in a detached worker: its own session (setsid, or a systemd unit of its own), stdio on a log file,
# so a dropped SSH connection cannot stop it half-way. Starting pwsh costs most of a change, so a worker serves
# every request for its agent (by the agent's hash) until it has been idle for the request's WorkerIdleSeconds,
# and the facts call of a change starts one while the module plans. The hand-over is files in the run folder
# (root's /run/hometunnel or the user's own, 0700; every file 0600, created new):
#   request-<hash>-<id>.json      written whole (a .part renamed), by the session
#   request-<hash>-<id>.claimed   renamed by the one worker that takes it (rename is atomic: one taker), read, deleted
#   request-<hash>-<id>.busy      empty, while that worker applies it
#   request-<hash>-<id>.result    written whole (a .tmp renamed), by the worker; read and deleted by the session
#   worker-<hash>.lock            held (flock) by the live worker for this agent, so sessions know whether one runs
# Waits are on file events (inotify) with a short re-check, never a bare poll. The host lock (Enter-HostLock) is
# taken per request, so two admins' changes are serialised whatever worker serves them.

function Initialize-RunDir {
    if (-not [System.IO.Directory]::Exists($script:RunDir)) {
        $null = [System.IO.Directory]::CreateDirectory($script:RunDir, [System.IO.UnixFileMode]'UserRead, UserWrite, UserExecute')
    }
    $info = [System.IO.DirectoryInfo]::new($script:RunDir)
    if ($info.LinkTarget) {
        throw (New-AgentError 'RunFolderUnsafe' "HomeTunnel's run folder $($script:RunDir) is a link to $($info.LinkTarget); it must be a folder of its own, mode 0700.")
    }
    # Only this user (root: /run is root's) can have made it; requests hold secrets, so it is closed to others.
    $mode = [System.IO.UnixFileMode]'UserRead, UserWrite, UserExecute'
    if ($info.UnixFileMode -ne $mode) { [System.IO.File]::SetUnixFileMode($script:RunDir, $mode) }
}

function Write-RunFile([string] $Path, [string] $Text, [switch] $KeepOpen) {
    # 0600, created new (never through a file or link that is already there), then renamed into place. -KeepOpen
    # returns the file still open, with its shared lock (flock) held: a request's session holds it while it waits.
    $part = "$Path.part"
    $options = [System.IO.FileStreamOptions]::new(); $options.Mode = 'CreateNew'; $options.Access = 'Write'; $options.Share = 'Read'
    $options.UnixCreateMode = [System.IO.UnixFileMode]'UserRead, UserWrite'
    $fs = [System.IO.FileStream]::new($part, $options)
    try {
        $b = [System.Text.UTF8Encoding]::new($false).GetBytes($Text); $fs.Write($b, 0, $b.Length); $fs.Flush()
        [System.IO.File]::Move($part, $Path, $true)
    }
    catch { $fs.Dispose(); throw }
    if ($KeepOpen) { return $fs }
    $fs.Dispose()
}

function Get-AgentHash([string] $Text) {
    [System.Convert]::ToHexString([System.Security.Cryptography.SHA256]::HashData([System.Text.Encoding]::UTF8.GetBytes($Text))).Substring(0, 16).ToLowerInvariant()
}

function Open-WorkerLock([string] $Hash, [switch] $Shared) {
    # The live worker holds it exclusively; a session asks with a shared lock, which only a live worker refuses.
    $path = [System.IO.Path]::Combine($script:RunDir, "worker-$Hash.lock")
    try { [System.IO.File]::Open($path, 'OpenOrCreate', 'ReadWrite', $(if ($Shared) { 'ReadWrite' } else { 'None' })) }
    catch [System.IO.IOException] { $null }
}

function Enter-WorkerLock([string] $Hash) {
    # A session's shared probe may hold the lock for a moment: a worker tries for a second before it concludes
    # that another worker serves this agent.
    $until = [DateTime]::UtcNow.AddSeconds(1)
    while (-not ($lock = Open-WorkerLock $Hash) -and [DateTime]::UtcNow -lt $until) { Start-Sleep -Milliseconds 20 }
    $lock
}

function Test-WorkerAlive([string] $Hash) {
    $probe = Open-WorkerLock $Hash -Shared
    if ($probe) { $probe.Dispose(); return $false }
    $true
}

function Start-Worker([string] $Hash, [string] $AgentText) {
    $agent = [System.IO.Path]::Combine($script:RunDir, "agent-$Hash.ps1")
    # The copy is checked by its hash before each start: a file cut short by a crash is written again.
    if (-not [System.IO.File]::Exists($agent) -or (Get-AgentHash ([System.IO.File]::ReadAllText($agent))) -ne $Hash) { Write-RunFile $agent $AgentText }
    else { [System.IO.File]::SetLastWriteTimeUtc($agent, [DateTime]::UtcNow) }
    $id = [guid]::NewGuid().ToString('N')
    $log = [System.IO.Path]::Combine($script:RunDir, "worker-$Hash-$id.log")
    $pwsh = @(Get-PwshCommand)
    $argv = @('-f', 'sh', '-c', 'log="$1"; shift; exec "$@" </dev/null >"$log" 2>&1', 'hometunnel', $log) + $pwsh + @('-NoProfile', '-NonInteractive', '-File', $agent, '-Serve', $Hash)
    if ((Test-Systemd) -and (Test-Tool systemd-run)) {
        # On systemd a session's processes die with its scope: run the worker as a unit of its own.
        $argv = @('--quiet', '--collect', '--unit', "hometunnel-$id", 'sh') + $argv[2..($argv.Count - 1)]
        $null = & systemd-run @argv
    }
    else { $null = & setsid @argv }
}

function Wait-RunFile([System.IO.FileSystemWatcher] $Watcher, [int] $Milliseconds) {
    # Wakes on any event in the folder that matches the watcher, or after the time; the caller looks again.
    $null = $Watcher.WaitForChanged([System.IO.WatcherChangeTypes]::All, $Milliseconds)
}

function Invoke-InWorker($Req, [string] $AgentText) {
    Initialize-RunDir
    $hash = Get-AgentHash $AgentText
    $base = [System.IO.Path]::Combine($script:RunDir, "request-$hash-$([guid]::NewGuid().ToString('N'))")
    $watcher = [System.IO.FileSystemWatcher]::new($script:RunDir, "$([System.IO.Path]::GetFileName($base)).*")
    $watcher.EnableRaisingEvents = $true
    $held = $null
    try {
        # Held until the answer: a worker takes only a request whose session still waits for it, so the request of
        # a session cut before any worker took it is never applied later, by surprise (the worker deletes it).
        $held = Write-RunFile "$base.json" ($Req | ConvertTo-Json -Depth 10 -Compress) -KeepOpen
        $deadline = [DateTime]::UtcNow.AddSeconds([int]$Req.TimeoutSeconds)
        $started = [DateTime]::MinValue
        while (-not [System.IO.File]::Exists("$base.result")) {
            if ([DateTime]::UtcNow -gt $deadline) {
                # The worker may still take it: a stopped or timed-out call leaves its files to the 15-minute sweep.
                throw (New-AgentError 'WorkerTimedOut' "The apply did not finish within $($Req.TimeoutSeconds) s; it may still complete. Run the same command again to see where it stands.")
            }
            if (-not (Test-WorkerAlive $hash)) {
                if ([System.IO.File]::Exists("$base.json")) {
                    # Nobody serves this agent (none yet, or the last one ended or was killed): start one; another,
                    # only when the first has had its time to start and still holds no lock.
                    if (([DateTime]::UtcNow - $started).TotalSeconds -gt 20) { Start-Worker $hash $AgentText; $started = [DateTime]::UtcNow }
                }
                elseif (-not [System.IO.File]::Exists("$base.result") -and -not (Test-WorkerAlive $hash) -and -not [System.IO.File]::Exists("$base.json")) {
                    # Taken, and its worker is gone without an answer: it was killed during the apply.
                    Remove-Item "$base.busy" -ErrorAction Ignore
                    throw (New-AgentError 'WorkerStopped' 'The worker that took this apply ended without an answer (it was killed or the host ran out of memory). Run the same command again to see where the host stands.')
                }
            }
            Wait-RunFile $watcher 250
        }
        try { [System.IO.File]::ReadAllText("$base.result") | ConvertFrom-Json -AsHashtable }
        finally { [System.IO.File]::Delete("$base.result") }
    }
    finally {
        $watcher.Dispose()
        if ($held) { $held.Dispose() }
    }
}

function Start-WorkerEarly([string] $AgentText) {
    # The facts call of a change: start the worker now, so its start overlaps the module's planning and prompt.
    Initialize-RunDir
    $hash = Get-AgentHash $AgentText
    if (-not (Test-WorkerAlive $hash)) { Start-Worker $hash $AgentText }
}

function ConvertTo-ErrorResult($err) {
    $ex = $err.Exception
    $id = if ($ex.Data.Contains('HomeTunnelErrorId')) { $ex.Data['HomeTunnelErrorId'] } else { 'HostOperationFailed' }
    @{ State = 'Failed'; ErrorId = $id; Message = $ex.Message; Command = "$($ex.Data['Command'])"; Stderr = "$($ex.Data['Stderr'])"; Actions = @($script:Actions) }
}

function Receive-Request([string] $Hash) {
    # The first request for this agent that this worker wins (a rename: if another worker took it, the next).
    # A request nobody holds any more (its session was cut before a worker took it) is deleted, not applied.
    foreach ($f in [System.IO.Directory]::GetFiles($script:RunDir, "request-$Hash-*.json")) {
        $orphan = try { [System.IO.File]::Open($f, 'Open', 'Read', 'None') } catch { $null }
        if ($orphan) { try { [System.IO.File]::Delete($f) } catch { } finally { $orphan.Dispose() }; continue }
        $claimed = [System.IO.Path]::ChangeExtension($f, '.claimed')
        try { [System.IO.File]::Move($f, $claimed, $false); return $claimed }
        catch [System.IO.IOException] { }
    }
    $null
}

function Invoke-ClaimedRequest([string] $Claimed) {
    $base = $Claimed.Substring(0, $Claimed.Length - '.claimed'.Length)
    Write-RunFile "$base.busy" ''
    $script:Actions = [System.Collections.Generic.List[string]]::new()
    $script:WgError = ''
    $out = try {
        $req = [System.IO.File]::ReadAllText($Claimed) | ConvertFrom-Json -AsHashtable
        [System.IO.File]::Delete($Claimed)
        if ($req.Version -ne 2) { throw (New-AgentError 'UnsupportedAgentVersion' "This worker speaks version 2 of the request format; the request is version '$($req.Version)'.") }
        $script:IdleSeconds = [Math]::Clamp([int]$req.WorkerIdleSeconds, 0, 600)
        Invoke-Worker $req
    }
    catch { ConvertTo-ErrorResult $_ }
    finally { [System.IO.File]::Delete($Claimed) }
    Write-RunFile "$base.result" ($out | ConvertTo-Json -Depth 6 -Compress)
    [System.IO.File]::Delete("$base.busy")
}

function Invoke-Serve([string] $Hash) {
    if ($Hash -notmatch '^[0-9a-f]{16}$') { throw "Not an agent hash: '$Hash'." }
    if (-not ($lock = Enter-WorkerLock $Hash)) { return }   # another worker serves this agent
    $script:IdleSeconds = 30
    $watcher = [System.IO.FileSystemWatcher]::new($script:RunDir, "request-$Hash-*.json")
    $watcher.EnableRaisingEvents = $true
    $last = [DateTime]::UtcNow
    try {
        while ($true) {
            if ($claimed = Receive-Request $Hash) { Invoke-ClaimedRequest $claimed; $last = [DateTime]::UtcNow; continue }
            if (([DateTime]::UtcNow - $last).TotalSeconds -ge $script:IdleSeconds) {
                # Going: the lock first, then one more look, so a request written meanwhile is served here or its
                # session (which now finds no worker) starts another.
                $lock.Dispose(); $lock = $null
                if (-not [System.IO.Directory]::GetFiles($script:RunDir, "request-$Hash-*.json")) { return }
                if (-not ($lock = Enter-WorkerLock $Hash)) { return }
                continue
            }
            Wait-RunFile $watcher 1000
        }
    }
    finally {
        $watcher.Dispose()
        if ($lock) { $lock.Dispose() }
    }
}

# Worker phase: started detached, it serves this agent's requests until idle.
if ($Serve) {
    $script:RunDir = [System.IO.Path]::GetDirectoryName($PSCommandPath)
    Invoke-Serve $Serve
    return
}

function Clear-StaleRunFile {
    # A session cut mid-apply leaves its worker's request, result, log and agent copy behind (0600, in a
    # 0700 folder); nobody is left to collect them, so every later call sweeps what is over 15 min old.
    if (-not [System.IO.Directory]::Exists($script:RunDir)) { return }
    $cutoff = [DateTime]::UtcNow.AddMinutes(-15)
    foreach ($f in [System.IO.Directory]::GetFiles($script:RunDir)) {
        # A worker's lock stays: deleting it under a live worker would let a second one start beside it.
        if ($f.EndsWith('.lock')) { continue }
        if ([System.IO.File]::GetLastWriteTimeUtc($f) -lt $cutoff) { try { [System.IO.File]::Delete($f) } catch { } }
    }
}

# Session phase.
try {
    if ($Request.Version -ne 2) {
        # The module sends its own agent each call, so this means a request made for another agent.
        throw (New-AgentError 'UnsupportedAgentVersion' "This agent speaks version 2 of the request format; the request is version '$($Request.Version)'.")
    }
    Clear-StaleRunFile
    if (-not $script:IsRoot) {
        # No sudo at all is the same answer as a sudo that refuses.
        $probe = try { Invoke-Native true @() -AllowFailure } catch { [pscustomobject]@{ ExitCode = 127; Err = "sudo: $($_.Exception.GetBaseException().Message)" } }
        if ($probe.ExitCode -ne 0) {
            throw (New-AgentError 'NotRootNorSudo' "HomeTunnel needs root on this host, or password-less sudo for its commands (see docs). $(whoami) has neither." 'sudo -n true' $probe.Err)
        }
    }
    $read = $script:Reads[[string]$Request.Kind]
    if ($read) { return (& $read $Request) }
    # Live steps: a key rotation's halves change only the running interface (the files follow once both halves
    # succeeded), in the session, bounded by the request's own deadline.
    if ($Request.Kind -eq 'RotateRelay') { return (Invoke-RelayRotation $Request) }
    if ($Request.Kind -eq 'RotateHome') { return (Invoke-HomeRotation $Request) }
    if ($Request.Kind -eq 'NatProbeRelay') { return (Invoke-NatProbeRelay $Request) }
    if ($Request.Kind -eq 'NatProbeHome') { return (Invoke-NatProbeHome $Request) }
    if ($Request.Kind -eq 'MtuProbe') { return (Invoke-MtuProbe $Request) }
    $change = Get-Change $Request
    if ($Request.Kind -eq 'Apache' -and -not [System.IO.Directory]::Exists('/etc/apache2')) {
        $p = Get-HostProfile
        throw (New-AgentError 'WebServerNotSupported' "This host has no Debian-style Apache (/etc/apache2): its profile is $($p.OsId) $($p.OsVersion), web server '$($p.WebServer)'. Install apache2, or see docs for the supported platforms.")
    }
    if ($null -eq $Request['Plan']) {
        if ($Request['Prepare']) { Start-WorkerEarly $MyInvocation.MyCommand.ScriptBlock.ToString() }
        $facts = & $change.Facts $Request
        return @{ State = 'Facts'; Facts = $facts; Fingerprint = (& $change.Fingerprint $facts) }
    }
    Invoke-InWorker $Request $MyInvocation.MyCommand.ScriptBlock.ToString()
}
catch { ConvertTo-ErrorResult $_ }
