# One build's side of the host link's same-run comparison (HostLink.ps1 runs it for this build and for the baseline
# build by turns, each in a pwsh of its own: two builds of the module cannot load in one process). It opens its own
# sessions to the lab's relay and home machine (not timed), then times one change in the open session, the no-op of
# it, or one Publish-HomeService with Unpublish after it: in this fresh process and sessions, or (-OpenSession) after
# an untimed Publish and Unpublish in the same sessions whose workers went when done (no worker left, as figure 13d).
# Prints one JSON line: the times in ms.
param(
    [Parameter(Mandatory)] [string] $ModulePath, [Parameter(Mandatory)] [string] $RelayAddress, [Parameter(Mandatory)] [string] $HomeAddress,
    [Parameter(Mandatory)] [string] $KeyFile, [Parameter(Mandatory)] [string] $KnownHostsFile, [Parameter(Mandatory)] [string] $SiteName, [Parameter(Mandatory)] [string] $DnsServer,
    [Parameter(Mandatory)] [string] $PeerFile, [switch] $Publish, [switch] $OpenSession
)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$options = @{ UserKnownHostsFile = $KnownHostsFile; GlobalKnownHostsFile = '/dev/null'; StrictHostKeyChecking = 'yes'; BatchMode = 'yes'; ConnectTimeout = '5' }
$relay = New-PSSession -HostName $RelayAddress -UserName root -KeyFilePath $KeyFile -Options $options
$box = New-PSSession -HostName $HomeAddress -UserName root -KeyFilePath $KeyFile -Options $options
try {
    $times = [ordered]@{}
    if ($Publish) {
        if ($OpenSession) {
            # Warm sessions, idle hosts: the untimed run's workers go as soon as they have answered (a cold worker per
            # step, as HOMETUNNEL_WORKER_IDLE=0 gives), so none is left for the timed run, without reaching into the host.
            $env:HOMETUNNEL_WORKER_IDLE = '0'
            try {
                $null = Publish-HomeService $SiteName 3000 -RelaySession $relay -HomeSession $box -RelayEndpoint $RelayAddress -PeerFile $PeerFile -DnsServer $DnsServer -WaitSeconds 0 -Confirm:$false
                $null = Unpublish-HomeService $SiteName -RelaySession $relay -HomeSession $box -PeerFile $PeerFile -Confirm:$false
            }
            finally { Remove-Item Env:HOMETUNNEL_WORKER_IDLE }
        }
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $r = Publish-HomeService $SiteName 3000 -RelaySession $relay -HomeSession $box -RelayEndpoint $RelayAddress -PeerFile $PeerFile -DnsServer $DnsServer -WaitSeconds 0 -Confirm:$false
        $times.Publish = $clock.Elapsed.TotalMilliseconds
        if (@($r.Changes | Where-Object State -notin 'Created', 'Changed').Count) { throw "publish: $($r.Changes.State -join ', ')" }
        $null = Unpublish-HomeService $SiteName -RelaySession $relay -HomeSession $box -PeerFile $PeerFile -Confirm:$false
    }
    else {
        $relayPeer = New-TunnelPeer -Name relay -Role Relay -Address 192.168.4.1/24 -ListenPort 51820 -Endpoint $RelayAddress
        $peers = @(New-TunnelPeer -Name home -Role Home -Address 192.168.4.2/32 -PersistentKeepalive 25) + @(1..4 | ForEach-Object { New-TunnelPeer -Name "w$_" -Role Home -Address "192.168.7.$_/32" })
        $one = New-WireGuardConfig -For $relayPeer -Peer $peers[0..2]
        $two = New-WireGuardConfig -For $relayPeer -Peer $peers
        # The session's first change (the agent's text is sent, a worker may start): not timed, as in 13a.
        $null = $one | Install-WireGuardConfig -Session $relay
        $null = $two | Install-WireGuardConfig -Session $relay
        $times.Change = @(foreach ($i in 1..2) {
                $null = $one | Install-WireGuardConfig -Session $relay
                $clock = [Diagnostics.Stopwatch]::StartNew()
                $r = $two | Install-WireGuardConfig -Session $relay
                if ($r.State -ne 'Changed') { throw "change: $($r.State)" }
                $clock.Elapsed.TotalMilliseconds
            })
        $times.NoOp = @(foreach ($i in 1..5) {
                $clock = [Diagnostics.Stopwatch]::StartNew()
                $r = $two | Install-WireGuardConfig -Session $relay
                if ($r.State -ne 'Unchanged') { throw "no-op: $($r.State)" }
                $clock.Elapsed.TotalMilliseconds
            })
        $null = Uninstall-WireGuardConfig -Session $relay -Confirm:$false
    }
    $times | ConvertTo-Json -Compress
}
finally { Remove-PSSession $relay, $box }
