# Benchmarks that need no host: keys, render + validate, parse, module import.
param([Parameter(Mandatory)] [string] $ModulePath, [int] $KeyCount = 10000)
. $PSScriptRoot/Measure.ps1
Import-Module $ModulePath -Force

# 1. Key pairs: in-process vs `wg genkey | wg pubkey` per pair (one shell loop, the cheapest way to run it).
$ht = Measure-Median { New-TunnelKeyPair -Count $KeyCount } -Runs 3
$wgClock = [System.Diagnostics.Stopwatch]::StartNew()
sh -c "i=0; while [ `$i -lt $KeyCount ]; do wg genkey | wg pubkey >/dev/null; i=`$((i+1)); done"
$wg = $wgClock.Elapsed.TotalMilliseconds
$speedup = $wg / $ht
New-BenchRow "1. $KeyCount key pairs" $ht "$KeyCount × wg genkey | wg pubkey" $wg '≥ 50× faster' ($speedup -ge 50) ("{0:0}× faster" -f $speedup)

# 2. Render + validate: N peers into one relay config and N sites, then Test-TunnelConfig over all.
$relay = New-TunnelPeer -Name relay -Role Relay -Address 10.0.0.1/8 -Endpoint vps.example.com
$growth = foreach ($n in 10, 100, 1000, 10000) {
    $keys = New-TunnelKeyPair -Count $n
    $peers = for ($i = 0; $i -lt $n; $i++) {
        $ip = "10.$([math]::Floor(($i + 2) / 65536) % 256).$([math]::Floor(($i + 2) / 256) % 256).$(($i + 2) % 256)/32"
        New-TunnelPeer -Name "h$i" -Role Home -Address $ip -PublicKey $keys[$i].PublicKey
    }
    $ms = Measure-Median -Runs 3 {
        $config = New-WireGuardConfig -For $relay -Peer $peers
        $null = $config.RevealText()
        $sites = $peers | ForEach-Object { $_ } | Select-Object -First $n | New-ApacheProxySite -ServerName { "s$($_.Name).example.com" } -Port 3000
        $null = Test-TunnelConfig (@($relay) + $peers + @($config) + $sites)
    }
    [pscustomobject]@{ N = $n; Ms = $ms; PerItemUs = 1000 * $ms / $n; Config = (New-WireGuardConfig -For $relay -Peer $peers); Sites = ($peers | Select-Object -First $n | New-ApacheProxySite -ServerName { "s$($_.Name).example.com" } -Port 3000) }
}
$k = $growth | Where-Object N -EQ 1000
$linear = ($growth | Where-Object N -EQ 10000).PerItemUs / ($growth | Where-Object N -EQ 1000).PerItemUs
New-BenchRow '2. render + validate 1,000 peers and 1,000 sites' $k.Ms '(target)' 1000 '< 1 s, linear' ($k.Ms -lt 1000 -and $linear -lt 2) (($growth | ForEach-Object { "{0}: {1:0} ms ({2:0} µs/item)" -f $_.N, $_.Ms, $_.PerItemUs }) -join '; ')

# 3. Parse a 1,000-peer wg-quick file and a 1,000-vhost Apache file, against the tools' own readers.
$dir = Join-Path ([IO.Path]::GetTempPath()) "hometunnel-bench-$PID"
$null = New-Item -ItemType Directory -Force $dir
try {
    $wgFile = Join-Path $dir 'wg0.conf'
    [IO.File]::WriteAllText($wgFile, $k.Config.RevealText())
    $apacheFile = Join-Path $dir 'sites.conf'
    [IO.File]::WriteAllText($apacheFile, (($k.Sites | ForEach-Object Text) -join "`n"))
    $parseWg = Measure-Median { Import-WireGuardConfig $wgFile }
    $strip = Measure-Median { wg-quick strip $wgFile }
    New-BenchRow '3a. parse a 1,000-peer wg-quick file' $parseWg 'wg-quick strip (bash)' $strip 'report' $true
    $parseApache = Measure-Median { Import-ApacheProxySite $apacheFile }
    $confDir = Join-Path $dir 'apache'
    $null = New-Item -ItemType Directory -Force $confDir
    Set-Content (Join-Path $confDir 'apache2.conf') @(
        'ServerRoot /etc/apache2', 'Include mods-enabled/*.load', 'Include mods-enabled/*.conf', 'LoadModule proxy_module /usr/lib/apache2/modules/mod_proxy.so'
        'LoadModule proxy_http_module /usr/lib/apache2/modules/mod_proxy_http.so', 'LoadModule headers_module /usr/lib/apache2/modules/mod_headers.so'
        'ErrorLog /dev/null', 'PidFile /tmp/bench-apache.pid', 'Listen 127.0.0.1:65080', "Include $apacheFile")
    $configtest = Measure-Median { apache2 -t -f (Join-Path $confDir 'apache2.conf') 2>&1 }
    New-BenchRow '3b. parse a 1,000-vhost Apache file' $parseApache 'apache2 -t on the same file' $configtest 'report' $true
}
finally { Remove-Item -Recurse -Force $dir -ErrorAction Ignore }

# 7. Module import: a fresh pwsh that imports the module and makes a key, vs a bare one.
$pwsh = @([Environment]::ProcessPath)
if ((Split-Path $pwsh[0] -Leaf) -eq 'dotnet') { $pwsh += [System.Reflection.Assembly]::GetEntryAssembly().Location }
$rest = @($pwsh | Select-Object -Skip 1)
# Interleaved, so drift in the machine's speed hits all three alike.
$t = @{ bare = @(); with = @(); key = @() }
foreach ($i in 1..21) {
    $t.bare += Measure-Median { & $pwsh[0] @rest -NoProfile -NonInteractive -Command '1' } -Runs 1 -Warmup 0
    $t.with += Measure-Median { & $pwsh[0] @rest -NoProfile -NonInteractive -Command "Import-Module '$ModulePath'" } -Runs 1 -Warmup 0
    $t.key += Measure-Median { & $pwsh[0] @rest -NoProfile -NonInteractive -Command "Import-Module '$ModulePath'; `$null = New-TunnelKeyPair" } -Runs 1 -Warmup 0
}
$bare = Get-Median $t.bare; $with = Get-Median $t.with; $withKey = Get-Median $t.key
New-BenchRow '7. Import-Module HomeTunnel (added to pwsh start)' ($with - $bare) 'bare pwsh start' $bare '< 150 ms added' (($with - $bare) -lt 150) ("import and first key: {0:0} ms added" -f ($withKey - $bare))
