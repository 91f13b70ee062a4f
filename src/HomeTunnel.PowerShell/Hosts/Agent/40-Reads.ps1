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
    foreach ($m in [System.Linq.Enumerable]::Take([System.Text.RegularExpressions.Match[]]@([regex]::Matches($Config, '(?m)^[ \t]*Endpoint[ \t]*=[ \t]*([A-Za-z0-9.-]*[A-Za-z][A-Za-z0-9.-]*):[0-9]{1,5}[ \t]*$')), 8)) {
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

function Test-TcpConnect([object[]] $Targets, [int] $TimeoutMilliseconds) {
    # Whether each (Host, Port) answers a TCP connection from here, all at once under one deadline: per target, empty
    # when it connected, why not otherwise. Nothing is sent on a connection; each is closed at once.
    $tries = foreach ($t in $Targets) {
        $client = [System.Net.Sockets.TcpClient]::new()
        $task = try { $client.ConnectAsync([string]$t.Host, [int]$t.Port) } catch { [System.Threading.Tasks.Task]::FromException($_.Exception.GetBaseException()) }
        @{ Target = $t; Client = $client; Task = $task }
    }
    $deadline = [DateTime]::UtcNow.AddMilliseconds($TimeoutMilliseconds)
    foreach ($try in @($tries)) {
        $left = [int][Math]::Max(0, ($deadline - [DateTime]::UtcNow).TotalMilliseconds)
        $try.Error = try { if ($try.Task.Wait($left)) { '' } else { "no answer within $($TimeoutMilliseconds) ms" } } catch { $_.Exception.GetBaseException().Message }
        $try.Client.Dispose()
    }
    @($tries)
}

function Get-RelayProbe($Req) {
    # What the relay says of itself for a check, raw: is Apache running, its own listing of its VirtualHosts
    # (apache2ctl -S; the module reads it with its own parser), the tunnel's public state, and the relay's half of
    # each forward. The site files and the backends' answers are asked for after (SiteFiles, ConnectProbe).
    $running = Test-ApacheRunning
    $s = Invoke-Native apache2ctl @('-S') -AllowFailure
    $listing = ($s.Out + $s.Err).Trim()
    $wg = $null; $wgError = $null
    try { $wg = Get-WgStatus $Req } catch { $wgError = $_.Exception.Message }
    # The relay's half of a forward check: which forwards HomeTunnel's table holds, and whether each TCP home port answers from here.
    $forwards = $null
    if (@($Req.Forwards).Count -gt 0) {
        $live = [string[]]@((Get-NftTableKeys 'ip' 'hometunnel').Items)
        $answers = @{}
        $tcp = @($Req.Forwards | Where-Object { $_.Tcp } | ForEach-Object { @{ Key = $_.Key; Host = $_.Address; Port = $_.Port } })
        foreach ($f in $Req.Forwards) { $answers[$f.Key] = $null }
        foreach ($try in (Test-TcpConnect $tcp ([int]$Req.ConnectTimeoutMilliseconds))) { $answers[$try.Target.Key] = $try.Error }
        $forwards = @{ Live = $live; Answers = $answers }
    }
    @{
        Forwards = $forwards
        ApacheRunning = $running; ApacheListingOk = $s.ExitCode -eq 0; ApacheListing = $listing
        WireGuard = $wg; WireGuardError = $wgError; Now = [DateTimeOffset]::UtcNow.ToUnixTimeSeconds()
    }
}

function Get-SiteFiles($Req) {
    # The texts of the site files the relay's own listing named, for the module's Apache reader. The paths come from
    # Apache's listing by way of the module, so the relay holds its own line: it hands back only a regular file (links
    # followed, as Apache follows sites-enabled's) of at most 4 MiB with a <VirtualHost> section in it. Any other file
    # of the host (a key, /etc/shadow) stays, with the reason.
    $files = foreach ($path in @($Req.Files)) {
        $text = $null; $refused = $null
        if (-not $path.StartsWith('/') -or $path -match '[\x00-\x1f\x7f]') { $refused = 'not an absolute path' }
        else {
            $kind = Get-HostFileKind $path -FollowLink
            if ($null -eq $kind) { $refused = 'no such file' }
            elseif ($kind.Kind -ne 'File') { $refused = "not a regular file ($($kind.Kind))" }
            elseif ($kind.Size -gt $script:MaxFileBytes) { $refused = 'over 4 MiB' }
            else {
                $text = Read-HostFileText $path
                if ($null -eq $text) { $refused = 'not readable' }
                elseif ($text -notmatch '(?im)^[ \t]*<VirtualHost[ \t>]') { $text = $null; $refused = 'no <VirtualHost> section in it' }
            }
        }
        @{ Path = $path; Text = $text; Refused = $refused }
    }
    @{ State = 'Read'; Files = @($files) }
}

function Get-ConnectProbe($Req) {
    # Whether each backend a checked site names answers from the relay (the module read them from the sites' files).
    $answers = foreach ($try in (Test-TcpConnect @($Req.Targets) ([int]$Req.ConnectTimeoutMilliseconds))) {
        @{ Host = [string]$try.Target.Host; Port = [int]$try.Target.Port; Error = $try.Error }
    }
    @{ State = 'Read'; Answers = @($answers) }
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
    $files = foreach ($n in (Get-OrdinalSorted $names)) {
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

