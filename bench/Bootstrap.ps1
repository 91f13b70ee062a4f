# From two bare booted hosts (systemd and sshd only) to a visitor's first 200: Initialize-TunnelHost and
# Publish-HomeService, side by side with the seed's manual steps done by a script in the same lab.
# Each route starts from fresh containers; the wall time includes the lab's home service (a unit started
# once pwsh is there, the same in both routes) and ends at the visitor's first 200.
param([Parameter(Mandatory)] [string] $ModulePath)
$ErrorActionPreference = 'Stop'
. $PSScriptRoot/Measure.ps1
Import-Module $ModulePath -Force
Import-Module (Join-Path $PSScriptRoot '../tests/Lab/Lab.psm1') -Force

function Wait-FirstOk($Lab) {
    Wait-LabCondition { (Invoke-LabHttp $Lab "http://$($Lab.SiteName)/").Status -eq '200' } 'the visitor''s first 200' 120
}

function Invoke-HomeTunnelRoute($Lab) {
    $a = $Lab.Addresses
    $init = @{ UserName = 'root'; KeyFilePath = $Lab.KeyFile; KnownHostsPath = (Join-Path $Lab.Directory 'user_known_hosts'); PowerShellPackage = (Join-Path $Lab.Assets 'pwsh-linux-x64.tar.gz') }
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    # The user's script: three lines (the two fingerprints read off the provider's console and the home machine).
    $vps = Initialize-TunnelHost $a.Relay -Role Relay @init -ExpectedHostKeyFingerprint (Get-LabConsoleFingerprint $Lab relay)
    $box = Initialize-TunnelHost $a.HomeMgmt -Role Home @init -ExpectedHostKeyFingerprint (Get-LabConsoleFingerprint $Lab home)
    Install-LabContainerService $Lab
    $null = Publish-HomeService $Lab.SiteName 3000 -RelaySession $vps -HomeSession $box -RelayEndpoint $a.Relay -PeerFile (Join-Path $Lab.Directory 'peers.json') -DnsServer $a.Dns -WaitSeconds 0 -Confirm:$false
    Wait-FirstOk $Lab
    $ms = $clock.Elapsed.TotalMilliseconds
    Get-PSSession | Remove-PSSession
    @{ Ms = $ms; Commands = 3 }
}

function Invoke-ManualRoute($Lab) {
    # The seed's README, step by step, as a user would type it: shell commands per host, then the pwsh script.
    $a = $Lab.Addresses
    $known = Join-Path $Lab.Directory 'manual_known_hosts'
    $pkg = Join-Path $Lab.Assets 'pwsh-linux-x64.tar.gz'
    $ssh = "ssh -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=$known -i $($Lab.KeyFile)"
    $commands = [System.Collections.Generic.List[string]]::new()
    foreach ($h in @(@{ Ip = $a.Relay; Packages = 'wireguard-tools wireguard-go apache2 libicu72 ca-certificates' }, @{ Ip = $a.HomeMgmt; Packages = 'wireguard-tools wireguard-go nftables libicu72 ca-certificates' })) {
        $commands.Add("ssh-keyscan -t ed25519 $($h.Ip) 2>/dev/null | ssh-keygen -lf -")   # compared with the console by eye
        $commands.Add("ssh-keyscan -t ed25519 $($h.Ip) 2>/dev/null >> $known")
        $commands.Add("$ssh root@$($h.Ip) 'DEBIAN_FRONTEND=noninteractive apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $($h.Packages)'")
        $commands.Add("$ssh root@$($h.Ip) 'cat > /tmp/powershell.tar.gz' < $pkg")
        $commands.Add("$ssh root@$($h.Ip) 'mkdir -p /opt/microsoft/powershell/7 && tar -xzf /tmp/powershell.tar.gz -C /opt/microsoft/powershell/7 && ln -sf /opt/microsoft/powershell/7/pwsh /usr/bin/pwsh'")
        $commands.Add("$ssh root@$($h.Ip) 'echo Subsystem powershell /usr/bin/pwsh -sshs -NoLogo >> /etc/ssh/sshd_config && sshd -t && systemctl reload ssh'")
    }
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    foreach ($c in $commands) {
        $out = bash -c $c 2>&1
        if ($LASTEXITCODE -ne 0) { throw "manual step failed: $c`n$($out | Out-String)" }
    }
    Install-LabContainerService $Lab
    # The seed's pwsh script (DESIGN.md), line by line.
    $o = @{ UserKnownHostsFile = $known; StrictHostKeyChecking = 'yes'; BatchMode = 'yes' }
    $script = @(
        { $script:vps = New-PSSession -HostName $a.Relay -UserName root -KeyFilePath $Lab.KeyFile -Options $o }
        { $script:box = New-PSSession -HostName $a.HomeMgmt -UserName root -KeyFilePath $Lab.KeyFile -Options $o }
        { $script:relayPeer = New-TunnelPeer -Name relay -Role Relay -Address 192.168.4.1/24 -ListenPort 51820 -Endpoint $a.Relay }
        { $script:homePeer = New-TunnelPeer -Name home -Role Home -Address 192.168.4.2/32 -PersistentKeepalive 25 }
        { $null = New-WireGuardConfig -For $script:relayPeer -Peer $script:homePeer | Install-WireGuardConfig -Session $script:vps }
        { $null = New-WireGuardConfig -For $script:homePeer -Peer $script:relayPeer | Install-WireGuardConfig -Session $script:box }
        { $null = $script:homePeer | New-ApacheProxySite -ServerName $Lab.SiteName -Port 3000 | Install-ApacheProxySite -Session $script:vps }
        { $null = $script:homePeer | New-ApacheProxySite -ServerName $Lab.SiteName -Port 3000 | Install-TunnelHomeFirewall -Session $script:box -RelayAddress 192.168.4.1 }
    )
    foreach ($line in $script) { & $line }
    Wait-FirstOk $Lab
    $ms = $clock.Elapsed.TotalMilliseconds
    Get-PSSession | Remove-PSSession
    @{ Ms = $ms; Commands = $commands.Count + $script.Count }
}

$results = @{}
foreach ($route in 'HomeTunnel', 'Manual') {
    $lab = Start-Lab -Prefix htboot -Index 4 -Systemd
    try { $results[$route] = if ($route -eq 'HomeTunnel') { Invoke-HomeTunnelRoute $lab } else { Invoke-ManualRoute $lab } }
    finally { Stop-Lab $lab }
}
$ht = $results.HomeTunnel; $manual = $results.Manual
New-BenchRow -Figure '9. bare hosts → visitor''s first 200 (wall time)' -HomeTunnelMs $ht.Ms -Alternative 'seed''s manual steps, scripted' -AlternativeMs $manual.Ms `
    -Target 'not slower (≤ 1.1×)' -Met ($ht.Ms -le 1.1 * $manual.Ms) `
    -Note "commands typed: $($ht.Commands) lines (2 Initialize-TunnelHost with the host keys' fingerprints, 1 Publish-HomeService) vs $($manual.Commands) (per host: check and trust the key, install packages, copy and unpack PowerShell, add the subsystem; then the seed's script); the manual route also leaves no firewall step, nothing enabled at boot and no watch"
