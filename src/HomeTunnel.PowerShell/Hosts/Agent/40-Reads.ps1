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
    # The shape of Hosts/Contract/TunnelStatus.cs's WireGuardStatus.
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
        $list = [System.Collections.Generic.List[string]]::new()
        try { if ($task.Wait(3000)) { foreach ($a in $task.Result) { $list.Add($a.ToString()) } } } catch { }
        $resolved[$name] = $list
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
        $vhosts = [object[]]@(if ($served.ContainsKey($name.ToLowerInvariant())) { $served[$name.ToLowerInvariant()] })
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
        $live = [string[]]@((Get-NftTableKeys 'ip' 'hometunnel').Items)
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
    $firewall = @{ Loaded = $table.Loaded; Openings = [string[]]@($table.Items) }
    @{ WireGuard = $wg; WireGuardError = $wgError; Firewall = $firewall; Now = [DateTimeOffset]::UtcNow.ToUnixTimeSeconds() }
}

function Get-ManagedFiles($Req) {
    # The files HomeTunnel wrote in one folder (its marker on the first line), for Get-ApacheProxySite,
    # Get-WireGuardConfig and Unpublish-HomeService (the relay's forwards). A wg-quick file leaves the host without
    # its private and preshared keys.
    if ([string]::IsNullOrEmpty($Req.Marker)) { throw (New-AgentError 'RequestInvalid' 'The request names no ownership marker; nothing is listed.') }
    $dir, $like = switch ($Req.What) { 'Sites' { '/etc/apache2/sites-available', '*.conf' } 'Forwards' { '/etc/hometunnel/forwards.d', '*.nft' } default { '/etc/wireguard', '*.conf' } }
    $names = try { @([System.IO.Directory]::GetFiles($dir, $like) | ForEach-Object { [System.IO.Path]::GetFileName($_) }) }
    catch [System.UnauthorizedAccessException] { @((Invoke-Native sh @('-c', "ls -1 $dir") -AllowFailure).Out -split "`n" | Where-Object { $_ -like $like }) }
    catch { @() }
    $files = foreach ($n in $names | Sort-Object) {
        $path = "$dir/$n"
        $text = Read-HostFile $path
        if ($null -eq $text -or -not $text.StartsWith([string]$Req.Marker, [System.StringComparison]::Ordinal)) { continue }
        if ($Req.What -eq 'Sites') {
            @{ Path = $path; Text = $text; Enabled = [System.IO.File]::Exists("/etc/apache2/sites-enabled/$n"); Up = $null }
        }
        elseif ($Req.What -eq 'Forwards') { @{ Path = $path; Text = $text; Enabled = $null; Up = $null } }
        else {
            $clean = ($text -split "`n" | Where-Object { $_ -notmatch '(?i)^\s*(private|preshared)[\s_-]*key\s*=' }) -join "`n"
            @{ Path = $path; Text = $clean; Enabled = $null; Up = [System.IO.Directory]::Exists("/sys/class/net/$($n -replace '\.conf$', '')") }
        }
    }
    # The shape of Hosts/Contract/ManagedFiles.cs.
    @{ State = 'Read'; Files = @($files) }
}

