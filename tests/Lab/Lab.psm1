# The HomeTunnel lab: a real double-NAT network on one Linux machine, built from network namespaces.
#
#   runner (this process, root namespace) ──┐ 203.0.113.b+14
#                                           │
#   client b+2 ── inet (bridge, dnsmasq + pebble at b+4) ── relay b+1 (sshd, Apache, wg0 192.168.4.1)
#                                           │
#                                  carrier b+3 ── NAT ── 100.64.0.0/24 ── room ── NAT ── 10.77.0.0/24 ── home 10.77.0.2
#                                                                                   (sshd, service :3000, wg0 192.168.4.2)
#   runner ── 198.51.100.4i+1/30 ── home (a management cable, as the user's own LAN would be)
#
# b = 16 × Index, so labs with different prefixes and indexes run side by side. Every host is a network
# namespace plus a private mount namespace held open by an anchor process, so /etc/wireguard,
# /run/wireguard, /etc/apache2 and Apache's run and log folders are its own. Stop-Lab kills every process
# in the lab's namespaces by PID and deletes the namespaces (and with them every veth).
Set-StrictMode -Version Latest

$script:LabBase = '/tmp/hometunnel-lab'
$script:RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$script:HostNames = 'inet', 'client', 'relay', 'carrier', 'room', 'home'
$script:SiteName = 'site.example.test'

function Invoke-Checked {
    # Runs a native command; throws with its output when it fails. No param block, so that arguments
    # like '-a' reach the command instead of binding to a parameter of this function.
    $command, $arguments = $args
    $output = & $command @arguments 2>&1
    if ($LASTEXITCODE -ne 0) {
        throw "'$command $($arguments -join ' ')' failed ($LASTEXITCODE): $($output | Out-String)"
    }
    $output
}

function Get-LabPwsh {
    <# A pwsh that sshd can start as a subsystem (the local tool's 'dotnet pwsh' is not an executable path), compiled
       ahead of time (ReadyToRun) as PowerShell's release packages are, so that a lab host starts pwsh as a real one
       does (build-lab-pwsh.sh). Built once per checkout; a pwsh from before that step is built again. #>
    $dir = Join-Path $script:RepoRoot 'out/lab-pwsh'
    $pwsh = Join-Path $dir 'pwsh'
    if (-not (Test-Path (Join-Path $dir '.readytorun'))) {
        $arch = ([System.Runtime.InteropServices.RuntimeInformation]::OSArchitecture).ToString().ToLowerInvariant()
        # The same crossgen2 as the module's build (the module's project brings it).
        $tool = & (Join-Path $script:RepoRoot 'tools/Get-Crossgen2.ps1')
        New-Item -ItemType Directory -Force (Split-Path $dir) | Out-Null
        # One builder at a time (the bench and a test run may both ask); a second waits and then finds it built.
        Invoke-Checked flock (Join-Path (Split-Path $dir) '.lab-pwsh.lock') bash -c "test -f '$dir/.readytorun' || bash '$PSScriptRoot/build-lab-pwsh.sh' '$dir' '$tool' '$arch'" | Out-Null
    }
    $pwsh
}

function Get-LabAddressPlan([int] $Index) {
    $b = 16 * $Index
    [ordered]@{
        Relay       = "203.0.113.$($b + 1)"
        Client      = "203.0.113.$($b + 2)"
        Carrier     = "203.0.113.$($b + 3)"
        Dns         = "203.0.113.$($b + 4)"
        Bind        = "203.0.113.$($b + 6)"
        Relay2      = "203.0.113.$($b + 7)"
        Runner      = "203.0.113.$($b + 14)"
        InternetNet = "203.0.113.$b/28"
        CarrierLan  = '100.64.0.1'
        RoomWan     = '100.64.0.2'
        RoomLan     = '10.77.0.1'
        HomeLan     = '10.77.0.2'
        RunnerMgmt  = "198.51.100.$(4 * $Index + 1)"
        HomeMgmt    = "198.51.100.$(4 * $Index + 2)"
        RelayTunnel = '192.168.4.1'
        HomeTunnel  = '192.168.4.2'
    }
}

function Invoke-LabHost {
    <#
    .SYNOPSIS
        Runs a command inside a lab host (its network and mount namespaces). Sets $LASTEXITCODE.
    .EXAMPLE
        Invoke-LabHost $lab relay wg show
    #>
    # No param block: every argument after the host name belongs to the command, '-w' included.
    $lab, $hostName, $command = $args
    $h = $lab.Hosts[$hostName]
    if ($h['Container']) { & nsenter -t $h.AnchorPid -a -- @command }
    else { & nsenter -t $h.AnchorPid -n -m -- @command }
}

function Start-LabProcess {
    # Starts a long-running process inside a host and records its PID in the lab.
    param($Lab, [string] $HostName, [string] $Name, [string[]] $Command, [hashtable] $Environment = @{})
    $log = Join-Path $Lab.Directory "$HostName-$Name.log"
    $saved = @{}
    foreach ($k in $Environment.Keys) { $saved[$k] = [Environment]::GetEnvironmentVariable($k); [Environment]::SetEnvironmentVariable($k, $Environment[$k]) }
    try {
        $argList = @('-t', $Lab.Hosts[$HostName].AnchorPid, '-n', '-m', '--') + $Command
        $process = Start-Process -FilePath nsenter -ArgumentList $argList -PassThru -RedirectStandardOutput $log -RedirectStandardError "$log.err"
    }
    finally {
        foreach ($k in $saved.Keys) { [Environment]::SetEnvironmentVariable($k, $saved[$k]) }
    }
    $Lab.Pids.Add($process.Id)
    Add-Content -LiteralPath (Join-Path $Lab.Directory 'pids') -Value $process.Id
    $process
}

function Wait-LabCondition([scriptblock] $Condition, [string] $What, [double] $TimeoutSeconds = 20) {
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    while ([DateTime]::UtcNow -lt $deadline) {
        if (& $Condition) { return }
        Start-Sleep -Milliseconds 100
    }
    throw "Lab: timed out after $TimeoutSeconds s waiting for $What."
}

function Test-LabTcp([string] $Address, [int] $Port, [int] $TimeoutMilliseconds = 500) {
    # From the runner (root namespace) to an address inside the lab.
    $client = [System.Net.Sockets.TcpClient]::new()
    try { return $client.ConnectAsync($Address, $Port).Wait($TimeoutMilliseconds) -and $client.Connected }
    catch { return $false }
    finally { $client.Dispose() }
}

function New-LabHost($Lab, [string] $HostName) {
    $ns = "$($Lab.Prefix)-$HostName"
    $dir = New-Item -ItemType Directory -Force (Join-Path $Lab.Directory $HostName)
    Invoke-Checked ip netns add $ns | Out-Null
    # ip netns exec and unshare both exec (no fork), so the PID is that of the sleep holding the namespaces.
    $anchor = Start-Process -FilePath ip -ArgumentList 'netns', 'exec', $ns, 'unshare', '-m', '--propagation', 'private', 'sleep', 'infinity' -PassThru
    $Lab.Pids.Add($anchor.Id)
    Add-Content -LiteralPath (Join-Path $Lab.Directory 'pids') -Value $anchor.Id
    $Lab.Hosts[$HostName] = @{ Namespace = $ns; AnchorPid = $anchor.Id; Directory = $dir.FullName }
    Wait-LabCondition { (Get-Item "/proc/$($anchor.Id)/ns/mnt" -ErrorAction Ignore) -and (readlink "/proc/$($anchor.Id)/ns/mnt") -ne (readlink /proc/self/ns/mnt) } "the anchor of $HostName" 5

    # This host's own copies of the folders WireGuard, Apache and the resolver use.
    $mounts = [ordered]@{
        '/etc/wireguard'    = 'etc-wireguard'
        '/etc/hometunnel'   = 'etc-hometunnel'
        '/run/wireguard'    = 'run-wireguard'
        # The agent's own run folder and host lock: each host's, so labs side by side do not share one lock.
        '/run/hometunnel'   = 'run-hometunnel'
        '/run/lock'         = 'run-lock'
        '/etc/apache2'      = 'etc-apache2'
        '/run/apache2'      = 'run-apache2'
        '/run/lock/apache2' = 'lock-apache2'
        '/var/log/apache2'  = 'log-apache2'
        '/var/lib/apache2'  = 'lib-apache2'
    }
    foreach ($target in $mounts.Keys) {
        $source = Join-Path $dir $mounts[$target]
        if ($target -eq '/etc/apache2') { Invoke-Checked cp -a /etc/apache2/. "$source/" | Out-Null }
        elseif ($target -eq '/var/lib/apache2') { Invoke-Checked cp -a /var/lib/apache2/. "$source/" | Out-Null }
        else { New-Item -ItemType Directory -Force $source | Out-Null }
        # Made inside the host's view: a folder under one bound before it (/run/lock/apache2) is in that one's source.
        Invoke-Checked nsenter -t $anchor.Id -m -- mkdir -p $target | Out-Null
        Invoke-Checked nsenter -t $anchor.Id -m -- mount --bind $source $target | Out-Null
    }
    Invoke-Checked chmod 700 (Join-Path $dir 'etc-wireguard') | Out-Null
    $resolv = Join-Path $dir 'resolv.conf'
    Set-Content -LiteralPath $resolv -Value "nameserver $($Lab.Addresses.Dns)"
    Invoke-Checked nsenter -t $anchor.Id -m -- mount --bind $resolv /etc/resolv.conf | Out-Null
    Invoke-LabHost $Lab $HostName ip link set lo up
}

function Connect-LabLink($Lab, [string] $HostA, [string] $NameA, [string] $HostB, [string] $NameB) {
    # A veth pair between two hosts ('' = the runner's root namespace). Root-side names carry the prefix.
    $tmpA = "$($Lab.Prefix)t$($Lab.LinkCount)a"; $tmpB = "$($Lab.Prefix)t$($Lab.LinkCount)b"
    $Lab.LinkCount++
    Invoke-Checked ip link add $tmpA type veth peer name $tmpB | Out-Null
    foreach ($side in @(@($HostA, $tmpA, $NameA), @($HostB, $tmpB, $NameB))) {
        $h, $tmp, $name = $side
        if ($h) {
            Invoke-Checked ip link set $tmp netns $Lab.Hosts[$h].Namespace | Out-Null
            Invoke-Checked ip -n $Lab.Hosts[$h].Namespace link set $tmp name $name | Out-Null
            Invoke-Checked ip -n $Lab.Hosts[$h].Namespace link set $name up | Out-Null
        }
        else {
            Invoke-Checked ip link set $tmp name $name | Out-Null
            Invoke-Checked ip link set $name up | Out-Null
        }
    }
}

function Add-LabAddress($Lab, [string] $HostName, [string] $Interface, [string] $Cidr) {
    Invoke-Checked ip -n $Lab.Hosts[$HostName].Namespace addr add $Cidr dev $Interface | Out-Null
}

function Add-LabRoute($Lab, [string] $HostName, [string] $Destination, [string] $Via) {
    Invoke-Checked ip -n $Lab.Hosts[$HostName].Namespace route add $Destination via $Via | Out-Null
}

function Set-LabNat($Lab, [string] $HostName, [string] $Wan, [string] $Lan) {
    # A home router: masquerade the LAN behind the WAN address, forward nothing unsolicited inward.
    $rules = @"
table ip nat {
    chain postrouting { type nat hook postrouting priority srcnat; oifname "$Wan" masquerade; }
}
table inet filter {
    chain forward {
        type filter hook forward priority filter; policy drop;
        ct state established,related accept
        iifname "$Lan" oifname "$Wan" accept
    }
}
"@
    $file = Join-Path $Lab.Hosts[$HostName].Directory 'nat.nft'
    Set-Content -LiteralPath $file -Value $rules
    Invoke-Checked ip netns exec $Lab.Hosts[$HostName].Namespace sysctl -qw net.ipv4.ip_forward=1 | Out-Null
    Invoke-Checked ip netns exec $Lab.Hosts[$HostName].Namespace nft -f $file | Out-Null
}

function New-LabSshIdentity($Lab) {
    $key = Join-Path $Lab.Directory 'id_ed25519'
    Invoke-Checked ssh-keygen -q -t ed25519 -N '' -C 'hometunnel-lab' -f $key | Out-Null
    Copy-Item "$key.pub" (Join-Path $Lab.Directory 'authorized_keys')
    $Lab.KeyFile = $key
    $Lab.KnownHostsFile = Join-Path $Lab.Directory 'known_hosts'
    Set-Content -LiteralPath $Lab.KnownHostsFile -Value @()
}

function Start-LabSshd($Lab, [string] $HostName, [string[]] $Addresses) {
    $dir = $Lab.Hosts[$HostName].Directory
    $hostKey = Join-Path $dir 'ssh_host_ed25519_key'
    Invoke-Checked ssh-keygen -q -t ed25519 -N '' -f $hostKey | Out-Null
    $public = (Get-Content "$hostKey.pub").Split(' ')[0..1] -join ' '
    Add-Content -LiteralPath $Lab.KnownHostsFile -Value ($Addresses | ForEach-Object { "$_ $public" })
    $config = Join-Path $dir 'sshd_config'
    Set-Content -LiteralPath $config -Value @(
        ($Addresses | ForEach-Object { "ListenAddress $_" })
        "HostKey $hostKey"
        "PidFile $dir/sshd.pid"
        "AuthorizedKeysFile $($Lab.Directory)/authorized_keys"
        'PermitRootLogin prohibit-password'
        'PasswordAuthentication no'
        'KbdInteractiveAuthentication no'
        'UsePAM no'
        'StrictModes no'
        'PrintMotd no'
        "Subsystem powershell $($Lab.PwshPath) -sshs -NoLogo -NoProfile"
    )
    New-Item -ItemType Directory -Force /run/sshd | Out-Null
    Start-LabProcess $Lab $HostName 'sshd' @('/usr/sbin/sshd', '-D', '-e', '-f', $config) | Out-Null
}

function Start-LabApache($Lab, [string] $HostName = 'relay') {
    $etc = Join-Path $Lab.Hosts[$HostName].Directory 'etc-apache2'
    Set-Content -LiteralPath (Join-Path $etc 'conf-available/hometunnel-lab.conf') -Value @(
        "ServerName $HostName.example.test"
        '<IfModule md_module>'
        "    MDCertificateAuthority https://$($Lab.Addresses.Dns):14000/dir"
        "    MDCACertificateFile $($Lab.Directory)/acme/ca.pem"
        '    MDCertificateAgreement accepted'
        '    MDContactEmail admin@example.test'
        '</IfModule>'
    )
    $env:APACHE_CONFDIR = $null
    Invoke-LabHost $Lab $HostName a2enconf -q hometunnel-lab | Out-Null
    $out = Invoke-LabHost $Lab $HostName apache2ctl start 2>&1
    if ($LASTEXITCODE -ne 0) { throw "Lab: Apache did not start on $($HostName): $out" }
    $pidFile = Join-Path $Lab.Hosts[$HostName].Directory 'run-apache2/apache2.pid'
    Wait-LabCondition { Test-Path $pidFile } 'Apache''s pid file' 10
    $Lab.Pids.Add([int](Get-Content $pidFile))
}

function Start-LabDns($Lab) {
    $Lab.DnsHostsFile = Join-Path $Lab.Directory 'dns-hosts'
    Set-LabDnsRecord $Lab -Records ([ordered]@{
            $script:SiteName      = $Lab.Addresses.Relay
            'relay.example.test'  = $Lab.Addresses.Relay
            'other.example.test'  = $Lab.Addresses.Relay
            'acme.example.test'   = $Lab.Addresses.Dns
        }) -NoReload
    # The zones dnsmasq hands to another server (Start-LabBind's); re-read on SIGHUP. No cache: a record a test
    # changes is what the next query sees.
    $Lab.DnsServersFile = Join-Path $Lab.Directory 'dns-servers'
    Set-Content -LiteralPath $Lab.DnsServersFile -Value @()
    Start-LabProcess $Lab inet 'dnsmasq' @(
        'dnsmasq', '--keep-in-foreground', '--conf-file=/dev/null', '--no-resolv', '--no-hosts', '--bind-interfaces',
        "--listen-address=$($Lab.Addresses.Dns)", "--addn-hosts=$($Lab.DnsHostsFile)", "--servers-file=$($Lab.DnsServersFile)",
        '--cache-size=0', '--user=root', '--log-facility=-'
    ) | Out-Null
}

function Start-LabBind {
    <#
    .SYNOPSIS
        An authoritative DNS server for ha.example.test (bind9) on the lab's internet, at its own address, that takes
        RFC 2136 updates signed with the TSIG key 'hometunnel' (and refuses the key 'stranger'); the lab's dnsmasq
        hands the zone to it, so visitors and pebble resolve its names. The zone starts with names that are not
        HomeTunnel's (www, mail, the MX, a TXT) for tests to show they stay. Returns the keys and the zone.
    #>
    param([Parameter(Mandatory)] $Lab, [string] $Zone = 'ha.example.test')
    $dir = (New-Item -ItemType Directory -Force (Join-Path $Lab.Directory 'bind')).FullName
    $ip = $Lab.Addresses.Bind
    Add-LabAddress $Lab inet br0 "$ip/28"
    $secret = { [Convert]::ToBase64String([Security.Cryptography.RandomNumberGenerator]::GetBytes(32)) }
    $keys = [ordered]@{ hometunnel = & $secret; stranger = & $secret }
    Set-Content -LiteralPath "$dir/zone.db" -Value @(
        '$TTL 300'
        "@ IN SOA ns.$Zone. hostmaster.$Zone. 1 3600 600 86400 5"
        "@ IN NS ns.$Zone."
        "ns IN A $ip"
        "@ IN MX 10 mail.$Zone."
        'mail IN A 192.0.2.25'
        'www IN A 192.0.2.80'
        'note IN TXT "the owner''s own record"'
    )
    Set-Content -LiteralPath "$dir/named.conf" -Value @(
        'options {'
        "    directory `"$dir`"; pid-file `"$dir/named.pid`"; session-keyfile `"$dir/session.key`";"
        "    listen-on port 53 { $ip; }; listen-on-v6 { none; };"
        '    recursion no; allow-query { any; }; dnssec-validation no; notify no;'
        '};'
        'controls { };'
        ($keys.Keys | ForEach-Object { "key `"$_`" { algorithm hmac-sha256; secret `"$($keys[$_])`"; };" })
        "zone `"$Zone`" { type primary; file `"$dir/zone.db`"; allow-update { key `"hometunnel`"; }; };"
    )
    Invoke-Checked chmod 600 "$dir/named.conf" | Out-Null
    Start-LabProcess $Lab inet 'named' @('/usr/sbin/named', '-g', '-4', '-c', "$dir/named.conf") | Out-Null
    Set-Content -LiteralPath $Lab.DnsServersFile -Value "server=/$Zone/$ip"
    foreach ($p in @(Get-LabHostProcessId $Lab inet '^dnsmasq ')) { kill -HUP $p }
    Wait-LabCondition { (Invoke-LabHost $Lab inet dig +short +time=1 +tries=1 "@$ip" $Zone SOA) -match 'hostmaster' } 'bind to answer for its zone' 20
    [pscustomobject]@{ Zone = $Zone; Server = $ip; Directory = $dir; KeyName = 'hometunnel'; Secret = $keys.hometunnel; StrangerSecret = $keys.stranger }
}

function Set-LabDnsRecord {
    <# Replaces the lab DNS's A records (name → address) and has dnsmasq reload them. #>
    param([Parameter(Mandatory)] $Lab, [Parameter(Mandatory)] [System.Collections.IDictionary] $Records, [switch] $NoReload)
    $Lab.DnsRecords = $Records
    Set-Content -LiteralPath $Lab.DnsHostsFile -Value ($Records.Keys | ForEach-Object { "$($Records[$_]) $_" })
    if (-not $NoReload) {
        # This lab's dnsmasq only (pgrep in a lab host sees every lab's: the PID namespace is shared).
        $dnsmasq = @(Get-LabHostProcessId $Lab inet '^dnsmasq ')
        foreach ($p in $dnsmasq) { kill -HUP $p }
        Start-Sleep -Milliseconds 200
    }
}

function Start-LabAcme($Lab) {
    # pebble, a local ACME server, with a throwaway CA for its own listener.
    $dir = New-Item -ItemType Directory -Force (Join-Path $Lab.Directory 'acme')
    $ip = $Lab.Addresses.Dns
    Invoke-Checked openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '/CN=HomeTunnel lab CA' -keyout "$dir/ca.key" -out "$dir/ca.pem" | Out-Null
    Set-Content "$dir/leaf.ext" "subjectAltName=IP:$ip,DNS:acme.example.test`nbasicConstraints=CA:FALSE`nkeyUsage=digitalSignature,keyEncipherment`nextendedKeyUsage=serverAuth"
    Invoke-Checked openssl req -newkey rsa:2048 -nodes -subj '/CN=acme.example.test' -keyout "$dir/pebble.key" -out "$dir/pebble.csr" | Out-Null
    Invoke-Checked openssl x509 -req -in "$dir/pebble.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -days 2 -extfile "$dir/leaf.ext" -out "$dir/pebble.pem" | Out-Null
    @{
        pebble = @{
            listenAddress           = "${ip}:14000"
            managementListenAddress = "${ip}:15000"
            certificate             = "$dir/pebble.pem"
            privateKey              = "$dir/pebble.key"
            httpPort                = 80
            tlsPort                 = 443
            ocspResponderURL        = ''
            externalAccountBindingRequired = $false
        }
    } | ConvertTo-Json -Depth 4 | Set-Content "$dir/pebble.json"
    Start-LabProcess $Lab inet 'pebble' @('pebble', '-config', "$dir/pebble.json", '-dnsserver', "${ip}:53") -Environment @{
        PEBBLE_VA_NOSLEEP = '1'; PEBBLE_WFE_NONCEREJECT = '0'
    } | Out-Null
    $Lab.AcmeCaFile = "$dir/ca.pem"
}

function Start-Lab {
    <#
    .SYNOPSIS
        Builds the double-NAT lab and returns its description (hosts, addresses, SSH key, known_hosts).
    .PARAMETER Prefix
        Names every namespace and root-side link, so labs with different prefixes do not collide.
    .PARAMETER Index
        0 to 15: picks the lab's addresses on the runner's side (its /28 of 203.0.113.0/24).
    #>
    param([ValidatePattern('^[a-z][a-z0-9]{1,5}$')] [string] $Prefix = 'htl', [ValidateRange(0, 15)] [int] $Index = 0, [switch] $Systemd,
        # A second VPS on the internet (relay2, at Addresses.Relay2) with its own sshd and Apache: two relays for one service.
        [switch] $SecondRelay)
    if (-not ($IsLinux -and (id -u) -eq '0')) { throw 'The lab needs root on Linux (network namespaces).' }
    Stop-Lab -Prefix $Prefix   # whatever a crashed earlier run left under this prefix

    $dir = Join-Path $script:LabBase $Prefix
    New-Item -ItemType Directory -Force $dir | Out-Null
    $lab = [pscustomobject]@{
        Prefix         = $Prefix
        Index          = $Index
        Directory      = $dir
        Addresses      = Get-LabAddressPlan $Index
        Hosts          = @{}
        Pids           = [System.Collections.Generic.List[int]]::new()
        LinkCount      = 0
        KeyFile        = $null
        KnownHostsFile = $null
        PwshPath       = Get-LabPwsh
        DnsHostsFile   = $null
        DnsServersFile = $null
        DnsRecords     = $null
        AcmeCaFile     = $null
        SiteName       = $script:SiteName
        HomeServiceUrl = $null
    }
    try {
        $a = $lab.Addresses
        $assets = if ($Systemd) { Get-LabSystemdAsset }
        foreach ($h in @($script:HostNames) + @(if ($SecondRelay) { 'relay2' })) {
            if ($Systemd -and $h -in 'relay', 'home') { New-LabContainerHost $lab $h $assets } else { New-LabHost $lab $h }
        }

        # The internet: a bridge in 'inet' (which is also the DNS and ACME host), the runner on it.
        Invoke-LabHost $lab inet ip link add br0 type bridge
        Invoke-LabHost $lab inet ip link set br0 up
        Add-LabAddress $lab inet br0 "$($a.Dns)/28"
        foreach ($pair in @(@('relay', 'wan0'), @('client', 'wan0'), @('carrier', 'wan0')) + @(if ($SecondRelay) { , @('relay2', 'wan0') })) {
            Connect-LabLink $lab inet "p-$($pair[0])" $pair[0] $pair[1]
            Invoke-LabHost $lab inet ip link set "p-$($pair[0])" master br0
        }
        Connect-LabLink $lab inet 'p-runner' '' "$($Prefix)run"
        Invoke-LabHost $lab inet ip link set p-runner master br0
        Invoke-Checked ip addr add "$($a.Runner)/28" dev "$($Prefix)run" | Out-Null
        Add-LabAddress $lab relay wan0 "$($a.Relay)/28"
        Add-LabAddress $lab client wan0 "$($a.Client)/28"
        Add-LabAddress $lab carrier wan0 "$($a.Carrier)/28"
        if ($SecondRelay) { Add-LabAddress $lab relay2 wan0 "$($a.Relay2)/28" }

        # Carrier-grade NAT, then the room's NAT, then home.
        Connect-LabLink $lab carrier lan0 room wan0
        Add-LabAddress $lab carrier lan0 "$($a.CarrierLan)/24"
        Add-LabAddress $lab room wan0 "$($a.RoomWan)/24"
        Connect-LabLink $lab room lan0 home eth0
        Add-LabAddress $lab room lan0 "$($a.RoomLan)/24"
        Add-LabAddress $lab home eth0 "$($a.HomeLan)/24"
        Add-LabRoute $lab room default $a.CarrierLan
        Add-LabRoute $lab home default $a.RoomLan
        # The client knows the way to the carrier's inside: only the NATs keep it out.
        Add-LabRoute $lab client '100.64.0.0/10' $a.Carrier
        Add-LabRoute $lab client '10.77.0.0/24' $a.Carrier
        Set-LabNat $lab carrier wan0 lan0
        Set-LabNat $lab room wan0 lan0

        # The runner's cable to the home machine (how the user reaches it on their own LAN).
        Connect-LabLink $lab home mgmt0 '' "$($Prefix)mgt"
        Add-LabAddress $lab home mgmt0 "$($a.HomeMgmt)/30"
        Invoke-Checked ip addr add "$($a.RunnerMgmt)/30" dev "$($Prefix)mgt" | Out-Null

        New-LabSshIdentity $lab
        Start-LabDns $lab
        if ($Systemd) {
            # Bare booted hosts: systemd and sshd, nothing else; packages come from the lab's own repository.
            Start-LabProcess $lab inet 'repo' @('python3', '-m', 'http.server', '8080', '--bind', $a.Dns, '--directory', (Join-Path $assets 'repo')) | Out-Null
            $lab | Add-Member -NotePropertyName Assets -NotePropertyValue $assets
            foreach ($h in 'relay', 'home') { Initialize-LabContainerRoot $lab $h $assets }
            foreach ($h in 'relay', 'home') { Start-LabContainer $lab $h }
            Wait-LabCondition { Test-LabTcp $a.Dns 8080 } 'the lab package repository'
            Wait-LabCondition { Test-LabTcp $a.Relay 22 } 'sshd on the relay container' 60
            Wait-LabCondition { Test-LabTcp $a.HomeMgmt 22 } 'sshd on the home container' 60
            return $lab
        }
        Start-LabAcme $lab
        Start-LabSshd $lab relay @($a.Relay)
        Start-LabSshd $lab home @($a.HomeMgmt)
        Start-LabApache $lab
        if ($SecondRelay) {
            Start-LabSshd $lab relay2 @($a.Relay2)
            Start-LabApache $lab relay2
        }
        Start-LabHomeService $lab
        $lab.HomeServiceUrl = "http://$($a.HomeTunnel):3000/"

        Wait-LabCondition { Test-LabTcp $a.Relay 22 } 'sshd on the relay'
        Wait-LabCondition { Test-LabTcp $a.HomeMgmt 22 } 'sshd on the home machine'
        Wait-LabCondition { Test-LabTcp $a.Relay 80 } 'Apache on the relay'
        if ($SecondRelay) {
            Wait-LabCondition { Test-LabTcp $a.Relay2 22 } 'sshd on the second relay'
            Wait-LabCondition { Test-LabTcp $a.Relay2 80 } 'Apache on the second relay'
        }
        Wait-LabCondition { Test-LabTcp $a.Dns 14000 } 'pebble'
        Wait-LabCondition { Test-LabTcp $a.HomeMgmt 3000 } 'the home service' 30
        $lab
    }
    catch {
        Stop-Lab -Lab $lab
        throw
    }
}

# ---------------------------------------------------------------- booted systemd hosts (LAB.md)

function Get-LabSystemdAsset {
    <# The cached bare Debian root, package repository and PowerShell archive; built once per machine (≈ 80 s). v2: the
       archive's assemblies are the lab pwsh's, compiled ahead of time as the official archive's are. #>
    $dir = '/var/cache/hometunnel-lab/systemd-v2'
    if (-not (Test-Path (Join-Path $dir 'pwsh-linux-x64.tar.gz'))) {
        $null = Get-LabPwsh
        $unix = Get-Item (Join-Path $script:RepoRoot 'out/lab-pwsh/.store/powershell/*/powershell/*/tools/net*/any/unix') | Select-Object -First 1
        $dotnet = Split-Path (Get-Item (Get-Command dotnet).Source).ResolvedTarget
        if (-not $dotnet) { $dotnet = Split-Path (Get-Command dotnet).Source }
        New-Item -ItemType Directory -Force (Split-Path $dir) | Out-Null
        # One builder at a time on a machine; a second waits and then finds the cache.
        Invoke-Checked flock (Join-Path (Split-Path $dir) '.build.lock') bash -c "test -f '$dir/pwsh-linux-x64.tar.gz' || bash '$PSScriptRoot/build-systemd-assets.sh' '$dir' '$($unix.FullName)' '$dotnet'" | Out-Null
    }
    $dir
}

function New-LabContainerHost($Lab, [string] $HostName, [string] $Assets) {
    # A namespace for a booted container: its network is the lab's, its file system a copy of the bare root.
    $ns = "$($Lab.Prefix)-$HostName"
    $dir = New-Item -ItemType Directory -Force (Join-Path $Lab.Directory $HostName)
    Invoke-Checked ip netns add $ns | Out-Null
    Invoke-Checked ip -n $ns link set lo up | Out-Null
    $root = Join-Path $dir.FullName 'root'
    Invoke-Checked cp -a (Join-Path $Assets 'root') $root | Out-Null
    $Lab.Hosts[$HostName] = @{ Namespace = $ns; AnchorPid = 0; Directory = $dir.FullName; Container = $true; Root = $root; Supervisor = 0 }
}

function Initialize-LabContainerRoot($Lab, [string] $HostName, [string] $Assets) {
    # What a VPS provider's image has: a hostname, a resolver, an apt source, the user's SSH key, fresh host keys.
    $root = $Lab.Hosts[$HostName].Root
    Invoke-Checked ssh-keygen -q -A -f $root | Out-Null
    Set-Content -LiteralPath "$root/etc/hostname" -Value $HostName
    Set-Content -LiteralPath "$root/etc/resolv.conf" -Value "nameserver $($Lab.Addresses.Dns)"
    Set-Content -LiteralPath "$root/etc/apt/sources.list" -Value "deb [trusted=yes] http://$($Lab.Addresses.Dns):8080/ ./"
    # This machine has cgroup v1 only: systemd inside a container is then never told that a unit's cgroup
    # emptied (no release agent), so stopping wg-quick@ (whose wireguard-go forked away) waits out the whole
    # stop timeout on every reboot. A VPS with cgroup v2 has no such wait; the lab shortens it to 5 s.
    New-Item -ItemType Directory -Force "$root/etc/systemd/system.conf.d" | Out-Null
    Set-Content -LiteralPath "$root/etc/systemd/system.conf.d/hometunnel-lab.conf" -Value "[Manager]`nDefaultTimeoutStopSec=5s"
    New-Item -ItemType Directory -Force "$root/root/.ssh" | Out-Null
    Invoke-Checked chmod 700 "$root/root/.ssh" | Out-Null
    Copy-Item (Join-Path $Lab.Directory 'authorized_keys') "$root/root/.ssh/authorized_keys"
    Invoke-Checked chmod 600 "$root/root/.ssh/authorized_keys" | Out-Null
}

function Get-LabContainerInit($Lab, [string] $HostName) {
    # The container's PID 1 (systemd), seen from here: the process in its namespace whose innermost PID is 1.
    foreach ($p in @(ip netns pids $Lab.Hosts[$HostName].Namespace 2>$null)) {
        $status = Get-Content "/proc/$p/status" -ErrorAction Ignore
        $nspid = $status | Where-Object { $_ -like 'NSpid:*' }
        if ($nspid -and ($nspid -split '\s+')[-1] -eq '1') { return [int]$p }
    }
    0
}

function Start-LabContainer {
    <#
    .SYNOPSIS
        Powers a container host on: systemd-nspawn boots it in its lab namespace, under a supervisor that boots it
        again when it reboots (nspawn's exit 133). Waits until systemd says the boot is over.
    #>
    param([Parameter(Mandatory)] $Lab, [Parameter(Mandatory)] [string] $HostName)
    $h = $Lab.Hosts[$HostName]
    $log = Join-Path $h.Directory 'nspawn.log'
    # CAP_NET_ADMIN: nspawn keeps it from a container that joins an existing namespace, and wg-quick needs it.
    $nspawn = "SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=0 systemd-nspawn -q -D '$($h.Root)' -M '$($Lab.Prefix)-$HostName' --boot --register=no --keep-unit --capability=CAP_NET_ADMIN " +
        "--network-namespace-path=/run/netns/$($h.Namespace) --console=passive --resolv-conf=off --timezone=off --link-journal=no"
    $power = Join-Path $h.Directory 'power.sh'
    Set-Content -LiteralPath $power -Value "while :; do $nspawn; rc=`$?; echo `$rc >> '$($h.Directory)/exits'; [ `$rc -eq 133 ] || exit `$rc; done"
    $p = Start-Process -FilePath bash -ArgumentList $power -PassThru -RedirectStandardOutput $log -RedirectStandardError "$log.err"
    $Lab.Pids.Add($p.Id)
    Add-Content -LiteralPath (Join-Path $Lab.Directory 'pids') -Value $p.Id
    $h.Supervisor = $p.Id
    Wait-LabContainerBoot $Lab $HostName
}

function Wait-LabContainerBoot($Lab, [string] $HostName, [int] $OldInit = 0, [double] $TimeoutSeconds = 120) {
    $h = $Lab.Hosts[$HostName]
    Wait-LabCondition { ($script:init = Get-LabContainerInit $Lab $HostName) -gt 0 -and $script:init -ne $OldInit } "$HostName's systemd to start" $TimeoutSeconds
    $h.AnchorPid = $script:init
    Wait-LabCondition {
        $state = Invoke-LabHost $Lab $HostName systemctl is-system-running 2>$null
        "$state" -in 'running', 'degraded'
    } "$HostName to finish booting" $TimeoutSeconds
    # Boot order is systemd's business: sshd may still be starting when the system says it is up.
    Wait-LabCondition { "$(Invoke-LabHost $Lab $HostName systemctl is-active ssh 2>$null)" -eq 'active' } "sshd in $HostName" $TimeoutSeconds
}

function Restart-LabContainer {
    <#
    .SYNOPSIS
        -Reboot: 'systemctl reboot' inside (the supervisor boots it again). -PowerCut: SIGKILL to its PID 1, then power on.
        Returns when the host has booted again.
    #>
    param([Parameter(Mandatory)] $Lab, [Parameter(Mandatory)] [string] $HostName, [Parameter(Mandatory)] [ValidateSet('Reboot', 'PowerCut')] [string] $How)
    $h = $Lab.Hosts[$HostName]
    $old = $h.AnchorPid
    if ($How -eq 'Reboot') {
        $said = Invoke-LabHost $Lab $HostName systemctl reboot 2>&1
        try { Wait-LabCondition { -not (Test-LabProcessAlive $old) } "$HostName to go down" 60 }
        catch {
            $jobs = Invoke-LabHost $Lab $HostName systemctl list-jobs --no-pager 2>&1 | Out-String
            throw "$_ (systemctl reboot said: $said; PID $old; jobs: $jobs)"
        }
        Wait-LabContainerBoot $Lab $HostName -OldInit $old
    }
    else {
        kill -9 $old
        $supervisor = $h.Supervisor
        Wait-LabCondition { -not (Test-LabProcessAlive $supervisor) -and (Get-LabContainerInit $Lab $HostName) -eq 0 } "$HostName to be off" 60
        Start-LabContainer $Lab $HostName
    }
}

function Get-LabConsoleFingerprint($Lab, [string] $HostName) {
    <# What the VPS provider's console (or the machine's own screen) shows: the SHA256 fingerprint of its ed25519 host key. #>
    ((ssh-keygen -lf "$($Lab.Hosts[$HostName].Root)/etc/ssh/ssh_host_ed25519_key.pub") -split ' ')[1]
}

function Install-LabContainerService($Lab) {
    <# The home container's own service on :3000, as a unit of its own (as any service on a home server is); needs pwsh there. #>
    $root = $Lab.Hosts.home.Root
    New-Item -ItemType Directory -Force "$root/opt/lab" | Out-Null
    Copy-Item (Join-Path $PSScriptRoot 'HomeService.ps1') "$root/opt/lab/HomeService.ps1"
    Set-Content -LiteralPath "$root/etc/systemd/system/lab-home-service.service" -Value @(
        '[Unit]', 'Description=The lab''s home service', 'After=network.target', ''
        '[Service]', 'ExecStart=/usr/bin/pwsh -NoLogo -NoProfile -File /opt/lab/HomeService.ps1 -Port 3000', 'Restart=always', ''
        '[Install]', 'WantedBy=multi-user.target'
    )
    Invoke-LabHost $Lab home systemctl daemon-reload
    Invoke-LabHost $Lab home systemctl enable --now lab-home-service 2>&1 | Out-Null
    Wait-LabCondition { (Invoke-LabHost $Lab home ss -Hltn 'sport = :3000') -match 'LISTEN' } 'the home service' 60
}

function Get-LabHostProcessId($Lab, [string] $HostName, [string] $Pattern) {
    # PIDs of the processes inside one lab host whose command line matches a pattern.
    foreach ($p in @(ip netns pids "$($Lab.Prefix)-$HostName" 2>$null)) {
        $cmd = (Get-Content -Raw "/proc/$p/cmdline" -ErrorAction Ignore) -replace "`0", ' '
        if ($cmd -match $Pattern) { [int]$p }
    }
}

function Start-LabHomeService($Lab) {
    <# The home machine's web service on :3000 (echoes Host, X-Forwarded-For and the peer address). #>
    $null = Start-LabProcess $Lab home 'service' @($Lab.PwshPath, '-NoLogo', '-NoProfile', '-File', (Join-Path $PSScriptRoot 'HomeService.ps1'), '-Port', '3000')
    Wait-LabCondition { (Invoke-LabHost $Lab home ss -Hltn 'sport = :3000') -match 'LISTEN' } 'the home service to listen' 20
}

function Stop-LabHomeService($Lab) {
    foreach ($p in @(Get-LabHostProcessId $Lab home 'HomeService\.ps1')) { kill -9 $p 2>$null }
    Wait-LabCondition { -not ((Invoke-LabHost $Lab home ss -Hltn 'sport = :3000') -match 'LISTEN') } 'the home service to stop' 10
}

function Stop-LabWireGuard($Lab, [string] $HostName) {
    <# Kills a host's wireguard-go (the userspace WireGuard), as a crash would. #>
    $pids = @(Get-LabHostProcessId $Lab $HostName '^wireguard-go ')
    foreach ($p in $pids) { kill -9 $p 2>$null }
    Wait-LabCondition { -not ($pids | Where-Object { Test-LabProcessAlive $_ }) } "wireguard-go on $HostName to end" 10
    $pids.Count
}

function Set-LabBlackhole {
    <#
    .SYNOPSIS
        Drops packets on a lab host with nftables: -Traffic Forward (a router that stops forwarding, e.g. the
        link between the two NATs cut) or All (a host that drops everything in and out). -Off lifts it.
    #>
    param([Parameter(Mandatory)] $Lab, [Parameter(Mandatory)] [string] $HostName, [ValidateSet('Forward', 'All')] [string] $Traffic = 'Forward', [switch] $Off)
    Invoke-LabHost $Lab $HostName nft delete table inet hometunnel_fault 2>$null
    if ($Off) { return }
    $hooks = if ($Traffic -eq 'Forward') { @('forward') } else { @('input', 'output', 'forward') }
    $rules = "table inet hometunnel_fault {`n" + (($hooks | ForEach-Object { "  chain $_ { type filter hook $_ priority -10; policy drop; }" }) -join "`n") + "`n}`n"
    $file = Join-Path $Lab.Directory "fault-$HostName.nft"
    Set-Content -LiteralPath $file -Value $rules
    Invoke-Checked Invoke-LabHost $Lab $HostName nft -f $file | Out-Null
}

function Get-LabProcessId([string] $Prefix) {
    # Every process in the lab's network namespaces, plus the ones it recorded (anchors, daemons).
    $pids = [System.Collections.Generic.HashSet[int]]::new()
    foreach ($ns in @(ip netns list 2>$null | ForEach-Object { ($_ -split ' ')[0] } | Where-Object { $_ -like "$Prefix-*" })) {
        foreach ($p in @(ip netns pids $ns 2>$null)) { if ($p) { [void]$pids.Add([int]$p) } }
    }
    $file = Join-Path (Join-Path $script:LabBase $Prefix) 'pids'
    if (Test-Path $file) { foreach ($p in Get-Content $file) { if ($p) { [void]$pids.Add([int]$p) } } }
    $pids
}

function Test-LabProcessAlive([int] $ProcessId) {
    # A killed child of this process stays a zombie until .NET reaps it: that is not running any more.
    $stat = Get-Content "/proc/$ProcessId/stat" -Raw -ErrorAction Ignore
    return $stat -and ($stat -split ' ')[2] -ne 'Z'
}

function Stop-Lab {
    <#
    .SYNOPSIS
        Removes everything a lab made: processes (by PID), namespaces (and so their veths), root-side links, files.
        Works from the lab object or from the prefix alone (after a crash).
    #>
    param([Parameter(ParameterSetName = 'Lab', Position = 0)] $Lab, [Parameter(ParameterSetName = 'Prefix')] [string] $Prefix)
    if ($Lab) { $Prefix = $Lab.Prefix }
    if (-not $Prefix) { return }
    $pids = @(Get-LabProcessId $Prefix)
    if ($Lab) { $pids += @($Lab.Pids) }
    $pids = @($pids | Select-Object -Unique)
    foreach ($p in $pids) {
        if (Test-LabProcessAlive $p) { kill -9 $p 2>$null }
    }
    Wait-LabCondition { -not ($pids | Where-Object { Test-LabProcessAlive $_ }) } "the lab's processes to end" 10
    # A process forked between the listing and the kill (Apache's parent starts workers at any time) is still in the
    # namespace, and would outlive it: the namespaces are listed again until they are empty (their processes only; a
    # recorded PID is never killed twice, as it may have been given to another process by now).
    for ($round = 0; $round -lt 5; $round++) {
        $left = @(foreach ($ns in @(ip netns list 2>$null | ForEach-Object { ($_ -split ' ')[0] } | Where-Object { $_ -like "$Prefix-*" })) {
                foreach ($p in @(ip netns pids $ns 2>$null)) { if ($p -and (Test-LabProcessAlive ([int]$p))) { [int]$p } }
            })
        if ($left.Count -eq 0) { break }
        foreach ($p in $left) { kill -9 $p 2>$null }
        Wait-LabCondition { -not ($left | Where-Object { Test-LabProcessAlive $_ }) } "the lab's last processes to end" 10
    }
    foreach ($ns in @(ip netns list 2>$null | ForEach-Object { ($_ -split ' ')[0] } | Where-Object { $_ -like "$Prefix-*" })) {
        ip netns delete $ns 2>$null
    }
    foreach ($link in @(ip -o link show 2>$null | ForEach-Object { (($_ -split ': ')[1] -split '@')[0] } | Where-Object { $_ -match "\A$Prefix(run|mgt|t[0-9]+[ab])\z" })) {
        # Exactly this lab's root-side links: a prefix may begin another's (htfw, htfwd), and labs run side by side.
        ip link delete $link 2>$null
    }
    $dir = Join-Path $script:LabBase $Prefix
    if (Test-Path $dir) { Remove-Item $dir -Recurse -Force -ErrorAction Ignore }
}

function Get-LabStateHash {
    <# One hash over a host's /etc/wireguard and /etc/apache2 (file contents, modes and links): equal before and after means unchanged. #>
    param([Parameter(Mandatory)] $Lab, [Parameter(Mandatory)] [string] $HostName)
    $root = $Lab.Hosts[$HostName].Directory
    $lines = foreach ($dir in 'etc-wireguard', 'etc-apache2') {
        Get-ChildItem (Join-Path $root $dir) -Recurse -Force | Sort-Object FullName | ForEach-Object {
            $rel = $_.FullName.Substring($root.Length)
            if ($_.LinkType) { "$rel -> $($_.Target)" }
            elseif (-not $_.PSIsContainer) { "$rel $($_.UnixFileMode) $((Get-FileHash -LiteralPath $_.FullName).Hash)" }
            else { "$rel/ $($_.UnixFileMode)" }
        }
    }
    $bytes = [Text.Encoding]::UTF8.GetBytes(($lines -join "`n"))
    [Convert]::ToHexString([Security.Cryptography.SHA256]::HashData($bytes))
}

function Get-LabOwnerState {
    <#
    .SYNOPSIS
        What belongs to a host's owner, not to HomeTunnel: every nftables table but hometunnel, and every file and
        link in the host's /etc/apache2, /etc/wireguard and /etc/hometunnel that is not HomeTunnel's (its marker on
        the first line, or a sites-enabled link to such a file). mods-enabled is left out: enabling the modules a
        site needs is part of an install. Equal before and after a test: HomeTunnel touched none of it.
    #>
    param([Parameter(Mandatory)] $Lab, [Parameter(Mandatory)] [string] $HostName)
    $root = $Lab.Hosts[$HostName].Directory
    $lines = [System.Collections.Generic.List[string]]::new()
    foreach ($t in @(Invoke-LabHost $Lab $HostName nft list tables)) {
        if ($t -match '^table (\S+) (\S+)$' -and $Matches[2] -ne 'hometunnel') {
            $lines.Add((Invoke-LabHost $Lab $HostName nft list table $Matches[1] $Matches[2] | Out-String))
        }
    }
    foreach ($dir in 'etc-apache2', 'etc-wireguard', 'etc-hometunnel') {
        $base = Join-Path $root $dir
        if (-not (Test-Path $base)) { continue }
        foreach ($item in Get-ChildItem $base -Recurse -Force | Sort-Object FullName) {
            $rel = $item.FullName.Substring($root.Length)
            # Enabling the modules a site needs is part of an install; mod_md keeps its own ACME store.
            if ($rel -like '/etc-apache2/mods-enabled/*' -or $rel -like '/etc-apache2/md/*') { continue }
            if ($item.LinkType) {
                $target = if ([System.IO.Path]::IsPathRooted($item.Target)) { $item.Target } else { Join-Path $item.DirectoryName $item.Target }
                $local = $target -replace '^/etc/apache2', (Join-Path $root 'etc-apache2')
                if ((Test-Path -LiteralPath $local -PathType Leaf) -and (Get-Content -LiteralPath $local -TotalCount 1) -like '# Managed by HomeTunnel*') { continue }
                $lines.Add("$rel -> $($item.Target)")
            }
            elseif (-not $item.PSIsContainer) {
                # Only where HomeTunnel writes can a file be its own (its marker on the first line); elsewhere every
                # file is the owner's. A write replaces the file (new size, time or mode), so those stand for its content.
                if ($rel -match '^/etc-(wireguard|hometunnel)/|^/etc-apache2/(sites-available|hometunnel)/' -and
                    (Get-Content -LiteralPath $item.FullName -TotalCount 1 -ErrorAction Ignore) -like '# Managed by HomeTunnel*') { continue }
                $lines.Add("$rel $($item.Length) $($item.LastWriteTimeUtc.Ticks) $($item.UnixFileMode)")
            }
        }
    }
    # One entry per line, so that a broken invariant can say what changed.
    , @($lines)
}

function Get-LabInvariantState {
    <# The owner's state of both ends, taken before a test (Assert-LabInvariant compares with it after). #>
    param([Parameter(Mandatory)] $Lab)
    @{ relay = (Get-LabOwnerState $Lab relay); home = (Get-LabOwnerState $Lab home) }
}

function Assert-LabInvariant {
    <#
    .SYNOPSIS
        The relay's invariants, checked after a lab test whatever the test itself asserted: the relay's sshd answers on
        its port with its own host key; no rule of HomeTunnel's DNATs a WireGuard port; every interface HomeTunnel's
        forwards use is in the relay's fenced set, and every HomeTunnel interface that dials is in the home fence
        whenever the home table is loaded; the owner's tables and files on both ends are as they were.
    #>
    param([Parameter(Mandatory)] $Lab, [Parameter(Mandatory)] [hashtable] $Before)
    $broken = [System.Collections.Generic.List[string]]::new()
    $key = (Get-Content (Join-Path $Lab.Hosts.relay.Directory 'ssh_host_ed25519_key.pub')).Split(' ')[1]
    $scan = ssh-keyscan -T 5 -t ed25519 $Lab.Addresses.Relay 2>$null | Out-String
    if ($scan -notmatch [regex]::Escape($key)) { $broken.Add("the relay's sshd does not answer on port 22 with its own host key") }

    $relayRoot = $Lab.Hosts.relay.Directory
    $ports = @(Get-ChildItem (Join-Path $relayRoot 'etc-wireguard') -Filter *.conf -ErrorAction Ignore |
        ForEach-Object { Select-String -LiteralPath $_.FullName -Pattern '^\s*ListenPort\s*=\s*(\d+)' } | ForEach-Object { $_.Matches[0].Groups[1].Value })
    $forwards = Invoke-LabHost $Lab relay nft list table ip hometunnel 2>$null | Out-String
    foreach ($line in $forwards -split "`n") {
        if ($line -notmatch 'udp dport (\d+)(?:-(\d+))? .*dnat') { continue }
        $from = [int]$Matches[1]; $to = if ($Matches[2]) { [int]$Matches[2] } else { $from }
        foreach ($p in $ports) { if ([int]$p -ge $from -and [int]$p -le $to) { $broken.Add("a rule of HomeTunnel's DNATs the WireGuard port udp $p") } }
    }
    if ($forwards) {
        foreach ($f in Get-ChildItem (Join-Path $relayRoot 'etc-hometunnel/forwards.d') -Filter *.nft -ErrorAction Ignore) {
            $m = Select-String -LiteralPath $f.FullName -Pattern 'add element ip hometunnel tunnels \{ "([^"]+)" \}' | Select-Object -First 1
            if ($m -and $forwards -notmatch "elements = \{[^}]*`"$([regex]::Escape($m.Matches[0].Groups[1].Value))`"") { $broken.Add("the relay's forwards table does not fence $($m.Matches[0].Groups[1].Value)") }
        }
    }
    $homeRoot = $Lab.Hosts.home.Directory
    $fence = Invoke-LabHost $Lab home nft list table inet hometunnel 2>$null | Out-String
    if ($fence) {
        foreach ($conf in Get-ChildItem (Join-Path $homeRoot 'etc-wireguard') -Filter *.conf -ErrorAction Ignore) {
            $text = Get-Content -Raw -LiteralPath $conf.FullName
            $if = $conf.BaseName
            $up = (Invoke-LabHost $Lab home ip link show $if 2>$null) -ne $null
            if ($text.StartsWith('# Managed by HomeTunnel') -and $text -match '(?m)^Endpoint\s*=' -and $text -notmatch '(?m)^ListenPort\s*=' -and $up -and $fence -notmatch "`"$([regex]::Escape($if))`"") {
                $broken.Add("the home machine's $if is HomeTunnel's and up, but not in the home fence")
            }
        }
    }
    foreach ($h in 'relay', 'home') {
        $now = Get-LabOwnerState $Lab $h
        $gone = @($Before[$h] | Where-Object { $_ -notin $now }); $new = @($now | Where-Object { $_ -notin $Before[$h] })
        if ($gone.Count + $new.Count -gt 0) {
            $what = @($gone | ForEach-Object { "- $(($_ -split "`n")[0])" }) + @($new | ForEach-Object { "+ $(($_ -split "`n")[0])" }) | Select-Object -First 4
            $broken.Add("the owner's nftables tables or files on $h changed ($($what -join ', '))")
        }
    }
    if ($broken.Count -gt 0) { throw "Lab invariant broken: $($broken -join '; ')." }
}

function New-LabSession {
    <#
    .SYNOPSIS
        A PSSession over SSH into a lab host, with the lab's known_hosts and host key checking on.
    #>
    param([Parameter(Mandatory, Position = 0)] $Lab, [Parameter(Mandatory, Position = 1)] [ValidateSet('relay', 'relay2', 'home')] [string] $HostName)
    $address = switch ($HostName) { 'relay' { $Lab.Addresses.Relay } 'relay2' { $Lab.Addresses.Relay2 } default { $Lab.Addresses.HomeMgmt } }
    New-PSSession -HostName $address -UserName root -KeyFilePath $Lab.KeyFile -Options (Get-LabSshOption $Lab) -ErrorAction Stop
}

function Get-LabSshOption($Lab) {
    @{
        UserKnownHostsFile    = $Lab.KnownHostsFile
        GlobalKnownHostsFile  = '/dev/null'
        StrictHostKeyChecking = 'yes'
        BatchMode             = 'yes'
        ConnectTimeout        = '5'
    }
}

function Invoke-LabHttp {
    <# curl from the lab's client (a visitor on the internet); returns @{ Status; Body }. #>
    param([Parameter(Mandatory)] $Lab, [Parameter(Mandatory)] [string] $Url, [string[]] $CurlArgument = @(), [string] $FromHost = 'client')
    $out = Invoke-LabHost $Lab $FromHost curl -s -S --max-time 5 -w "`n%{http_code}" @CurlArgument $Url 2>&1
    $lines = @($out | ForEach-Object { "$_" })
    # curl's own error line (stderr) may come before or after the status line (stdout): the status is the last line
    # that is three digits, whichever stream was flushed first on a busy machine.
    $at = -1
    for ($i = $lines.Count - 1; $i -ge 0; $i--) { if ($lines[$i] -match '\A[0-9]{3}\z') { $at = $i; break } }
    [pscustomobject]@{
        ExitCode = $LASTEXITCODE
        Status   = if ($at -ge 0) { $lines[$at] } else { '' }
        Body     = ($lines | Select-Object -First ([Math]::Max(0, $at)) | Where-Object { $_ -notmatch '\Acurl: \([0-9]+\)' }) -join "`n"
    }
}

function Move-LabRelay($Lab, [string] $From, [string] $To) {
    <# The relay moves to another public address, and every DNS record that named the old one follows (a new VPS, a changed IP). #>
    # The new address stays when the old (primary) one goes, instead of going with it.
    Invoke-LabHost $Lab relay sysctl -qw net.ipv4.conf.wan0.promote_secondaries=1
    Invoke-LabHost $Lab relay ip addr add "$To/28" dev wan0
    $r = [ordered]@{} + $Lab.DnsRecords
    foreach ($name in @($r.Keys)) { if ($r[$name] -eq $From) { $r[$name] = $To } }
    Set-LabDnsRecord $Lab -Records $r
    Invoke-LabHost $Lab relay ip addr del "$From/28" dev wan0
}

function Invoke-LabCtrlC {
    <#
    .SYNOPSIS
        Runs a pwsh script on a terminal (script(1) gives it a pty), presses Ctrl+C once -Ready says the
        moment has come, and returns how long the process took to end after that: @{ Ready; ExitedMs; Output }.
        The process is killed (by PID) if it has not ended within -ExitTimeoutSeconds.
    #>
    param([Parameter(Mandatory)] [string] $ScriptPath, [Parameter(Mandatory)] [scriptblock] $Ready, [double] $ReadyTimeoutSeconds = 60, [double] $ExitTimeoutSeconds = 60)
    $psi = [System.Diagnostics.ProcessStartInfo]::new('script')
    # SIGINT back to its default first: a run started in the background of a non-interactive shell (nohup ... &)
    # hands its children SIGINT ignored, and .NET keeps an ignored SIGINT ignored, so Ctrl+C would do nothing.
    foreach ($a in '-qfec', "env --default-signal=INT $(Get-LabPwsh) -NoProfile -File $ScriptPath", '/dev/null') { $psi.ArgumentList.Add($a) }
    $psi.RedirectStandardInput = $true
    $psi.RedirectStandardOutput = $true
    $psi.UseShellExecute = $false
    $p = [System.Diagnostics.Process]::Start($psi)
    $output = $p.StandardOutput.ReadToEndAsync()
    try {
        $deadline = [DateTime]::UtcNow.AddSeconds($ReadyTimeoutSeconds)
        $isReady = $false
        while (-not $p.HasExited -and [DateTime]::UtcNow -lt $deadline) {
            if (& $Ready) { $isReady = $true; break }
            Start-Sleep -Milliseconds 50
        }
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        $p.StandardInput.Write([char]3)
        $p.StandardInput.Flush()
        $ended = $p.WaitForExit([int]($ExitTimeoutSeconds * 1000))
        $ms = $clock.ElapsedMilliseconds
        if (-not $ended) { $p.Kill($true) }
        $null = $output.Wait(5000)
        @{ Ready = $isReady; ExitedMs = if ($ended) { $ms } else { $null }; Output = if ($output.IsCompleted) { $output.Result } else { '' } }
    }
    finally {
        if (-not $p.HasExited) { $p.Kill($true) }
        $p.Dispose()
    }
}

Export-ModuleMember -Function Move-LabRelay, Start-LabBind, Get-LabOwnerState, Get-LabInvariantState, Assert-LabInvariant, Start-LabProcess, Get-LabConsoleFingerprint, Install-LabContainerService, Start-LabContainer, Restart-LabContainer, Get-LabContainerInit, Get-LabPwsh, Invoke-LabCtrlC, Start-LabHomeService, Stop-LabHomeService, Stop-LabWireGuard, Set-LabBlackhole, Get-LabHostProcessId, Start-Lab, Stop-Lab, Test-LabProcessAlive, Get-LabStateHash, Invoke-LabHost, New-LabSession, Get-LabSshOption, Invoke-LabHttp, Set-LabDnsRecord, Get-LabProcessId, Wait-LabCondition, Test-LabTcp
